/**
 * Retention of recorded refusals: `rejected` ledger rows (`TX_INSUFFICIENT_FUNDS`) older than the
 * retention window are deleted from the store, in chunks, on a wall-clock timer. `ok` entries are
 * never deleted (the store's `pruneLedgerRefusals` touches `status = 'rejected'` rows only), so
 * balances, watermarks and the exactly-once replay of every `ok` key are unchanged. A key whose
 * refusal was pruned is decided again if it is ever sent again (docs/DURABILITY.md "Refusal rows").
 *
 * The delete is store-wide (every world's refusals, also those of deleted worlds); each world's
 * ledger runs one pruner, started at a random point of the interval, so several worlds or instances
 * on one store share the work (a row deleted twice is simply not found the second time).
 */
import { isWorldtickError } from '../errors.js';
import { pruneInChunks } from '../store/bounded-prune.js';
import type { Store } from '../store/types.js';

/** Default retention of refusal rows (hours). */
export const DEFAULT_REFUSAL_RETENTION_HOURS = 24;
/** Wall ms between prune passes. */
export const REFUSAL_PRUNE_INTERVAL_MS = 60_000;
/** Rows deleted per store call (one short transaction). */
export const REFUSAL_PRUNE_CHUNK = 500;
/** Store calls per pass at most (so one pass deletes at most 10,000 rows). */
export const REFUSAL_PRUNE_CHUNKS_PER_PASS = 20;

/** Options of {@link startRefusalPruner}. */
export interface RefusalPrunerOptions {
  store: Store;
  /** Rows older than this (hours, wall time) are deleted; 0 = keep them forever (no pruner). */
  retentionHours: number;
  /** Called with the number of rows each store call deleted (> 0). */
  onPruned: (rows: number) => void;
  /** Called when a pass failed (the next pass tries again). */
  onFailed: (err: unknown) => void;
  /** Wall ms between passes (default {@link REFUSAL_PRUNE_INTERVAL_MS}). */
  intervalMs?: number;
  /** Wall clock (ms), injectable for tests. */
  now?: () => number;
}

/** A running pruner: {@link RefusalPruner.stop} it; {@link RefusalPruner.pass} runs one pass now (tests, operators). */
export interface RefusalPruner {
  pass(): Promise<number>;
  stop(): void;
}

/** Start pruning refusal rows older than the retention (null when `retentionHours` is 0). */
export const startRefusalPruner = (o: RefusalPrunerOptions): RefusalPruner | null => {
  if (!(o.retentionHours > 0)) return null;
  const retentionMs = o.retentionHours * 3_600_000;
  const intervalMs = o.intervalMs ?? REFUSAL_PRUNE_INTERVAL_MS;
  const now = o.now ?? Date.now;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | null = null;

  // Chunks with a turn of the event loop between two (a SQLite delete holds the loop while it runs); stopped: no further chunk.
  const run = (): Promise<number> => {
    const before = now() - retentionMs;
    const chunk = (limit: number): Promise<number> => (stopped ? Promise.resolve(0) : o.store.pruneLedgerRefusals(before, limit));
    return pruneInChunks(chunk, REFUSAL_PRUNE_CHUNK, REFUSAL_PRUNE_CHUNKS_PER_PASS, (n) => n > 0 && o.onPruned(n));
  };
  const pass = (): Promise<number> => {
    if (!running)
      running = run().finally(() => {
        running = null;
      });
    return running;
  };
  const schedule = (delay: number): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      pass().then(
        () => schedule(intervalMs),
        (err: unknown) => {
          // A closed store ends the pruner; anything else (unavailable, a bug) is reported and tried next pass.
          if (isWorldtickError(err, 'WT_ERR_STORE_CLOSED')) stopped = true;
          else o.onFailed(err);
          schedule(intervalMs);
        },
      );
    }, delay);
    timer.unref();
  };
  schedule(Math.floor(Math.random() * intervalMs));
  return {
    pass,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
};
