/**
 * An admin request sent on to another instance (docs/CLUSTER.md "Admin"): one hop, marked with this
 * instance's id, waited for as long as the route may take there — 5 s, or 60 s for the routes that run as
 * long as their own bounded waits allow on the owner (a migration: the target's check, 15 s, the checkpoint,
 * the adopt, 15 s; a checkpoint: the store's writes). With the 5 s wait a forwarded migrate answered later was
 * told 503 while the owner went on and moved the world (test/unit/server/forward-wait.test.ts).
 */
import type { InterceptedRequest, RouteResponse } from '../admin/index.js';
import { ErrorCode, isWorldtickError, WorldtickError } from '../errors.js';
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
    // The body as received: written out again it could differ or throw (InterceptedRequest.bodyText).
    ...(req.body === undefined ? {} : { body: req.bodyText ?? JSON.stringify(req.body) }),
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

const withPlacedOn = (details: unknown, placedOn: string): Record<string, unknown> => ({
  ...(typeof details === 'object' && details !== null && !Array.isArray(details) ? details : {}),
  placedOn,
});

/**
 * A create placed on `placedOn` that did not answer within `waitMs` is created here instead (`create`): the
 * request reached that instance, or may have, and a create there still running takes the lease and stores the
 * record first. Then this instance's create is refused (409, or 503 while the record is unconfirmed), and that
 * refusal alone would tell the caller the id was taken by someone else. So a refusal here says the world may
 * be the one the caller asked for, created there, and names the instance (`details.placedOn` on a 4xx).
 */
export const createdHereAfterUnansweredPlacement = async (
  create: () => Promise<RouteResponse>,
  worldId: string,
  placedOn: string,
  waitMs: number,
): Promise<RouteResponse> => {
  const note =
    `; the create was first sent to instance ${placedOn} (placement), which did not answer within ${waitMs / 1000} s` +
    ` and may have created world ${worldId} there: look (GET /api/v1/worlds/${worldId}) before sending it again`;
  let res: RouteResponse;
  try {
    res = await create();
  } catch (err) {
    if (!isWorldtickError(err)) throw err;
    throw new WorldtickError(err.code, `${err.message}${note}`, { cause: err, details: withPlacedOn(err.details, placedOn) });
  }
  const status = res.status ?? 200;
  const body = res.json as { message?: unknown; details?: unknown } | undefined;
  if (status < 400 || typeof body?.message !== 'string') return res;
  const json = { ...body, message: `${body.message}${note}` };
  return { ...res, json: status < 500 ? { ...json, details: withPlacedOn(body.details, placedOn) } : json };
};
