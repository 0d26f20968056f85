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
import type { SimWorld } from '../world/sim-world.js';

/** What `POST /api/v1/worlds` takes (docs/ADMIN.md "World routes"): the same fields, checked the same way. */
export interface CreateWorldBody {
  /** 1-64 characters of A-Z a-z 0-9 _ - (required: no id is generated). */
  id: string;
  /** Entities the world can hold. Default `npcs + 1000`. */
  capacity?: number;
  /** NPCs to populate (the game's `populate` gets them). Default 0. */
  npcs?: number;
  seed?: number;
  size?: number;
  /** A scheduler-config patch (or `scheduler`; or the top-level `simulation` / `controller` blocks). */
  config?: unknown;
  scheduler?: unknown;
  simulation?: unknown;
  controller?: unknown;
  /** Physics block (inline obstacles only) or `true` / `false`. */
  physics?: unknown;
}

/** A world's summary, as `GET /api/v1/worlds/{id}` answers it (`id`, `step`, `worldTime`, `paused`, `capacity`…). */
export interface WorldSummary {
  readonly id: string;
  /** Cluster mode: the instance that created (owns) it. */
  readonly owner?: string;
  readonly [key: string]: unknown;
}

/** Options of {@link ServerWorlds.create}. */
export interface CreateWorldCallOptions {
  /** Cluster mode: `least-loaded` (default: the least-loaded live instance) or `local` (here), as `?placement=local`. */
  placement?: 'least-loaded' | 'local';
}

/** The in-process worlds API of a running server. */
export interface ServerWorlds {
  /**
   * Create a world of the game, as `POST /api/v1/worlds` does: resolves with its summary once its
   * record is durable; rejects with the route's `WorldtickError` (`WT_ERR_ADMIN_BAD_REQUEST` with
   * `details.problems`, `WT_ERR_WORLD_EXISTS`, `WT_ERR_ADMIN_CONFLICT` for `--max-worlds` / total
   * capacity, `WT_ERR_WORLD_NOT_DURABLE`, ...).
   */
  create(body: CreateWorldBody, options?: CreateWorldCallOptions): Promise<WorldSummary>;
  /**
   * Delete a world, as `DELETE /api/v1/worlds/{id}` does (its sessions closed 4012, the game's
   * `onWorldDeleted`, its record and checkpoints deleted): resolves with `{ deleted, durable }`;
   * rejects with `WT_ERR_WORLD_NOT_FOUND`, or `WT_ERR_ADMIN_CONFLICT` for the default world.
   */
  delete(id: string): Promise<{ deleted: string; durable: boolean }>;
  /** The worlds, as `GET /api/v1/worlds` lists them (in cluster mode the whole cluster's, with `owner`). */
  list(): Promise<WorldSummary[]>;
}

/** What {@link createServerWorlds} needs from the runtime. */
export interface ServerWorldsDeps {
  readonly admin: Pick<AdminServer, 'invoke'>;
  /** True while the runtime runs (between a completed `start` and the beginning of `stop`). */
  readonly running: () => boolean;
}

export const serverNotRunning = (why: string): WorldtickError =>
  new WorldtickError(ErrorCode.SERVER_NOT_RUNNING, `the worlds API cannot be used: ${why}`);

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

/** The worlds API of the server serving each world (set by the runtime when it serves the world). */
const served = new WeakMap<SimWorld, ServerWorlds>();

/** Bind `world` to the worlds API of the runtime that serves it (src/server/runtime.ts, for every world it serves). */
export const bindServerWorlds = (world: SimWorld, api: ServerWorlds): void => {
  served.set(world, api);
};

/**
 * The worlds API of the server running `world` — for game code that holds a world (a hook, a
 * message handler, a timer, a system): `serverWorlds(lobby).create({ id })`. Throws
 * `WT_ERR_SERVER_NOT_RUNNING` for a world no server serves (built with `createGameWorld` alone, a replay).
 */
export const serverWorlds = (world: SimWorld): ServerWorlds => {
  const api = served.get(world);
  if (!api) throw serverNotRunning(`world ${String(world?.id).slice(0, 64)} is not served by a server`);
  return api;
};
