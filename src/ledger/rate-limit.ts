/**
 * Per-player token buckets on wall time: `burst` tokens, refilled at `perSecond`. Decided at the
 * edge of the ledger, before anything is queued; a refused request changes nothing.
 */

/** Rate limit per player. */
export interface RateLimitOptions {
  /** Sustained requests per second per player (default 20; 0 = unlimited). */
  perSecond?: number;
  /** Bucket size: requests allowed at once (default 40). */
  burst?: number;
}

export interface RateLimiter {
  /** Take one token for `playerId`; false when the bucket is empty. */
  take(playerId: string): boolean;
  /** Buckets held now, and passes that dropped full (idle) ones. */
  stats(): { buckets: number; prunes: number };
}

/** A rate limiter whose buckets can be started from a known state (the refusal budget's, refusal-budget.ts). */
export interface SeedableRateLimiter extends RateLimiter {
  /** A bucket is held for `playerId` (else its first `take` starts a full one). */
  has(playerId: string): boolean;
  /** Hold `playerId`'s bucket at `tokens` (may be below 0: a debt refilled first) as of wall ms `at`. */
  seed(playerId: string, tokens: number, at: number): void;
}

/**
 * Buckets kept before full (idle) ones are dropped. After a pass the next one waits until the map
 * has doubled what the pass left, so a map of many partly spent buckets (a slow refill: the
 * refusal budget's is minutes) is scanned O(1) times per new player amortized, not once per new
 * player; the map stays within twice the players with a partly spent bucket (at least this many).
 */
const PRUNE_AT = 10_000;

export const createRateLimiter = (options: RateLimitOptions, now: () => number): SeedableRateLimiter => {
  const perSecond = options.perSecond ?? 20;
  const burst = options.burst ?? 40;
  if (perSecond <= 0) return { take: () => true, stats: () => ({ buckets: 0, prunes: 0 }), has: () => true, seed: () => {} };
  const buckets = new Map<string, { tokens: number; at: number }>();
  let pruneAt = PRUNE_AT;
  let prunes = 0;
  const level = (b: { tokens: number; at: number }, t: number): number => Math.min(burst, b.tokens + ((t - b.at) / 1000) * perSecond);
  const add = (playerId: string, tokens: number, at: number, t: number): { tokens: number; at: number } => {
    if (buckets.size >= pruneAt) {
      for (const [k, v] of buckets) if (level(v, t) >= burst) buckets.delete(k);
      pruneAt = Math.max(PRUNE_AT, buckets.size * 2);
      prunes++;
    }
    const b = { tokens, at };
    buckets.set(playerId, b);
    return b;
  };
  return {
    take(playerId) {
      const t = now();
      const b = buckets.get(playerId) ?? add(playerId, burst, t, t);
      b.tokens = level(b, t);
      b.at = t;
      if (b.tokens < 1) return false;
      b.tokens -= 1;
      return true;
    },
    stats: () => ({ buckets: buckets.size, prunes }),
    has: (playerId) => buckets.has(playerId),
    seed(playerId, tokens, at) {
      const b = buckets.get(playerId);
      if (b) {
        b.tokens = tokens;
        b.at = at;
      } else add(playerId, tokens, at, now());
    },
  };
};
