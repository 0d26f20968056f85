/**
 * What the checkpointer (src/persist/checkpointer.ts) reports: the outcome of one asked-for checkpoint
 * and the per-world figures the admin stats and metrics read.
 */

/** How {@link Checkpointer.checkpoint} went: saved (its step and stored bytes), skipped, failed or no such world. */
export type CheckpointOutcome =
  | { status: 'saved'; step: number; bytes: number }
  | { status: 'not-owner' }
  | { status: 'failed'; error: unknown }
  | { status: 'untracked' };

/**
 * Why `out` is not a checkpoint of the world at `step` (a move's handover needs one: src/server/cluster-migration.ts),
 * or null when it is.
 */
export const checkpointShortfall = (out: CheckpointOutcome, step: number): string | null => {
  if (out.status === 'saved') return out.step === step ? null : `saved step ${out.step}, the world is at step ${step}`;
  if (out.status === 'untracked') return 'the world is not tracked here (deleted meanwhile)';
  if (out.status === 'not-owner')
    return 'this instance could not prove its lease at that moment (not renewed in time, or its fencing token not yet recorded): nothing written';
  return out.error instanceof Error ? out.error.message.slice(0, 200) : String(out.error).slice(0, 200);
};

/** Checkpoint figures of one world (admin stats and metrics). Wall ms unless named otherwise. */
export interface CheckpointReport {
  saved: number;
  failed: number;
  inProgress: boolean;
  /** Wall ms since the epoch of the last saved checkpoint (0 = none yet). */
  lastAt: number;
  lastStep: number;
  /** World seconds at the last saved checkpoint. */
  lastWorldTime: number;
  /** Synchronous copy (the only part inside the loop's turn). */
  lastCopyMs: number;
  /** Compression and store write (on the writer: a worker thread in the runtime). */
  lastEncodeMs: number;
  lastWriteMs: number;
  /** Capture to durable: copy + compression + write. */
  lastDurationMs: number;
  /** Stored (compressed) and raw bytes of the last checkpoint. */
  lastBytes: number;
  lastRawBytes: number;
  lastError: string | null;
  recordsWritten: number;
  recordFailures: number;
  /** Why the last world-record write did not land (the store's error, cut at 200 characters); null once one lands. */
  lastRecordError: string | null;
  /** Step of the last clock record, marked when its write starts or is queued behind the one in flight. */
  lastRecordStep: number;
  /** Writes skipped because this instance could not prove it owns the world (cluster). */
  skippedNotOwner: number;
  /** How this world came back at start, or null if it was created fresh. */
  restored: { fromStep: number; fromWorldTime: number; worldTime: number; ms: number } | null;
}

/** A world's report before anything was written. */
export const emptyReport = (): CheckpointReport => ({
  saved: 0,
  failed: 0,
  inProgress: false,
  lastAt: 0,
  lastStep: -1,
  lastWorldTime: 0,
  lastCopyMs: 0,
  lastEncodeMs: 0,
  lastWriteMs: 0,
  lastDurationMs: 0,
  lastBytes: 0,
  lastRawBytes: 0,
  lastError: null,
  recordsWritten: 0,
  recordFailures: 0,
  lastRecordError: null,
  lastRecordStep: -1,
  skippedNotOwner: 0,
  restored: null,
});
