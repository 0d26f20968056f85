/**
 * The in-process front door of world creation and deletion (docs/GAME-API.md "Creating and ending
 * worlds"): `server.worlds` / `serverWorlds(world)`. Every call runs the admin API's own route
 * in process (`AdminServer.invoke`: the same validation, `--max-worlds` and capacity checks,
 * durable record, hooks, cluster placement and forwarding, sessions closed 4012 on a delete), so
 * there is one implementation and two doors. A call never runs inside a step: it starts in the
 * next event-loop turn (a call from a message handler, hook, system or timer runs after the step).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { AdminServer, RouteResponse } from '../admin/index.js';
import { badRequest } from '../admin/http-errors.js';
import { ErrorCode, WorldtickError, type ErrorCodeValue } from '../errors.js';
import { serverNotRunning, type ServerWorlds, type WorldSummary } from '../game/worlds-slot.js';

/** What {@link createServerWorlds} needs from the runtime. */
export interface ServerWorldsDeps {
  readonly admin: Pick<AdminServer, 'invoke'>;
  /** True while the runtime runs (between a completed `start` and the beginning of `stop`). */
  readonly running: () => boolean;
}

const BASE = '/api/v1/worlds';

/** The JSON of a route's answer (a forwarded one is the peer's text). */
const jsonOf = (r: RouteResponse): unknown => {
  if (r.json !== undefined) return r.json;
  if (r.body === undefined) return undefined;
  try {
    return JSON.parse(typeof r.body === 'string' ? r.body : Buffer.from(r.body as Uint8Array).toString('utf8'));
  } catch {
    return undefined;
  }
};

/** A route's answer as a result, or its error (an intercept's or a peer's JSON error body) as a `WorldtickError`. */
const resultOf = (r: RouteResponse): unknown => {
  const status = r.status ?? 200;
  const json = jsonOf(r);
  if (status < 300) return json;
  const e = (json ?? {}) as { code?: unknown; message?: unknown; details?: unknown };
  const code = (typeof e.code === 'string' ? e.code : ErrorCode.ADMIN_INTERNAL) as ErrorCodeValue;
  const message = typeof e.message === 'string' ? e.message : `the worlds API answered ${status}`;
  throw new WorldtickError(code, message, e.details === undefined ? undefined : { details: e.details });
};

const ownerOf = (r: RouteResponse): Record<string, string> => {
  const owner = r.headers?.['X-Worldtick-Owner'];
  return owner ? { owner } : {};
};

/** The worlds API over the admin server's routes (see the module comment). */
export const createServerWorlds = (deps: ServerWorldsDeps): ServerWorlds => {
  /** Out of the caller's step, then only while the runtime runs. */
  const call = async (method: string, path: string, body?: unknown, query?: URLSearchParams): Promise<RouteResponse> => {
    await nextTurn();
    if (!deps.running()) throw serverNotRunning('the server is not running (starting, stopping or stopped)');
    return deps.admin.invoke(method, path, body, query);
  };
  return {
    async create(body, options = {}) {
      // A JavaScript caller's null or string: a coded refusal, not a TypeError reading `placement`.
      if (typeof options !== 'object' || options === null || Array.isArray(options))
        throw badRequest('options must be an object { placement? }', ['options must be an object { placement? }']);
      const query = new URLSearchParams();
      if (options.placement === 'local') query.set('placement', 'local');
      else if (options.placement !== undefined && options.placement !== 'least-loaded')
        throw badRequest('placement must be least-loaded or local', ['placement must be least-loaded or local']);
      // A plain copy: the route sees what a JSON body would hold (no functions, no prototypes).
      let copy: unknown;
      try {
        copy = JSON.parse(JSON.stringify(body ?? null));
      } catch (err) {
        throw badRequest(`body must be JSON data: ${(err as Error).message.slice(0, 120)}`, ['body must be JSON data']);
      }
      const r = await call('POST', BASE, copy, query);
      return { ...(resultOf(r) as WorldSummary), ...ownerOf(r) };
    },
    async delete(id) {
      if (typeof id !== 'string' || id.length === 0) throw badRequest('id must be a non-empty string', ['id must be a non-empty string']);
      const r = await call('DELETE', `${BASE}/${encodeURIComponent(id)}`);
      return resultOf(r) as { deleted: string; durable: boolean };
    },
    async list() {
      const r = await call('GET', BASE);
      return ((resultOf(r) as { worlds?: WorldSummary[] } | undefined)?.worlds ?? []).slice();
    },
  };
};
