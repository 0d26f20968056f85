/**
 * The physics system (opt-in): replaces `movement` in the physics phase with collision and
 * separation on a uniform grid, static obstacles, world edges (players stop, NPCs turn),
 * perception for detailed NPCs, navigation for NPCs walking to a goal, and anomaly guards —
 * run inline or on shard workers (src/shards), with the same result either way.
 *
 *   const physics = enablePhysics(world, { obstacles, pool });   // pool: a started ShardPool or null
 *   requestGoal(physics.nav, npc, x, y);                         // walk somewhere
 *   runStep(world);                                              // 'physics' runs in place of 'movement'
 *   physics.sharded.state.shared.percNearest[npc];               // perception results
 *
 * Per step: mark bodies (entities with Position + Velocity; players are those with Player),
 * plan/steer navigation, then `runPhysicsStep` (src/shards/sharded-physics.ts).
 */
import { query } from 'bitecs';
import { validateObstacles } from '../src/physics/obstacles.js';
import { createNavigation, navigationStep, type Navigation, type NavigationOptions } from '../src/physics/navigation.js';
import { createPathfinder } from '../src/physics/pathfinding.js';
import type { PhysicsOptions } from '../src/physics/physics-config.js';
import { createPhysics } from '../src/physics/physics-state.js';
import { BodyKind } from '../src/physics/physics-types.js';
import type { ShardPool } from '../src/shards/shard-pool.js';
import { createShardedPhysics, runPhysicsStep, type ShardedPhysics, type ShardMode } from '../src/shards/sharded-physics.js';
import type { GameWorld as SimWorld, System, SystemEntry } from './types.js';

/** Physics of one world (the handle {@link enablePhysics} returns). */
export interface WorldPhysics {
  readonly sharded: ShardedPhysics;
  readonly nav: Navigation;
  /** The pipeline entry (`phase: 'physics'`). */
  readonly entry: SystemEntry;
}

/** Options of {@link enablePhysics}. */
export interface EnablePhysicsOptions {
  physics?: PhysicsOptions;
  /** Obstacle rectangles (untrusted: validated, `WT_ERR_CONFIG_INVALID` on error). */
  obstacles?: unknown;
  /** A started shard pool built over this world's physics buffers, or null (inline). */
  pool?: ShardPool | null;
  mode?: ShardMode;
  partitions?: number;
  /** The main thread runs partition 0 itself beside the workers (src/shards/sharded-physics.ts). */
  mainRuns?: boolean;
  navigation?: NavigationOptions;
}

/** Mark this step's bodies in `shared.kind`; returns the highest body id. */
const markBodies = (world: SimWorld, kind: Uint8Array): number => {
  const { Position, Velocity, Player } = world.stores;
  kind.fill(0);
  let maxEid = 0;
  const bodies = query(world, [Position, Velocity]);
  for (let i = 0; i < bodies.length; i++) {
    const e = bodies[i]!;
    kind[e] = BodyKind.npc;
    if (e > maxEid) maxEid = e;
  }
  const players = query(world, [Position, Velocity, Player]);
  for (let i = 0; i < players.length; i++) kind[players[i]!] = BodyKind.player;
  return maxEid;
};

/** The system over one world's physics handle. */
export const createPhysicsSystem = (wp: Pick<WorldPhysics, 'sharded' | 'nav'>): System => (world, ctx) => {
  const ps = wp.sharded.state;
  const s = ps.shared;
  ps.maxEid = markBodies(world, s.kind);
  navigationStep(wp.nav, s.px, s.py, s.vx, s.vy, ps.maxEid);
  runPhysicsStep(wp.sharded, ctx.step, ctx.stepSeconds);
};

/**
 * Build the physics state of `world` and put the physics system in place of `movement` (same
 * phase, so the pipeline order stays valid; if there is no
 * `movement` entry, the pipeline is left alone and the caller places `entry`). For a sharded
 * world use {@link preparePhysics}, start a `ShardPool` over `state.shared`, then
 * {@link installPhysics} with that pool.
 */
export const enablePhysics = (world: SimWorld, opts: EnablePhysicsOptions = {}): WorldPhysics => {
  const prepared = preparePhysics(world, opts);
  return installPhysics(world, prepared, opts);
};

/** Physics state of a world before a pool is attached (its `shared` buffers go to `new ShardPool`). */
export const preparePhysics = (world: SimWorld, opts: Pick<EnablePhysicsOptions, 'physics' | 'obstacles'> = {}) => {
  const obstacles = opts.obstacles === undefined ? [] : validateObstacles(opts.obstacles);
  return createPhysics({ capacity: world.capacity, bounds: world.bounds, stores: world.stores, physics: opts.physics ?? {}, obstacles });
};

/** Second half of {@link enablePhysics}: attach the pool, create navigation, install the system. */
export const installPhysics = (world: SimWorld, state: ReturnType<typeof createPhysics>, opts: EnablePhysicsOptions = {}): WorldPhysics => {
  const sharded = createShardedPhysics(state, opts.pool ?? null, {
    ...(opts.mode ? { mode: opts.mode } : {}),
    ...(opts.partitions ? { partitions: opts.partitions } : {}),
    ...(opts.mainRuns ? { mainRuns: true } : {}),
  });
  const nav = createNavigation(createPathfinder(state.obstacles, state.bounds), world.capacity, opts.navigation);
  const entry: SystemEntry = { name: 'physics', phase: 'physics', run: createPhysicsSystem({ sharded, nav }) };
  const pipeline = world.pipeline;
  const at = pipeline.findIndex((e) => e.name === 'movement');
  // Without a movement entry the caller places `entry` in its own pipeline.
  if (at >= 0) world.pipeline = [...pipeline.slice(0, at), entry, ...pipeline.slice(at + 1)];
  return { sharded, nav, entry };
};

/** Everything a world's physics counts, as one plain object (for the admin stats / metrics). */
export const physicsStatsOf = (wp: WorldPhysics) => ({
  physics: { ...wp.sharded.state.stats },
  shards: wp.sharded.pool ? { ...wp.sharded.pool.stats(), mode: wp.sharded.mode, lastSharded: wp.sharded.lastSharded, inlineMs: wp.sharded.inlineMs, shardMs: wp.sharded.shardMs } : null,
  navigation: { ...wp.nav.stats, byOutcome: { ...wp.nav.stats.byOutcome }, queued: wp.nav.size },
});
