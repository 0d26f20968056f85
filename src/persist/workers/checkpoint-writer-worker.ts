/**
 * Checkpoint writer thread (piscina task; src/persist/checkpoint-writer.ts): deflates the packed
 * world it receives (transferred, not copied) and saves it through this thread's own connection
 * to the store (a second SQLite connection to the same WAL file, or its own PostgreSQL pool),
 * opened on the first task. Everything a checkpoint costs after the copy happens here, off the
 * event loop that runs the steps.
 */
import { openStore, type OpenStoreOptions } from '../../store/open-store.js';
import { deflateSnapshot, snapshotChecksum } from '../snapshot-format.js';
import type { CheckpointInput, Fence, Store } from '../../store/types.js';
import { ErrorCode, WorldtickError } from '../../errors.js';

/** One save: where, the packed bytes and the checkpoint's metadata. */
export interface WriterTask {
  target: OpenStoreOptions;
  packed: Uint8Array;
  input: Omit<CheckpointInput, 'data'>;
  fence?: Fence;
}

/** Stored bytes and timings (wall ms). */
export interface WriterResult {
  storedBytes: number;
  encodeMs: number;
  writeMs: number;
}

/**
 * A coded store error, returned rather than thrown: an error thrown across the thread keeps only its
 * message (structured clone), and the caller must tell `WT_ERR_STORE_FENCED` from `WT_ERR_STORE_UNAVAILABLE`.
 */
export interface WriterFailure {
  failure: { code: string; message: string; details: unknown };
}

// This thread's store connection (one per writer thread, opened by its first task).
const connections = new Map<string, Promise<Store>>();

export default async function writeCheckpoint(task: WriterTask): Promise<WriterResult | WriterFailure> {
  try {
    return await write(task);
  } catch (err) {
    // Every failure of a write is returned: what the caller sees thrown is the thread's own (it could not start, it died).
    if (!(err instanceof WorldtickError))
      return { failure: { code: ErrorCode.STORE_UNAVAILABLE, message: err instanceof Error ? err.message : String(err), details: null } };
    return { failure: { code: err.code, message: err.message, details: err.details } };
  }
}

async function write(task: WriterTask): Promise<WriterResult> {
  const key = JSON.stringify(task.target);
  let store = connections.get(key);
  if (!store) {
    store = openStore(task.target);
    connections.set(key, store);
    store.catch(() => connections.delete(key)); // the next task tries again
  }
  const s = await store;
  const t0 = performance.now();
  const crc32 = snapshotChecksum(task.packed);
  const data = await deflateSnapshot(task.packed);
  const t1 = performance.now();
  const meta = crc32 === undefined ? task.input.meta : { ...task.input.meta, crc32 };
  await s.saveCheckpoint({ ...task.input, ...(meta ? { meta } : {}), data }, task.fence ? { fence: task.fence } : {});
  return { storedBytes: data.byteLength, encodeMs: t1 - t0, writeMs: performance.now() - t1 };
}
