/**
 * The worlds-API slot of a world (below the assembly): the in-process worlds API of the server that
 * serves the world (src/server/server-worlds.ts implements it over the admin routes; the runtime sets
 * it for every world it serves), so game code that holds a world can create and end worlds:
 * `serverWorlds(world).create({ id })` (docs/GAME-API.md "Creating and ending worlds"). Null for a
 * world no server serves (built by `createGameWorld` alone, a replay) and once the world is destroyed.
 */
import { ErrorCode, WorldtickError } from '../errors.js';

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
  /** Cluster mode: the instance that runs it. */
  readonly owner?: string;
  readonly [key: string]: unknown;
}

/** Options of {@link ServerWorlds.create}. */
export interface CreateWorldCallOptions {
  /** Cluster mode: `least-loaded` (default: the least-loaded live instance) or `local` (here), as `?placement=local`. */
  placement?: 'least-loaded' | 'local';
}

/** The in-process worlds API of a running server (every call runs after the current step). */
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

/** What a world carries for the worlds API. */
export interface WorldsSlot {
  worldsApi: ServerWorlds | null;
}

/** The empty slot (no server). */
export const createWorldsSlot = (): WorldsSlot => ({ worldsApi: null });

/** `WT_ERR_SERVER_NOT_RUNNING`: no running server behind a worlds-API call. */
export const serverNotRunning = (why: string): WorldtickError =>
  new WorldtickError(ErrorCode.SERVER_NOT_RUNNING, `the worlds API cannot be used: ${why}`);

/**
 * The worlds API of the server running `world` — for game code that holds a world (a hook, a
 * message handler, a timer, a system): `serverWorlds(lobby).create({ id })`. Throws
 * `WT_ERR_SERVER_NOT_RUNNING` for a world no server serves (built with `createGameWorld` alone, a
 * replay, a deleted world).
 */
export const serverWorlds = (world: WorldsSlot & { readonly id: string }): ServerWorlds => {
  const api = world?.worldsApi ?? null;
  if (api === null) throw serverNotRunning(`world ${String(world?.id).slice(0, 64)} is not served by a server`);
  return api;
};
