/**
 * Physics as a world slot: the options a world is built with (on/off, shard count and mode,
 * obstacles from the world config or a map file, tuning), validated once with the one schema
 * module (src/config/schema.ts), and the `physics` slot the assembly (src/world/sim-world.ts)
 * adds. A world built with physics gets the `physics` system in the physics phase at creation
 * (in place of `movement`); nothing reassigns a running world's pipeline.
 *
 *   createSimWorld({ id, physics: { shards: 'auto', obstacles: [...] } })   // world.physics set
 *   requestGoal(world.physics.nav, npc, x, y)                                // walk somewhere
 *   new ShardService(world) (src/shards/shard-service.ts)                   // workers, as a runtime service
 *
 * Until a shard service starts (and after it stops) the physics step runs inline; the result is
 * bit-identical either way (docs/ARCHITECTURE.md "Shards").
 */
import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import { configInvalid, isWorldtickError } from '../errors.js';
import { resolveOptions, type ObjectSpec } from '../config/schema.js';
import type { WorldCore } from '../core/world-core.js';
import { createShardedPhysics, type ShardedPhysics, type ShardMode } from '../shards/sharded-physics.js';
import type { ShardPool } from '../shards/shard-pool.js';
import { createPhysicsLod, type PhysicsLod } from './physics-lod.js';
import { createNavigation, type Navigation, type NavigationOptions } from './navigation.js';
import { validateObstacles, type ObstacleRect } from './obstacles.js';
import { createPathfinder } from './pathfinding.js';
import { PHYSICS_DEFAULTS, resolvePhysicsConfig, type PhysicsOptions } from './physics-config.js';
import { createPhysics, type PhysicsState } from './physics-state.js';

/** Largest map file read (bytes). */
export const MAX_MAP_FILE_BYTES = 16 * 1024 * 1024;

/** Most shard workers of one world. */
export const MAX_WORLD_SHARDS = 16;

/** Navigation defaults (src/physics/navigation.ts). */
export const NAV_DEFAULTS: Required<NavigationOptions> = Object.freeze({
  maxPlansPerStep: 16,
  maxExpansions: 4096,
  maxWaypoints: 32,
  speed: 2,
  arriveRadius: 0.75,
  stuckSteps: 40,
});

const num = (def: number, min: number, max: number, integer = false): ObjectSpec['fields'][string] => ({
  kind: 'number',
  default: def,
  min,
  max,
  integer,
});

/** Schema of the `physics` block of a world (obstacles are checked by `validateObstacles`). */
export const WORLD_PHYSICS_SPEC: ObjectSpec = {
  kind: 'object',
  fields: {
    enabled: { kind: 'boolean', default: true, doc: 'physics system in place of movement' },
    shards: {
      kind: 'string',
      default: 'auto',
      pattern: /^(auto|[0-9]|1[0-6])$/,
      doc: 'shard workers: auto (cores - 1, at most 4) or 0..16 (0 = inline)',
    },
    mode: {
      kind: 'enum',
      default: 'auto',
      values: ['auto', 'inline', 'shards'],
      doc: 'inline, shards, or auto (the cheaper by measurement)',
    },
    map: { kind: 'string', default: '', maxLength: 4096, doc: 'JSON map file: an array of obstacle rects, or {"obstacles": [...]}' },
    mainRuns: {
      kind: 'boolean',
      default: true,
      doc: 'with shards, the main thread runs one band itself instead of waiting at the barrier (default: with 1 worker on 2 cores, the only way sharding can beat inline)',
    },
    navigation: {
      kind: 'object',
      fields: {
        maxPlansPerStep: num(NAV_DEFAULTS.maxPlansPerStep, 1, 1_000_000, true),
        maxExpansions: num(NAV_DEFAULTS.maxExpansions, 1, 1_000_000, true),
        maxWaypoints: num(NAV_DEFAULTS.maxWaypoints, 1, 1_000_000, true),
        speed: { kind: 'number', default: NAV_DEFAULTS.speed, gt: 0, max: 1e7 },
        arriveRadius: { kind: 'number', default: NAV_DEFAULTS.arriveRadius, gt: 0, max: 1e7 },
        stuckSteps: num(NAV_DEFAULTS.stuckSteps, 1, 1_000_000, true),
      },
    },
    tuning: {
      kind: 'object',
      fields: {
        cellSize: num(PHYSICS_DEFAULTS.cellSize, 0.01, 1e6),
        npcRadius: num(PHYSICS_DEFAULTS.npcRadius, 0, 1e5),
        playerRadius: num(PHYSICS_DEFAULTS.playerRadius, 0, 1e5),
        maxSpeed: num(PHYSICS_DEFAULTS.maxSpeed, 0, 1e7),
        perceptionRadius: num(PHYSICS_DEFAULTS.perceptionRadius, 0, 1e6),
        perceptionListSize: num(PHYSICS_DEFAULTS.perceptionListSize, 0, 1024, true),
        maxPerCell: num(PHYSICS_DEFAULTS.maxPerCell, 1, 1_000_000, true),
        activeMaxPerCell: num(PHYSICS_DEFAULTS.activeMaxPerCell, 1, 1_000_000, true),
        ambientCollideEvery: num(PHYSICS_DEFAULTS.ambientCollideEvery, 1, 1_000_000, true),
        navCellSize: num(PHYSICS_DEFAULTS.navCellSize, 0.01, 1e6),
      },
    },
  },
};

