/**
 * An admin request as the admin server hands it to a cluster `intercept` (src/server/cluster-routes.ts
 * `createAdminIntercept`): sent by a client (not forwarded), with the bearer `t`. `pattern` defaults to `path`.
 */
import type { InterceptedRequest } from '../../src/admin/index.js';

export const interceptedRequest = (
  method: string,
  path: string,
  o: { pattern?: string; params?: Record<string, string>; body?: unknown; query?: string } = {},
): InterceptedRequest => ({
  method,
  path,
  query: new URLSearchParams(o.query ?? ''),
  params: o.params ?? {},
  body: o.body,
  authorization: 'Bearer t',
  forwardedBy: '',
  pattern: o.pattern ?? path,
});
