/**
 * Bounded prunes (docs/DURABILITY.md "Players and sessions", "Anonymous players"): a store's prune
 * deletes at most `limit` rows per call, oldest first, in one transaction, and its caller runs calls
 * until a short one, a turn of the event loop between two ({@link pruneInChunks}). better-sqlite3 is
 * synchronous: one unbounded DELETE held the event loop — every world's step, every socket — for as
 * long as it ran (100,000 expired sessions: bench/session-prune.ts).
 */
import { optionInvalid } from '../errors.js';

// The session sweep's bounds (src/net/durable-sessions.ts `prune`):
/**
 * An anonymous player's (`g:`) records are deleted once it has no session record left and its player
 * record was not written for this long (wall ms): far longer than the 2 s between the position saves
 * of a live player, so a player still live somewhere (a live record older than 24 h,
 * src/net/durable-sessions.ts `LIVE_RECORD_MS`, pruned under it) keeps its data (docs/DURABILITY.md "Anonymous players").
 */
export const ANONYMOUS_PLAYER_IDLE_MS = 10 * 60 * 1000;
/** Expired session records deleted per store transaction (`Store.pruneSessions`); a sweep runs transactions until none is left. */
export const SESSION_PRUNE_CHUNK = 2000;
/** Anonymous players deleted per store transaction (`Store.pruneAnonymousPlayers`). */
export const ANONYMOUS_PRUNE_CHUNK = 250;
/** Transactions per prune pass (about once a minute), a turn of the event loop between two: at most 2,000 players a pass. */
export const ANONYMOUS_PRUNE_CHUNKS = 8;

/** Most rows one prune call may delete (a sweep asks for far fewer per call). */
export const MAX_PRUNE_LIMIT = 100_000;

/**
 * The refusal of a prune's bad arguments (`WT_ERR_OPTION_INVALID`, before any store work), or null:
 * `timeMs` (named `timeName` in the message) must be a finite number (epoch ms), `limit` an integer
 * 1..{@link MAX_PRUNE_LIMIT}.
 */
export const pruneRefusal = (method: string, timeName: string, timeMs: number, limit: number): Error | null => {
  if (typeof timeMs !== 'number' || !Number.isFinite(timeMs))
    return optionInvalid([`${method} ${timeName} must be a finite number (epoch ms)`]);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PRUNE_LIMIT)
    return optionInvalid([`${method} limit must be an integer 1..${MAX_PRUNE_LIMIT}`]);
  return null;
};

/**
 * Run `prune(chunk)` (one bounded store transaction) until it deletes fewer than `chunk` rows or
 * `maxChunks` calls ran, a turn of the event loop (`setImmediate`) between two: on SQLite each call
 * holds the event loop, so the steps and sockets run between chunks. `onDeleted` hears each call's
 * count as it comes (a later call's failure rejects, the earlier counts stay reported). Resolves to
 * the rows deleted.
 */
export const pruneInChunks = async (
  prune: (limit: number) => Promise<number>,
  chunk: number,
  maxChunks: number,
  onDeleted?: (n: number) => void,
): Promise<number> => {
  let total = 0;
  for (let i = 0; i < maxChunks; i++) {
    if (i > 0) await new Promise<void>((r) => setImmediate(r));
    const n = await prune(chunk);
    total += n;
    onDeleted?.(n);
    if (n < chunk) break;
  }
  return total;
};
