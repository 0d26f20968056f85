/**
 * The level and message of a failed world record or checkpoint write (docs/ADMIN.md "Logs": error
 * means act on it). Operators page on error, so the expected failures of cluster moves and short
 * outages are warnings that say what happened:
 *
 * - `WT_ERR_STORE_FENCED`: the world moved (migration, drain, failover) and the store refused the
 *   old owner's write, as fencing is meant to; nothing acknowledged depends on it (the new owner
 *   writes the world from then on) → warn `… refused: world moved to instance X (fencing token N < M); dropped, as designed`.
 * - `WT_ERR_STORE_UNAVAILABLE` (a PostgreSQL restart or failover, a connection or query timeout, a
 *   SQLite lock held elsewhere): retried → warn while the world's writes have failed for less than
 *   {@link STORE_OUTAGE_ERROR_MS}, error once the outage lasts longer.
 * - anything else (a bug, a corrupt or full store…) → error.
 */
import { isWorldtickError } from '../errors.js';
import type { Logger } from '../log.js';

/** Wall ms a world's writes may fail with `WT_ERR_STORE_UNAVAILABLE` before the line is an error (a store restart or failover is shorter). */
export const STORE_OUTAGE_ERROR_MS = 30_000;

/** What failed: a world record (config + clock) or a full checkpoint. */
export type WriteKind = 'world record write' | 'checkpoint';

/**
 * Log a failed write of `world`'s `kind`. `failingMs`: wall ms since the first of the failures in a
 * row (0 for the first); `owner`: the instance now owning the world, when known (cluster view).
 */
export const logWriteFailure = (
  logger: Logger,
  kind: WriteKind,
  err: unknown,
  fields: { world: string; failures?: number },
  failingMs: number,
  owner: string | null,
): void => {
  if (isWorldtickError(err, 'WT_ERR_STORE_FENCED')) {
    // Through the checkpoint writer thread the details may be lost: the message names both tokens.
    const m = /fencing token (\d+) is stale \(store has seen (\d+)\)/.exec(err.message);
    const d = (err.details as { token?: number; current?: number } | undefined) ?? (m ? { token: Number(m[1]), current: Number(m[2]) } : undefined);
    const where = owner ? `instance ${owner}` : 'another instance';
    logger.warn(
      { err, ...fields, reason: 'fenced', owner, fencingToken: d?.token, storeToken: d?.current },
      `${kind} refused: world ${fields.world} moved to ${where} (fencing token ${d?.token} < ${d?.current}); dropped, as designed`,
    );
    return;
  }
  if (isWorldtickError(err, 'WT_ERR_STORE_UNAVAILABLE')) {
    const ms = Math.round(failingMs);
    const persists = ms >= STORE_OUTAGE_ERROR_MS;
    logger[persists ? 'error' : 'warn']({ err, ...fields, reason: 'unavailable', failingMs: ms }, `${kind} failed`);
    return;
  }
  logger.error({ err, ...fields }, `${kind} failed`);
};
