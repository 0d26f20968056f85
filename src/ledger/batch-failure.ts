/**
 * What a failed commit of a ledger batch does to the batch (src/ledger/ledger-service.ts's drain loop).
 *
 *   WT_ERR_LEDGER_STALE        another writer moved a balance: the whole batch is tried again (reloaded, decided again)
 *   WT_ERR_LEDGER_DAMAGED      a player's stored balance cannot be rebuilt: that player's requests answered
 *                              TX_UNAVAILABLE, the rest tried again (one damaged player fails no one else)
 *   WT_ERR_STORE_UNAVAILABLE   a passing outage: the whole batch tried again, with backoff, until its deadlines
 *   WT_ERR_STORE_FENCED        the world lost ownership: every request answered TX_UNAVAILABLE, the service fenced
 *   anything else              reported (`onError`), every request answered TX_UNAVAILABLE
 *
 * Every player of the batch is marked dirty first: its balance is reloaded before the next decision.
 */
import { isWorldtickError } from '../errors.js';
import type { LedgerStats, Pending } from './ledger-service-types.js';

/** What the classification reaches of the service. */
export interface BatchFailureContext {
  readonly counters: LedgerStats;
  /** Players whose cached balance must be reloaded (`BalanceCache.dirty`). */
  readonly dirty: Set<string>;
  /** Answer `p` TX_UNAVAILABLE. */
  readonly unavailable: (p: Pending) => void;
  readonly onError: ((err: unknown) => void) | undefined;
  readonly onFenced: ((err: unknown) => void) | undefined;
}

/** The requests of `batch` to commit again after its commit failed with `err` (empty: the batch is done, each answered). */
export const afterFailedCommit = (err: unknown, batch: Pending[], c: BatchFailureContext): Pending[] => {
  for (const p of batch) c.dirty.add(p.req.playerId);
  if (isWorldtickError(err, 'WT_ERR_LEDGER_STALE')) {
    c.counters.staleBatches++;
    return batch;
  }
  if (isWorldtickError(err, 'WT_ERR_LEDGER_DAMAGED')) {
    const damaged = new Set(Reflect.get(Object(err.details), 'players') as string[]);
    c.counters.damagedBatches++;
    c.onError?.(err);
    return batch.filter((p) => {
      if (!damaged.has(p.req.playerId)) return true;
      c.unavailable(p);
      return false;
    });
  }
  if (isWorldtickError(err, 'WT_ERR_STORE_UNAVAILABLE')) return batch;
  if (!isWorldtickError(err, 'WT_ERR_STORE_FENCED')) c.onError?.(err);
  else if (!c.counters.fenced) {
    c.counters.fenced = true;
    c.onFenced?.(err);
  }
  for (const p of batch) c.unavailable(p);
  return [];
};
