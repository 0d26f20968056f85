/**
 * What one instance asks of another before it relies on it (cluster mode). Every instance of a
 * cluster must run with the same admin token: forwarded admin requests, migrations
 * (`POST /api/v1/cluster/adopt`) and balance rounds' load reports carry it. A peer that answers 401
 * runs with another one and does not accept this one as its `--admin-token-previous` — most often a
 * token rotation half done without that option (docs/ADMIN.md "Rotating the admin token"). Found in an operator's walkthrough: a migration to such a peer handed the lease over,
 * then its adopt was refused 401, so the world was closed (4015) and failed over; a request
 * forwarded to it answered the operator 401 although the operator's token was right.
 */
import { ErrorCode } from '../errors.js';

/** The message of a peer's 401: the tokens differ. */
export const tokenMismatchMessage = (peer: string, what: string): string =>
  `instance ${peer} refused this instance's admin token (${what}): every instance of a cluster must run with the same ` +
  'admin token, or during a rotation accept the other one as --admin-token-previous (docs/ADMIN.md "Rotating the admin token")';

/** A refusal found by {@link checkMigrationTarget}: nothing was moved. */
export interface PeerRefusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  /** For a drain's list of refusals (`tried`): `token-mismatch`, `unreachable` or `another-instance`. */
  readonly reason: string;
}

/**
 * Before a world is handed over: the target answers this instance's admin token, as itself
 * (`GET /api/v1/cluster/drain`, an authenticated route that reads nothing from Redis or the store).
 * Resolves null when it does; else why not — a 401 (another admin token), another instance's id
 * at that URL, or no answer within `timeoutMs`.
 */
export const checkMigrationTarget = async (
  adminUrl: string,
  token: string,
  target: string,
  timeoutMs: number,
): Promise<PeerRefusal | null> => {
  let res: Response;
  try {
    res = await fetch(`${adminUrl}/api/v1/cluster/drain`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return {
      status: 502,
      code: ErrorCode.MIGRATION_FAILED,
      message: `instance ${target} did not answer (${why}); nothing moved`,
      reason: 'unreachable',
    };
  }
  const text = await res.text().catch(() => '');
  if (res.status === 401)
    return {
      status: 502,
      code: ErrorCode.CLUSTER_TOKEN_MISMATCH,
      message: `${tokenMismatchMessage(target, 'migration')}; nothing moved`,
      reason: 'token-mismatch',
    };
  if (res.status !== 200) return null; // the adopt call decides, as before
  let instance: unknown;
  try {
    instance = (JSON.parse(text) as { instance?: unknown }).instance;
  } catch {
    return null;
  }
  if (typeof instance === 'string' && instance !== target)
    return {
      status: 502,
      code: ErrorCode.MIGRATION_FAILED,
      message: `instance ${target}'s admin URL ${adminUrl} is answered by instance ${instance}; nothing moved`,
      reason: 'another-instance',
    };
  return null;
};
