/**
 * The physics system: in place of `movement` (same phase) in a world built with physics
 * (`createSimWorld({ physics })`, src/physics/physics-world.ts): collision and separation on a
 * uniform grid, static obstacles, world edges (players stop, NPCs turn), perception for detailed
 * NPCs, navigation for NPCs walking to a goal, and anomaly guards — run inline or on shard
 * workers (src/shards), with the same result either way.
 *
 *   const w = createSimWorld({ id, physics: { obstacles, shards: 2 } });
 *   requestGoal(w.physics!.nav, npc, x, y);                  // walk somewhere
 *   runStep(w);                                              // 'physics' runs in the physics phase
 *   w.physics!.state.shared.percNearest[npc];                // perception results
 *
 * Per step: list the bodies — with tiers and coarse movement, players and non-dormant NPCs while
 * dormant NPCs catch up coarsely in a rotating slice (src/physics/physics-lod.ts); otherwise every
 * entity with Position + Velocity (players are those with Player) — plan/steer navigation, then
 * `runPhysicsStep` (src/shards/sharded-physics.ts). Spectators (the `Spectator` tag) are no bodies:
 * they leave the list and move through everything (src/physics/spectators.ts).
 */
import { query, type World } from 'bitecs';
import type { System, SystemEntry } from '../src/core/phases.js';
import type { WorldCore } from '../src/core/world-core.js';
import { navigationStep } from '../src/physics/navigation.js';
import { physicsLodStep } from '../src/physics/physics-lod.js';
import type { PhysicsSlot } from '../src/physics/physics-world.js';
import { BodyKind } from '../src/physics/physics-types.js';
import { runPhysicsStep } from '../src/shards/sharded-physics.js';
import { moveSpectators } from '../src/physics/spectators.js';

export { physicsStatsOf, type WorldPhysics } from '../src/physics/physics-world.js';

/** The slice of a world the physics system reads. */
export type PhysicsWorld = World<WorldCore & PhysicsSlot>;

/** Mark this step's bodies in `shared.kind`; returns the highest body id. */
const markBodies = (world: PhysicsWorld, kind: Uint8Array): number => {
  const { Position, Velocity, Player } = world.stores;
  kind.fill(0);
  let maxEid = 0;
  const bodies = query(world, [Position, Velocity]);
  for (let i = 0; i < bodies.length; i++) {
    const e = bodies[i];
    kind[e] = BodyKind.npc;
    if (e > maxEid) maxEid = e;
  }
  const players = query(world, [Position, Velocity, Player]);
  for (let i = 0; i < players.length; i++) kind[players[i]] = BodyKind.player;
  return maxEid;
};

/** Physics phase of a world with a `physics` slot (a world without one is left alone). */
export const physicsSystem: System<PhysicsWorld> = (world, ctx) => {
  const wp = world.physics;
  if (!wp) return;
  // Wall time, operational only: the shard `auto` mode compares how long whole physics phases take
  // inline vs sharded, and `lastMs` splits the phase into parts for the benches. No gameplay value
  // reads either (positions and timers use the step's world time).
  const t0 = performance.now();
  const ps = wp.state;
  const s = ps.shared;
  // Level of detail by tier: dormant NPCs leave the step (listed bodies only) and catch up coarsely.
  const lm = wp.lastMs;
  if (!physicsLodStep(world, ps, wp.lod, ctx)) ps.maxEid = markBodies(world, s.kind);
  // Spectators are cameras, not bodies: out of the step, moved on their own (src/physics/spectators.ts).
  moveSpectators(world, s.kind, ctx.stepSeconds);
  const t1 = performance.now();
  navigationStep(wp.nav, s.px, s.py, s.vx, s.vy, ps.maxEid);
  const t2 = performance.now();
  runPhysicsStep(wp.sharded, ctx.step, ctx.stepSeconds, t0); // `auto` times the whole phase
  lm.slice = wp.lod.lastSliceMs;
  lm.list = t1 - t0 - lm.slice;
  lm.nav = t2 - t1;
  lm.step = performance.now() - t2;
};

/** The pipeline entry the assembly puts in place of `movement` in a world built with physics. */
export const PHYSICS_ENTRY: SystemEntry<PhysicsWorld> = { name: 'physics', phase: 'physics', run: physicsSystem };

/**
 * The pipeline of a world with physics: `systems` with `movement` replaced by {@link PHYSICS_ENTRY}
 * (same phase, so the order stays valid). A list that already has a `physics` entry, or has no
 * `movement`, is returned unchanged.
 */
export const withPhysics = <W extends PhysicsWorld>(systems: readonly SystemEntry<W>[]): readonly SystemEntry<W>[] => {
  if (systems.some((e) => e.name === 'physics')) return systems;
  const at = systems.findIndex((e) => e.name === 'movement');
  return at < 0 ? systems : [...systems.slice(0, at), PHYSICS_ENTRY, ...systems.slice(at + 1)];
};
