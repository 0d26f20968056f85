/**
 * The level and message of a failed world record or checkpoint write (docs/ADMIN.md "Logs": error
 * means act on it). Operators page on error, so the expected failures of cluster moves and short
 * outages are warnings that say what happened:
 *
 * - `WT_ERR_STORE_FENCED`: the world moved (migration, drain, failover) and the store refused the
 *   old owner's write, as fencing is meant to; nothing acknowledged depends on it (the new owner
 *   writes the world from then on) → warn `… refused: world moved to instance X (fencing token N < M); dropped, as designed`.
 * - `WT_ERR_STORE_UNAVAILABLE` of a passing outage ({@link TRANSIENT_REASONS}: a PostgreSQL restart or
 *   failover, a connection or query timeout, a SQLite lock held elsewhere): retried → warn while the
 *   world's writes have failed for less than {@link STORE_OUTAGE_ERROR_MS}, error once it lasts longer;
 *   of another reason (disk full, read-only, I/O error) → error.
 * - anything else (a bug, a corrupt or full store…) → error.
 */
import { isWorldtickError, type WorldtickError } from '../errors.js';
import type { Logger } from '../log.js';

/** Wall ms a world's writes may fail with `WT_ERR_STORE_UNAVAILABLE` before the line is an error (a store restart or failover is shorter). */
export const STORE_OUTAGE_ERROR_MS = 30_000;

/**
 * The `WT_ERR_STORE_UNAVAILABLE` reasons of an outage that passes by itself (a restart, a failover, a
 * lock or load that clears); `full`, `readonly`, `io`, `cantopen`, `corrupt`, `moved`, `schema` need an operator.
 */
export const TRANSIENT_REASONS: ReadonlySet<string> = new Set(['connection', 'timeout', 'busy', 'idle', 'pool-busy']);

/** The reason of a `WT_ERR_STORE_UNAVAILABLE`, if `err` is one. */
export const storeUnavailableReason = (err: unknown): unknown =>
  isWorldtickError(err, 'WT_ERR_STORE_UNAVAILABLE') ? (err.details as { reason?: unknown } | undefined)?.reason : undefined;

/** Whether `err` is a `WT_ERR_STORE_UNAVAILABLE` of an outage that passes by itself ({@link TRANSIENT_REASONS}). */
export const isPassingOutage = (err: unknown): err is WorldtickError => {
  const reason = storeUnavailableReason(err);
  return typeof reason === 'string' && TRANSIENT_REASONS.has(reason);
};

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
    const d = err.details as { token?: number; current?: number } | undefined;
    const where = owner ? `instance ${owner}` : 'another instance';
    logger.warn(
      { err, ...fields, reason: 'fenced', owner, fencingToken: d?.token, storeToken: d?.current },
      `${kind} refused: world ${fields.world} moved to ${where} (fencing token ${d?.token} < ${d?.current}); dropped, as designed`,
    );
    return;
  }
  if (isWorldtickError(err, 'WT_ERR_STORE_UNAVAILABLE')) {
    const reason = storeUnavailableReason(err);
    const ms = Math.round(failingMs);
    // A disk full, a read-only or failing disk is not an outage that passes: error at once.
    logger[isPassingOutage(err) && ms < STORE_OUTAGE_ERROR_MS ? 'warn' : 'error'](
      { err, ...fields, reason: 'unavailable', storeReason: reason, failingMs: ms },
      `${kind} failed`,
    );
    return;
  }
  logger.error({ err, ...fields }, `${kind} failed`);
};
