/**
 * The per-player budget of recorded refusals. A purchase the ledger balance does not cover is a
 * durable `rejected` row (`TX_INSUFFICIENT_FUNDS`, so its key replays the refusal) only while the
 * player has budget left: a token bucket of `burst` tokens refilled at `perMinute` (wall time).
 * Past it the refusal is answered without a row (`seq` null): it costs no storage, and a retry with
 * the same key is decided again against the balance then. `ok` entries never take from the budget.
 *
 * Bound: at most `burst + perMinute × 1440` refusal rows per player per world ledger per day
 * (defaults: 10 + 1 × 1440 = 1,450; before the budget, 20/s = 1.7 million).
 */
import { optionInvalid } from '../errors.js';
import { createRateLimiter, type RateLimiter } from './rate-limit.js';

/** Options of the refusal budget (`ledger.recordedRefusals` of the config file). */
export interface RefusalBudgetOptions {
  /** Refusals recorded at once per player (default {@link DEFAULT_REFUSAL_BURST}; 0 = none is recorded). */
  burst?: number;
  /** Refill: recorded refusals per minute per player, sustained (default {@link DEFAULT_REFUSALS_PER_MINUTE}; > 0). */
  perMinute?: number;
  /**
   * Hours a refusal row is kept before it is deleted (default 24, src/ledger/refusal-retention.ts;
   * 0 = kept forever). Read by the world's ledger, not by the service.
   */
  retentionHours?: number;
}

/** Default bucket size of the refusal budget. */
export const DEFAULT_REFUSAL_BURST = 10;
/** Default refill of the refusal budget (per minute). */
export const DEFAULT_REFUSALS_PER_MINUTE = 1;

/** Most refusal rows one player can add to one world's ledger in a day. */
export const refusalRowsPerDay = (o: RefusalBudgetOptions = {}): number =>
  (o.burst ?? DEFAULT_REFUSAL_BURST) + (o.perMinute ?? DEFAULT_REFUSALS_PER_MINUTE) * 1440;

/**
 * A budget: `take(playerId)` is true (and spends a token) when this refusal may be recorded. Its
 * table is bounded like the purchase rate limiter's (full, i.e. idle, buckets dropped past 10,000).
 */
export const createRefusalBudget = (o: RefusalBudgetOptions, now: () => number): RateLimiter => {
  const burst = o.burst ?? DEFAULT_REFUSAL_BURST;
  const perMinute = o.perMinute ?? DEFAULT_REFUSALS_PER_MINUTE;
  // A refill of 0 would read as "unlimited" to the rate limiter: refused here, not silently unbounded.
  if (!(perMinute > 0)) throw optionInvalid(['ledger.recordedRefusals.perMinute must be a number > 0']);
  if (!(burst >= 0)) throw optionInvalid(['ledger.recordedRefusals.burst must be a number >= 0']);
  if (burst === 0) return { take: () => false, stats: () => ({ buckets: 0, prunes: 0 }) };
  return createRateLimiter({ burst, perSecond: perMinute / 60 }, now);
};
