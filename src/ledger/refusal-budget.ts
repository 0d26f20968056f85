/**
 * The per-player budget of recorded refusals. A purchase the ledger balance does not cover is a
 * durable `rejected` row (`TX_INSUFFICIENT_FUNDS`, so its key replays the refusal) only while the
 * player has budget left: a token bucket of `burst` tokens refilled at `perMinute` (wall time).
 * Past it the refusal is answered without a row (`seq` null): it costs no storage, and a retry with
 * the same key is decided again against the balance then. `ok` entries never take from the budget.
 *
 * The bucket outlives the service: a player's first refusal in a service (after a restart, a move of
 * the world to another instance, or once its full bucket was dropped from the table) reads the
 * creation times of the player's refusal rows of the last day in this world's ledger
 * (`Store.ledgerRefusalTimes`, one read per player, then held in memory) and replays them into a
 * bucket that was full a day ago:
 *
 *   tokens = burst at now − 24 h; per stored refusal at t: refill to t (at most burst), then − 1
 *
 * Every stored refusal took a token when it was recorded, so the bucket is where an uninterrupted
 * one would be (or, when refusals were recorded past the budget, in debt: refilled before the next).
 *
 * Bound: at most `burst + perMinute × 1440` refusal rows per player per world ledger in any 24 h,
 * across restarts and moves (defaults: 10 + 1 × 1440 = 1,450; before the budget, 20/s = 1.7
 * million). Rows deleted before they are a day old (`retentionHours` < 24) are not counted, nor
 * more than {@link REFUSAL_READ_LIMIT} per read (the oldest of those read stands for a full bucket).
 */
import { optionInvalid } from '../errors.js';
import { createRateLimiter } from './rate-limit.js';

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

/** Wall ms of refusal history a new bucket starts from (the day of the per-day bound). */
export const REFUSAL_MEMORY_MS = 24 * 3_600_000;
/** Most refusal times read per player (the default budget's day is 1,450). */
export const REFUSAL_READ_LIMIT = 20_000;

/** Reads a player's refusal times (wall ms, oldest first) since `sinceMs`, at most `limit` (`Store.ledgerRefusalTimes` of one world). */
export type RefusalTimesReader = (playerId: string, sinceMs: number, limit: number) => Promise<number[]>;

/** The budget of a ledger service. */
export interface RefusalBudget {
  /** Spend a token for `playerId`: true when this refusal may be recorded. */
  take(playerId: string): boolean;
  /**
   * Start the buckets of those of `playerIds` without one from their stored refusals (one store
   * read each, in parallel; none without a reader or for a held bucket). Call before their `take`.
   */
  load(playerIds: Iterable<string>): Promise<void>;
  /** Buckets held, passes that dropped full (idle) ones, and store reads made. */
  stats(): { buckets: number; prunes: number; reads: number };
}

/**
 * A budget over wall clock `now`, its buckets started from `read` (none: a new player's bucket
 * starts full). Its table is bounded like the purchase rate limiter's (full, i.e. idle, buckets
 * dropped past 10,000; a dropped one is read again when next needed).
 */
export const createRefusalBudget = (o: RefusalBudgetOptions, now: () => number, read?: RefusalTimesReader): RefusalBudget => {
  const burst = o.burst ?? DEFAULT_REFUSAL_BURST;
  const perMinute = o.perMinute ?? DEFAULT_REFUSALS_PER_MINUTE;
  // A refill of 0 would read as "unlimited" to the rate limiter: refused here, not silently unbounded.
  if (!(perMinute > 0)) throw optionInvalid(['ledger.recordedRefusals.perMinute must be a number > 0']);
  if (!(burst >= 0)) throw optionInvalid(['ledger.recordedRefusals.burst must be a number >= 0']);
  if (burst === 0) return { take: () => false, load: async () => {}, stats: () => ({ buckets: 0, prunes: 0, reads: 0 }) };
  const perMs = perMinute / 60_000;
  const limiter = createRateLimiter({ burst, perSecond: perMinute / 60 }, now);
  const limit = Math.min(REFUSAL_READ_LIMIT, Math.ceil(refusalRowsPerDay(o)) + 1);
  let reads = 0;
  const loadOne = async (playerId: string): Promise<void> => {
    const t = now();
    const times = await read!(playerId, t - REFUSAL_MEMORY_MS, limit);
    reads++;
    // Full a day ago (or at the oldest refusal read, when the read was cut at its limit).
    let tokens = burst;
    let at = times.length >= limit ? (times[0] ?? t) : t - REFUSAL_MEMORY_MS;
    for (const c of times) {
      const ct = Math.min(Math.max(c, at), t); // another instance's clock may run ahead
      tokens = Math.min(burst, tokens + (ct - at) * perMs) - 1;
      at = ct;
    }
    if (!limiter.has(playerId)) limiter.seed(playerId, tokens, at);
  };
  return {
    take: (playerId) => limiter.take(playerId),
    async load(playerIds) {
      if (!read) return;
      const need: string[] = [];
      for (const id of playerIds) if (!limiter.has(id)) need.push(id);
      await Promise.all(need.map(loadOne));
    },
    stats: () => ({ ...limiter.stats(), reads }),
  };
};