/** The physics block of a world, resolved and validated. */
export interface WorldPhysicsConfig {
  enabled: boolean;
  /** Shard workers (0 = inline; `auto` resolved against the cores at validation). */
  shards: number;
  mode: ShardMode;
  /** Where the obstacles came from (`''` = the config). */
  map: string;
  mainRuns: boolean;
  tuning: Required<PhysicsOptions>;
  navigation: Required<NavigationOptions>;
  obstacles: ObstacleRect[];
}

/** `auto` shard count: one worker per core beside the main thread, at most 4; 0 on one core. */
export const autoShards = (cores = os.availableParallelism()): number => Math.max(0, Math.min(4, cores - 1));

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The problems a coded validation error lists (its message when it lists none); rethrows anything else. */
export const problemsOf = (err: unknown): string[] => {
  if (isWorldtickError(err)) return [...((err.details as { problems?: string[] } | undefined)?.problems ?? [err.message])];
  throw err;
};

/** Read a map file (untrusted): problems are pushed, the obstacles array (unvalidated) returned. */
const readMap = (path: string, where: string, problems: string[]): unknown => {
  try {
    const st = statSync(path);
    if (!st.isFile()) return void problems.push(`${where}.map ${path} is not a regular file`);
    if (st.size > MAX_MAP_FILE_BYTES) return void problems.push(`${where}.map ${path} is larger than ${MAX_MAP_FILE_BYTES} bytes`);
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (Array.isArray(parsed)) return parsed;
    if (isObj(parsed) && Array.isArray(parsed.obstacles)) return parsed.obstacles;
    problems.push(`${where}.map ${path} must hold an array of obstacles or {"obstacles": [...]}`);
  } catch (err) {
    problems.push(`${where}.map ${path} could not be read as JSON: ${(err as Error).message.slice(0, 200)}`);
  }
  return undefined;
};

/** Options of {@link resolveWorldPhysics}. */
export interface ResolvePhysicsOptions {
  /** Name of the block in problem messages. Default `physics`. */
  path?: string;
  /** Whether `map` (a server-side file path) is allowed (false for the admin API). Default true. */
  allowMapFile?: boolean;
  /** Cores for `shards: auto` (tests). */
  cores?: number;
}

/**
 * Resolve a world's physics block: `true`/`false` or an object of {@link WORLD_PHYSICS_SPEC}
 * fields plus `obstacles` (an array of rects). Throws `WT_ERR_CONFIG_INVALID` listing every
 * problem (schema, obstacles, map file, tuning cross-checks); returns the validated config.
 */
export const resolveWorldPhysics = (raw: unknown, opts: ResolvePhysicsOptions = {}): WorldPhysicsConfig => {
  const where = opts.path ?? 'physics';
  const given: unknown = raw === true ? {} : raw === false ? { enabled: false } : raw;
  const problems: string[] = [];
  if (!isObj(given))
    throw configInvalid([`${where} must be true, false or an object (got ${Array.isArray(given) ? 'an array' : typeof given})`]);
  const { obstacles: rawObstacles, ...rest } = given;
  if (typeof rest.shards === 'number') rest.shards = String(rest.shards);
  const r = resolveOptions(WORLD_PHYSICS_SPEC, WORLD_PHYSICS_DEFAULTS, rest, where);
  if (!r.ok) problems.push(...r.problems);
  const v = r.ok ? r.value : WORLD_PHYSICS_DEFAULTS;
  let obstacles: ObstacleRect[] = [];
  const sources: Array<[unknown, string]> = [];
  if (rawObstacles !== undefined) sources.push([rawObstacles, `${where}.obstacles`]);
  // The map is read even when other fields are bad, so one answer lists every problem.
  const mapPath = r.ok ? v.map : typeof rest.map === 'string' && rest.map.length <= 4096 ? rest.map : '';
  if (mapPath) {
    if (opts.allowMapFile === false) problems.push(`${where}.map is not allowed here (give obstacles inline)`);
    else {
      const fromMap = readMap(mapPath, where, problems);
      if (fromMap !== undefined) sources.push([fromMap, `${where}.map(${mapPath})`]);
    }
  }
  for (const [list, path] of sources) {
    try {
      obstacles = obstacles.concat(validateObstacles(list, path));
    } catch (err) {
      problems.push(...problemsOf(err));
    }
  }
  let tuning = { ...PHYSICS_DEFAULTS };
  if (r.ok) {
    try {
      tuning = resolvePhysicsConfig(v.tuning);
    } catch (err) {
      problems.push(...problemsOf(err).map((p) => p.replace(/^physics\./, `${where}.tuning.`)));
    }
  }
  if (problems.length) throw configInvalid(problems);
  const shards = v.shards === 'auto' ? autoShards(opts.cores) : Number(v.shards);
  return {
    enabled: v.enabled,
    shards,
    mode: v.mode as ShardMode,
    map: v.map,
    mainRuns: v.mainRuns,
    tuning,
    navigation: { ...v.navigation },
    obstacles,
  };
};

