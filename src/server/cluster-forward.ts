/**
 * An admin request sent on to another instance (docs/CLUSTER.md "Admin"): one hop, marked with this
 * instance's id, waited for as long as the route may take there — 5 s, or 60 s for the routes that run as
 * long as their own bounded waits allow on the owner (a migration: the target's check, 15 s, the checkpoint,
 * the adopt, 15 s; a checkpoint: the store's writes). With the 5 s wait a forwarded migrate answered later was
 * told 503 while the owner went on and moved the world (test/unit/server/forward-wait.test.ts).
 */
import type { InterceptedRequest, RouteResponse } from '../admin/index.js';
import { ErrorCode } from '../errors.js';
import type { ClusterService } from './cluster-service.js';
import { unavailable } from './create-stored-id.js';
import { tokenMismatchMessage } from './peer-check.js';

/** How long forwarded requests are waited for, wall ms (createAdminIntercept's options). */
export interface ForwardWaits {
  /** Every request but those below. Default 5 s. */
  readonly timeoutMs?: number;
  /** `POST /api/v1/worlds/{id}/migrate` and `/checkpoint`. Default 60 s. */
  readonly longTimeoutMs?: number;
}

const LONG_ROUTES = new Set(['/api/v1/worlds/:id/migrate', '/api/v1/worlds/:id/checkpoint']);

/** The wait for `req` forwarded to another instance, wall ms. */
export const forwardWait = (req: InterceptedRequest, w: ForwardWaits): number =>
  req.method === 'POST' && LONG_ROUTES.has(req.pattern) ? (w.longTimeoutMs ?? 60_000) : (w.timeoutMs ?? 5000);

/** The 503 for a forwarded request `who` did not answer within `waitMs`: a write may have been applied there all the same. */
export const notAnswered = (req: InterceptedRequest, who: string, waitMs: number): RouteResponse =>
  unavailable(
    `${who} did not answer within ${waitMs / 1000} s${req.method === 'GET' ? '' : '; the request may still be applied there: look (GET) before sending it again'}`,
  );

/** Send an admin request on to `adminUrl` (one hop, marked with this instance's id), waiting at most `timeoutMs`. */
export const forward = async (
  cluster: ClusterService,
  req: InterceptedRequest,
  adminUrl: string,
  to: string,
  timeoutMs: number,
): Promise<RouteResponse> => {
  const qs = req.query.toString();
  const res = await fetch(`${adminUrl}${req.path}${qs ? `?${qs}` : ''}`, {
    method: req.method,
    headers: {
      authorization: req.authorization,
      'x-worldtick-forwarded-by': cluster.instanceId,
      ...(req.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(req.body === undefined ? {} : { body: JSON.stringify(req.body) }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  // The request passed this instance's token check (current or --admin-token-previous) and was sent on as received: a 401 is the owner not accepting it.
  if (res.status === 401)
    return {
      status: 502,
      json: { code: ErrorCode.CLUSTER_TOKEN_MISMATCH, message: tokenMismatchMessage(to, 'forwarded request') },
      headers: { 'X-Worldtick-Owner': to },
    };
  const type = res.headers.get('content-type') ?? 'application/json';
  return { status: res.status, body: text, contentType: type, headers: { 'X-Worldtick-Owner': to } };
};
