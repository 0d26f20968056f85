/**
 * What the admin API fuzzes (test/integration/fuzz/admin-api-fuzz.test.ts, cluster-admin-fuzz.test.ts) accept of
 * an answer: a documented status (docs/ADMIN.md "Errors"), an error as a JSON `{code, message}` body of bounded
 * size, 405 with Allow, 401 with WWW-Authenticate, OPTIONS' 204 with Allow and no CORS header.
 */
import type { Gen } from './admin-requests.js';
import type { RawResponse } from './raw-http.js';

const DOCUMENTED = new Set([200, 201, 400, 401, 404, 405, 409, 413, 415]);
/** 503 codes of every mode: a world not made durable, the ledger's store, player data (docs/ADMIN.md "Errors"). */
const CODES_503 = ['WT_ERR_WORLD_NOT_DURABLE', 'TX_UNAVAILABLE', 'WT_ERR_PLAYER_DATA_UNAVAILABLE'];

/** The `code` of a JSON error body, or ''. */
export const errorCode = (r: RawResponse): string => {
  try {
    const c = (JSON.parse(r.body.toString('utf8')) as { code?: unknown }).code;
    return typeof c === 'string' ? c : '';
  } catch {
    return '';
  }
};

/** Statuses and codes a mode adds to the documented ones: cluster mode's 502 and 503 codes. */
export interface ModeStatuses {
  readonly codes502?: readonly string[];
  readonly codes503?: readonly string[];
}

/** Throw (naming `at`) unless `r` is a documented answer to `g`. */
export const checkResponse = (g: Gen, r: RawResponse, at: string, mode: ModeStatuses = {}): void => {
  const { status } = r;
  const isReady = g.req.path.startsWith('/readyz');
  // OPTIONS on a served path: 204 with Allow, never an Access-Control-* header (docs/ADMIN.md).
  const options = g.req.method.toUpperCase() === 'OPTIONS';
  if (status === 204 && (!options || !r.headers.allow || Object.keys(r.headers).some((k) => k.startsWith('access-control-'))))
    throw new Error(`${at}: 204 other than OPTIONS' (Allow, no CORS header): ${JSON.stringify(r.headers)}`);
  // A reward the ledger refuses: 422 / 429 (docs/ADMIN.md "Errors"); a 502 or 503 only with a code that table gives it.
  const reward = /^\/api\/v1\/worlds\/[^/]+\/ledger\/rewards(\?|$)/.test(g.req.path);
  const code = errorCode(r);
  const coded =
    (status === 503 && [...CODES_503, ...(mode.codes503 ?? [])].includes(code)) || (status === 502 && (mode.codes502 ?? []).includes(code));
  if (
    !(
      DOCUMENTED.has(status) ||
      (isReady && status === 503) ||
      (options && status === 204) ||
      (reward && [422, 429].includes(status)) ||
      coded
    )
  )
    throw new Error(`${at}: undocumented status ${status}: ${r.body.toString().slice(0, 300)}`);
  const head = g.req.method.toUpperCase() === 'HEAD';
  if (status === 405 && !r.headers.allow) throw new Error(`${at}: 405 without Allow`);
  if (status >= 400 && !isReady && !head) {
    let b: any;
    try {
      b = JSON.parse(r.body.toString('utf8'));
    } catch {
      throw new Error(`${at}: error ${status} without a JSON body: ${r.body.toString().slice(0, 200)}`);
    }
    // The ledger's codes are TX_* (a reward's refusal, the ledger routes' 503).
    const prefixed =
      typeof b?.code === 'string' && (b.code.startsWith('WT_ERR_') || (g.req.path.includes('/ledger') && b.code.startsWith('TX_')));
    if (!prefixed || typeof b.message !== 'string' || b.message.length === 0) {
      throw new Error(`${at}: error body must be {code, message}: ${r.body.toString().slice(0, 200)}`);
    }
    if (r.body.length > 16 * 1024) throw new Error(`${at}: error body of ${r.body.length} bytes (amplification)`);
    if (status === 401 && !r.headers['www-authenticate']) throw new Error(`${at}: 401 without WWW-Authenticate`);
  }
  if (status === 200 && r.headers['content-type']?.startsWith('application/json') && g.req.method.toUpperCase() !== 'HEAD')
    JSON.parse(r.body.toString('utf8'));
};

/**
 * Whether uWS itself may drop `g` unanswered (the admin handler never runs): a malformed request line (a space or
 * no leading slash in the target, a lower-case or unknown method), a malformed Content-Length, an oversized request.
 */
export const malformedRequest = (g: Gen): boolean =>
  !['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'].includes(g.req.method) ||
  /\s/.test(g.req.path) ||
  !g.req.path.startsWith('/') ||
  g.req.path.length > 4000 ||
  g.req.headers.some(([k, v]) => v.length > 2000 || (k === 'Content-Length' && !/^\d{1,15}$/.test(v)));

/** A request one describes in a failure: method, path, headers and the body's start. */
export const describeRequest = (seed: number, i: number, g: Gen, prefix = ''): string =>
  `seed ${seed} request ${i}: ${prefix}${g.req.method} ${g.req.path.slice(0, 120)} [${g.req.headers.map(([k, v]) => `${k}: ${v.slice(0, 40)}`).join('; ')}] body ${String(g.req.body ?? '').slice(0, 160)}`;
