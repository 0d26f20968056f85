/**
 * THE assembly module: a full world is the core (src/core) plus every subsystem's slot. This is
 * the one module that knows every subsystem; the core and the subsystems never import it.
 * `createSimWorld` builds the core, then each slot; `destroySimWorld` releases everything a
 * world holds.
 */
import { addComponent, createWorld, type World } from 'bitecs';
import { DEFAULT_SYSTEMS } from '../../systems/index.js';
import type { SystemEntry } from '../core/phases.js';
import { createWorldCore, spawnEntity, type CoreOptions, type CoreWorld, type WorldCore } from '../core/world-core.js';
import { createScenesSlot, type ScenesSlot } from '../content/scene-job.js';
import { createControllerSlot, type ControllerSlot } from '../controller/controller.js';
import { createIngestSlot, type IngestSlot } from '../ingest/ingest-buffers.js';
import { createIntentsSlot, type IntentsSlot } from '../intents/intent-queue.js';
import { createJobsSlot, type JobsSlot } from '../jobs/job-queue.js';
import { createNetSlot, type NetSlot } from '../net/world-net.js';
import { createPeriodicSlot, stopPeriodicSlot, type PeriodicSlot } from '../periodic/world-periodic.js';
import { createTiersSlot, type TiersSlot } from '../tiers/tiers-slot.js';

export {
  baseBudgets,
  despawnEntity,
  entityCount,
  spawnEntity,
  updateWorldConfig,
  type Bounds,
  type StepBudgets,
  type StepContext,
  type StepStats,
  type WorldClock,
  type WorldCore,
  type WorldCounters,
  type WorldFault,
} from '../core/world-core.js';
export { MAX_SPATIAL_CELLS } from '../tiers/tiers-slot.js';

/** A full world's data: the core and every subsystem slot. */
export interface SimWorldData extends WorldCore, IngestSlot, ControllerSlot, JobsSlot, ScenesSlot, PeriodicSlot, NetSlot, TiersSlot, IntentsSlot {
  pipeline: readonly SystemEntry<SimWorld>[];
}

/** A full world (what the runtime, the admin API and the game server hold). */
export type SimWorld = World<SimWorldData>;

/** Options of {@link createSimWorld}. */
export interface CreateWorldOptions extends Omit<CoreOptions<SimWorld>, 'systems'> {
  /** The system pipeline; defaults to `systems/index.ts`. */
  systems?: readonly SystemEntry<SimWorld>[];
}

/** Create a world. Throws `WT_ERR_CONFIG_INVALID` / `WT_ERR_OPTION_INVALID` on bad options. */
export const createSimWorld = (opts: CreateWorldOptions): SimWorld => {
  const core = createWorldCore<SimWorld>({ ...opts, systems: opts.systems ?? DEFAULT_SYSTEMS });
  const tiers = createTiersSlot(core); // first: it validates the grid size against the world size
  const base = Object.assign(core, createIngestSlot(), createControllerSlot(core), createJobsSlot(), createScenesSlot(), createNetSlot(), tiers, createIntentsSlot(core));
  // The scheduler's tasks read the world when they run: build its slot on the same object.
  const data: SimWorldData = Object.assign(base, createPeriodicSlot(base));
  return createWorld(data);
};

/**
 * Release everything a world holds outside its typed arrays: jobs closed (in-flight ones aborted,
 * their timers cleared), scenes off, periodic tasks removed and the bus's subscribers and history
 * cleared, the net slot freed. Call it after the world left the loop (and after the game server
 * detached it); the world must not be stepped afterwards. Idempotent.
 */
export const destroySimWorld = (world: SimWorld): void => {
  world.jobs.close();
  world.scenes = null;
  stopPeriodicSlot(world);
  world.net = null;
};

/** Spawn an NPC at (x, y) with all NPC components. Stores keep their defaults otherwise. */
export const spawnNpc = (world: CoreWorld, x: number, y: number, kind = 0): number => {
  const eid = spawnEntity(world);
  const s = world.stores;
  for (const c of [s.Position, s.Velocity, s.Npc, s.Behavior, s.Interaction, s.Tier]) addComponent(world, eid, c);
  s.Position.x[eid] = x;
  s.Position.y[eid] = y;
  s.Velocity.x[eid] = 0;
  s.Velocity.y[eid] = 0;
  s.Npc.kind[eid] = kind;
  s.Npc.homeX[eid] = x;
  s.Npc.homeY[eid] = y;
  // Tick clocks start at spawn time, so the first tick's catch-up covers only the NPC's own life.
  s.Tier.lastTickedAt[eid] = s.Tier.nextTickAt[eid] = s.Behavior.nextDecisionAt[eid] = world.clock.now;
  s.Behavior.activityStartedAt[eid] = world.clock.now;
  return eid;
};

/** Spawn a player entity at (x, y). */
export const spawnPlayer = (world: CoreWorld, x: number, y: number, interestRadius = 100): number => {
  const eid = spawnEntity(world);
  const s = world.stores;
  for (const c of [s.Position, s.Velocity, s.Player]) addComponent(world, eid, c);
  s.Position.x[eid] = x;
  s.Position.y[eid] = y;
  s.Velocity.x[eid] = 0;
  s.Velocity.y[eid] = 0;
  s.Player.interestRadius[eid] = interestRadius;
  s.Player.lastInputSeq[eid] = 0;
  return eid;
};