interface WorldPhysicsBlock {
  enabled: boolean;
  shards: string;
  mode: string;
  map: string;
  mainRuns: boolean;
  tuning: Required<PhysicsOptions>;
  navigation: Required<NavigationOptions>;
}
const WORLD_PHYSICS_DEFAULTS: WorldPhysicsBlock = {
  enabled: true,
  shards: 'auto',
  mode: 'auto',
  map: '',
  mainRuns: true,
  tuning: { ...PHYSICS_DEFAULTS },
  navigation: { ...NAV_DEFAULTS },
};

/** Physics of one world (the `physics` slot when enabled). */
export interface WorldPhysics {
  readonly config: WorldPhysicsConfig;
  readonly state: PhysicsState;
  /**
   * The step runner: inline until a shard service attaches a started pool (and again after it
   * stops). Swapped between steps only; results are bit-identical either way.
   */
  sharded: ShardedPhysics;
  readonly nav: Navigation;
  /** Level of detail by tier (src/physics/physics-lod.ts): dormant NPCs outside the step. */
  readonly lod: PhysicsLod;
  /** The started pool serving this world, or null (inline). Set by the shard service. */
  pool: ShardPool | null;
  /** Wall ms of the last physics phase's parts (operational: benches, stats; no gameplay value reads them). */
  readonly lastMs: PhysicsPhaseMs;
}

/**
 * Wall ms of the parts of one physics phase: `lod` (the step's body list and the dormant slice's
 * catch-ups, of which `slice` the catch-ups; 0 without level of detail, when `list` is the marking
 * of every body), `nav` (planning and steering), `step` (guard, grid build, kernel, copy-back —
 * inline or sharded).
 */
export interface PhysicsPhaseMs {
  list: number;
  slice: number;
  nav: number;
  step: number;
}

/** The slot physics adds to a world: null when the world was built without physics. */
export interface PhysicsSlot {
  physics: WorldPhysics | null;
}

/** Build the physics slot of a world from its resolved config (null config or disabled → no physics). */
export const createPhysicsSlot = (
  core: Pick<WorldCore, 'capacity' | 'bounds' | 'stores'>,
  config: WorldPhysicsConfig | null,
): PhysicsSlot => {
  if (!config?.enabled) return { physics: null };
  const state = createPhysics({
    capacity: core.capacity,
    bounds: core.bounds,
    stores: core.stores,
    physics: config.tuning,
    obstacles: config.obstacles,
  });
  const nav = createNavigation(createPathfinder(state.obstacles, state.bounds), core.capacity, config.navigation);
  return {
    physics: {
      config,
      state,
      sharded: createShardedPhysics(state, null, { mode: 'inline' }),
      nav,
      lod: createPhysicsLod(),
      pool: null,
      lastMs: { list: 0, slice: 0, nav: 0, step: 0 },
    },
  };
};

/** Everything a world's physics counts, as one plain object (admin stats / metrics); null without physics. */
export const physicsStatsOf = (wp: WorldPhysics | null) => {
  if (!wp) return null;
  const sp = wp.sharded;
  return {
    physics: {
      ...wp.state.stats,
      obstacles: wp.config.obstacles.length,
      lod: { on: wp.lod.on, lastStepBodies: wp.lod.lastStepBodies, lastCoarse: wp.lod.lastCoarse, lastRejoined: wp.lod.lastRejoined },
    },
    shards: {
      configured: wp.config.shards,
      mode: wp.config.mode,
      lastSharded: sp.lastSharded,
      inlineMs: sp.inlineMs,
      shardMs: sp.shardMs,
      auto: {
        sharded: sp.auto.sharded,
        probes: sp.auto.probes,
        switches: sp.auto.switches,
        lastRefMs: sp.auto.lastRefMs,
        lastProbeMs: sp.auto.lastProbeMs,
      },
      pool: sp.pool ? sp.pool.stats() : null,
    },
    navigation: { ...wp.nav.stats, byOutcome: { ...wp.nav.stats.byOutcome }, queued: wp.nav.size },
  };
};

/** The type {@link physicsStatsOf} returns for a world with physics. */
export type PhysicsStatsReport = NonNullable<ReturnType<typeof physicsStatsOf>>;
