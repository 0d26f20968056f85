/**
 * THE assembly module: a full world is the core (src/core) plus every subsystem's slot. This is
 * the one module that knows every subsystem; the core and the subsystems never import it.
 * `createSimWorld` builds the core, then each slot; `destroySimWorld` releases everything a
 * world holds.
 */
import { createWorld, type World } from 'bitecs';
import { DEFAULT_SYSTEMS } from '../../systems/index.js';
import type { SystemEntry } from '../core/phases.js';
import { createWorldCore, type CoreOptions, type WorldCore } from '../core/world-core.js';
import { createScenesSlot, type ScenesSlot } from '../content/scene-job.js';
import { createControllerSlot, type ControllerSlot } from '../controller/controller.js';
import { createIngestSlot, type IngestSlot } from '../ingest/ingest-buffers.js';
import { createIntentsSlot, type IntentsSlot } from '../intents/intent-queue.js';
import { createJobsSlot, type JobsSlot } from '../jobs/job-queue.js';
import { createLedgerSlot, type LedgerSlot } from '../ledger/world-ledger.js';
import { createNetSlot, type NetSlot } from '../net/world-net.js';
import { createPeriodicSlot, stopPeriodicSlot, type PeriodicSlot } from '../periodic/world-periodic.js';
import { createTiersSlot, type TiersSlot } from '../tiers/tiers-slot.js';
import { createGameSlot, type GameSlot } from '../game/slot.js';
import { createPhysicsSlot, resolveWorldPhysics, type PhysicsSlot, type WorldPhysicsConfig } from '../physics/physics-world.js';
import { withPhysics } from '../../systems/physics-system.js';
import { createRecordSlot, type RecordSlot } from '../replay/record-slot.js';
import { createPlayerDataSlot, type PlayerDataSlot } from '../player-data/slot.js';
import { createWorldsSlot, type WorldsSlot } from '../game/worlds-slot.js';
import { createGameLogSlot, type GameLogSlot } from '../game/game-log.js';

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
export interface SimWorldData
  extends WorldCore,
    IngestSlot,
    ControllerSlot,
    JobsSlot,
    ScenesSlot,
    PeriodicSlot,
    NetSlot,
    TiersSlot,
    IntentsSlot,
    GameSlot,
    LedgerSlot,
    PhysicsSlot,
    RecordSlot,
    PlayerDataSlot,
    WorldsSlot,
    GameLogSlot {
  pipeline: readonly SystemEntry<SimWorld>[];
}

/** A full world (what the runtime, the admin API and the game server hold). */
export type SimWorld = World<SimWorldData>;

/** Options of {@link createSimWorld}. */
export interface CreateWorldOptions extends Omit<CoreOptions<SimWorld>, 'systems'> {
  /** The system pipeline; defaults to `systems/index.ts`. */
  systems?: readonly SystemEntry<SimWorld>[];
  /**
   * Physics (src/physics/physics-world.ts): `true`, `false`/absent (off: `movement` integrates),
   * a block `{ enabled, shards, mode, map, obstacles, tuning, navigation }` (untrusted: validated,
   * `WT_ERR_CONFIG_INVALID` listing every problem), or an already resolved config. With physics
   * the pipeline gets the `physics` system in place of `movement` at creation.
   */
  physics?: unknown;
}

const isResolvedPhysics = (v: unknown): v is WorldPhysicsConfig & { resolved: true } =>
  typeof v === 'object' && v !== null && (v as { resolved?: unknown }).resolved === true;

/** Resolve a physics block once (e.g. to read a map file once for many worlds); pass the result as `physics`. */
export const resolvePhysicsOption = (
  raw: unknown,
  opts: Parameters<typeof resolveWorldPhysics>[1] = {},
): WorldPhysicsConfig & { resolved: true } => (isResolvedPhysics(raw) ? raw : { ...resolveWorldPhysics(raw, opts), resolved: true });

/** Create a world. Throws `WT_ERR_CONFIG_INVALID` / `WT_ERR_OPTION_INVALID` on bad options. */
export const createSimWorld = (opts: CreateWorldOptions): SimWorld => {
  const physics = opts.physics === undefined || opts.physics === false ? null : resolvePhysicsOption(opts.physics);
  const systems = opts.systems ?? DEFAULT_SYSTEMS;
  const { physics: _p, ...coreOpts } = opts;
  const core = createWorldCore<SimWorld>({ ...coreOpts, systems: physics?.enabled ? withPhysics(systems) : systems });
  const tiers = createTiersSlot(core); // first: it validates the grid size against the world size
  const base = Object.assign(
    core,
    createIngestSlot(),
    createControllerSlot(core),
    createJobsSlot(),
    createScenesSlot(),
    createNetSlot(),
    tiers,
    createIntentsSlot(core),
    createGameSlot(),
    createLedgerSlot(),
    createPhysicsSlot(core, physics),
    createRecordSlot(),
    createPlayerDataSlot(),
    createWorldsSlot(),
    createGameLogSlot(),
  );
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
  world.record = null;
  world.worldsApi = null;
  world.gameLogSink = null;
};

export { spawnNpc, spawnPlayer } from './spawn.js';
