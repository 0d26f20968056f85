/**
 * The starting checkpoint of an input log. A log whose world did not start from its seed at step 0
 * — restored from a checkpoint after a restart, or already running when recording began — starts
 * from the world's state when recording started: the recorder captures it (a world checkpoint,
 * src/persist/world-snapshot.ts) in the same turn as it attaches its hooks, writes it next to the
 * log, and names it in the log's header with its content hash:
 *
 *   session.wtlog              header { ..., start: { file: 'session.wtlog.start.wtck', sha256, bytes, step, ... } }
 *   session.wtlog.start.wtck   the checkpoint bytes (deflated, as the store keeps them)
 *
 * The replay reads the file, checks its sha256 (`WT_ERR_REPLAY_CHECKPOINT_MISMATCH`; a missing or
 * unreadable file is `WT_ERR_REPLAY_CHECKPOINT_MISSING`), restores the world from it and steps on.
 */
import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { ErrorCode, WorldtickError } from '../errors.js';
import { encodeCapture, type WorldCapture } from '../persist/world-snapshot.js';

/** What a log's header says of its starting checkpoint. */
export interface StartCheckpoint {
  /** The checkpoint file: relative to the log's directory (as the recorder writes it) or absolute. */
  file: string;
  /** sha256 of the file's bytes, hex. */
  sha256: string;
  /** Size of the file in bytes. */
  bytes: number;
  /** The world's step and world time (world seconds) when recording started: the first recorded step. */
  step: number;
  worldTime: number;
  /**
   * Jobs submitted before recording started. Job ids in the log (starts, settlements) are relative
   * to it, so they match the ids of the replayed world's fresh job queue.
   */
  jobIdBase: number;
  /** Why the log does not start from the seed: `restored` (from a stored checkpoint at start) or `running` (recording began on a running world). */
  reason: 'restored' | 'running';
}

/** The file name of a log's starting checkpoint (next to the log). */
export const startCheckpointPath = (logPath: string): string => `${logPath}.start.wtck`;

/** sha256 of `bytes`, hex. */
export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * Compress a capture and write it next to the log (a temporary file renamed into place, so a file
 * with the final name is complete). Returns what the header says of it.
 */
export const writeStartCheckpoint = async (
  logPath: string,
  capture: WorldCapture,
  o: { jobIdBase: number; reason: StartCheckpoint['reason'] },
): Promise<StartCheckpoint> => {
  const bytes = await encodeCapture(capture);
  const path = startCheckpointPath(logPath);
  await writeFile(`${path}.tmp`, bytes);
  await rename(`${path}.tmp`, path);
  return {
    file: basename(path),
    sha256: sha256Hex(bytes),
    bytes: bytes.byteLength,
    step: capture.step,
    worldTime: capture.worldTime,
    jobIdBase: o.jobIdBase,
    reason: o.reason,
  };
};

/**
 * Read a log's starting checkpoint (`logPath`: the log file, whose directory a relative `file` is
 * resolved against) and check it against the header. Throws `WT_ERR_REPLAY_CHECKPOINT_MISSING`
 * (no such file, unreadable) or `WT_ERR_REPLAY_CHECKPOINT_MISMATCH` (other content than recorded).
 */
export const loadStartCheckpoint = async (logPath: string, start: StartCheckpoint): Promise<Uint8Array> => {
  const path = isAbsolute(start.file) ? start.file : join(dirname(logPath), start.file);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (err) {
    throw new WorldtickError(
      ErrorCode.REPLAY_CHECKPOINT_MISSING,
      `the log starts from checkpoint ${path} (step ${start.step}), which could not be read: ${err instanceof Error ? err.message : String(err)}`,
      { details: { path, step: start.step } },
    );
  }
  const got = sha256Hex(bytes);
  if (got !== start.sha256)
    throw new WorldtickError(
      ErrorCode.REPLAY_CHECKPOINT_MISMATCH,
      `checkpoint ${path} has sha256 ${got} (${bytes.byteLength} bytes); the log recorded ${start.sha256} (${start.bytes} bytes)`,
      { details: { path, want: start.sha256, got } },
    );
  return bytes;
};

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Is `v` a well-formed `start` of a log header? */
export const isStartCheckpoint = (v: unknown): v is StartCheckpoint =>
  isObj(v) &&
  typeof v.file === 'string' &&
  v.file.length > 0 &&
  typeof v.sha256 === 'string' &&
  /^[0-9a-f]{64}$/.test(v.sha256) &&
  Number.isInteger(v.bytes) &&
  Number.isInteger(v.step) &&
  typeof v.worldTime === 'number' &&
  Number.isInteger(v.jobIdBase) &&
  (v.jobIdBase as number) >= 0;
