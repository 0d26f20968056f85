/**
 * A world: a bitecs world whose context holds its stores, clock, validated scheduler config,
 * PRNG, counters and per-step timing. Free functions over this data; the loop runner owns
 * the timers.
 */
import { addComponent, addEntity, createWorld, entityExists, getAllEntities, removeEntity, type World } from 'bitecs';
import { createStores, resetEntityRow, type Stores } from '../../components/index.js';
import { DEFAULT_SYSTEMS } from '../../systems/index.js';
import { PHASE_COUNT, PhaseIndex, PHASES, type SystemEntry } from '../../systems/types.js';
import { defaultSchedulerConfig, mergeSchedulerConfig, type SchedulerConfig } from '../config/scheduler-config.js';
import { capacityExceeded, configInvalid, optionInvalid, WorldtickError, ErrorCode } from '../errors.js';
import { createPrng, type Prng } from './prng.js';
import { IngestBuffers } from '../ingest/ingest-buffers.js';
import { createControllerState, type ControllerState } from '../controller/controller.js';
import { JobQueue } from '../jobs/job-queue.js';
import type { SceneJobs } from '../content/scene-job.js';
import type { EventBus } from '../periodic/event-bus.js';
import type { PeriodicScheduler } from '../periodic/scheduler.js';
import { createWorldBus, createWorldScheduler, type WorldTopics } from '../periodic/world-periodic.js';
import type { WorldNet } from '../net/replication.js';
import { createIntentQueue, type IntentQueue } from '../intents/intent-queue.js';
import { createSpatialIndex, type SpatialIndex } from '../tiers/spatial-index.js';
import { createNpcSimState, createTierStats, type NpcSimState, type TierStats } from '../tiers/tier-state.js';

/** World time. `now` is world seconds (float64); `step` counts completed steps. */
export interface WorldClock {
  now: number;
  step: number;
  paused: boolean;
}

/** Monotonic counters of a world (exported as metrics). */
export interface WorldCounters {
  steps: number;
  /** Steps skipped by the catch-up cap. */
  droppedSteps: number;
  /** Simulation seconds skipped by the catch-up cap (dropped steps × step interval). */
  droppedSeconds: number;
  faults: number;
}

/** Wall-clock cost of the last step, per phase (milliseconds). */
export interface StepStats {
  phaseMs: Float64Array;
  totalMs: number;
}

/** Per-step context handed to every system. One object per world, reused every step. */
export interface StepContext {
  /** Index of the step being run (0-based). */
  step: number;
  /** Unscaled simulation seconds per step (= tickIntervalSeconds). */
  stepSeconds: number;
  /** World seconds this step advances (= stepSeconds × timeScale). */
  dtWorld: number;
  /** Budgets for this step. The controller (control phase) sets them for the next step. */
  budgets: StepBudgets;
}

/**
 * Per-step budgets and quality knobs. Initialised from the scheduler config (and re-initialised
 * when the config changes); the adaptive controller overwrites them in the control phase.
 * Player-facing floors (detailed tier, inputs, transactions) are enforced by their consumers.
 */
export interface StepBudgets {
  /** Most NPC ticks this step, all tiers (detailed reserve included). */
  npcTicks: number;
  /** Most ingest facts drained this step (critical lanes are never cut). */
  ingestDrain: number;
  /** Most jobs started this step. */
  jobOps: number;
  /** ≥ 1: multiplies the tick period of the active/ambient/dormant tiers (AI throttling). */
  tierFrequencyScale: number;
  /** ≥ 1: far (non-detailed) entities are replicated every N steps. */
  farReplicationEvery: number;
  /** Interest quality ladder: 0 full; 1 staler data; 2 smaller radius; 3 longer cooldown. */
  interestQuality: number;
}

/** Budgets straight from the config (what the controller starts from, and the baseline). */
export const baseBudgets = (config: SchedulerConfig): StepBudgets => ({
  npcTicks: config.simulation.maxNpcTicksPerStep,
  ingestDrain: Number.MAX_SAFE_INTEGER,
  jobOps: config.simulation.maxJobOpsPerStep,
  tierFrequencyScale: 1,
  farReplicationEvery: 1,
  interestQuality: 0,
});

export interface Bounds {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

export interface WorldFault {
  code: string;
  message: string;
  system: string;
  step: number;
}

export interface SimWorldData {
  id: string;
  capacity: number;
  seed: number;
  stores: Stores;
  clock: WorldClock;
  config: SchedulerConfig;
  /** Bumped on every accepted config change (the loop re-reads the interval when it moves). */
  configVersion: number;
  rng: Prng;
  bounds: Bounds;
  counters: WorldCounters;
  stats: StepStats;
  ctx: StepContext;
  fault: WorldFault | null;
  pipeline: readonly SystemEntry[];
  /** Pipeline phase index per entry (parallel to `pipeline`). */
  pipelinePhase: Uint8Array;
  /** Ingest buffers: facts pushed from outside the step, applied in the ingest phase. */
  ingest: IngestBuffers;
  /** Frame-budget controller state (mode, cost window, budget steering); see src/controller. */
  controller: ControllerState;
  /** Job queue (long async work; started and applied in the jobs phase); see src/jobs. */
  jobs: JobQueue;
  /** Scene jobs (src/content/scene-job.ts): null until `enableScenes`; the scene-request system then runs. */
  scenes: SceneJobs | null;
  /** The world's typed event bus (periodic triggers, heartbeat, mode changes, stats). */
  bus: EventBus<WorldTopics>;
  /** The world's periodic task scheduler (ticked in the periodic phase); see src/periodic. */
  periodic: PeriodicScheduler;
  /** Replication slot: set by the game server when it serves this world (src/net), else null. */
  net: WorldNet | null;
  /** Spatial index of all positioned entities (`queryRadius`), rebuilt in the tiering phase (src/tiers). */
  spatial: SpatialIndex;
  /** Per-step tier statistics (src/tiers/tier-state.ts). */
  tierStats: TierStats;
  /** Bounded queue of NPC-initiated intents (src/intents), drained by replication. */
  intents: IntentQueue;
  /** Internal state of the tiered NPC simulation: tier lists, selection, behavior tables (src/tiers). */
  npcSim: NpcSimState;
}

export type SimWorld = World<SimWorldData>;

export interface CreateWorldOptions {
  id: string;
  /** Most entities (NPCs + players) the world holds; stores are sized by it. Default 20,000. */
  capacity?: number;
  /** PRNG seed (uint32). Default 1. */
  seed?: number;
  /** Partial scheduler config merged over the defaults (validated). */
  config?: unknown;
  /** World extent in world units (square, from 0). Default 2,000. */
  size?: number;
  /** The system pipeline; defaults to `systems/index.ts`. */
  systems?: readonly SystemEntry[];
}

const checkPipeline = (systems: readonly SystemEntry[]): Uint8Array => {
  const phases = new Uint8Array(systems.length);
  let last = -1;
  for (let i = 0; i < systems.length; i++) {
    const s = systems[i]!;
    const p = PhaseIndex[s.phase];
    if (p === undefined) throw optionInvalid([`system ${s.name} has unknown phase ${String(s.phase)}`]);
    if (p < last) throw optionInvalid([`system ${s.name} (phase ${s.phase}) is out of phase order (${PHASES.join(' → ')})`]);
    last = p;
    phases[i] = p;
  }
  return phases;
};

/** Most spatial-grid cells a world may have (2048²; the grid holds two Int32Arrays of this size). */
export const MAX_SPATIAL_CELLS = 2048 * 2048;

/** A world `size` wide with cells `cellSize` wide must not need a giant grid (was a raw RangeError or GBs). */
const checkGridSize = (size: number, cellSize: number): void => {
  const side = Math.ceil(size / cellSize);
  if (side * side > MAX_SPATIAL_CELLS)
    throw configInvalid([`simulation.spatialCellSize ${cellSize} gives ${side}×${side} spatial grid cells for a world of size ${size} (at most ${MAX_SPATIAL_CELLS}: use spatialCellSize >= ${Math.ceil(size / 2048)})`]);
};

/** Create a world. Throws `WT_ERR_CONFIG_INVALID` / `WT_ERR_OPTION_INVALID` on bad options. */
export const createSimWorld = (opts: CreateWorldOptions): SimWorld => {
  const capacity = opts.capacity ?? 20_000;
  const problems: string[] = [];
  if (typeof opts.id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(opts.id))
    problems.push('id must be 1-64 characters of A-Z a-z 0-9 _ -');
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > 50_000_000)
    problems.push('capacity must be an integer between 1 and 50000000');
  const seed = opts.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) problems.push('seed must be an integer between 0 and 4294967295');
  const size = opts.size ?? 2000;
  if (typeof size !== 'number' || !(size > 0) || size > 1e7) problems.push('size must be a number > 0 and <= 10000000');
  if (problems.length) throw optionInvalid(problems);
  const config = mergeSchedulerConfig(defaultSchedulerConfig(), opts.config ?? {});
  checkGridSize(size, config.simulation.spatialCellSize);
  const systems = opts.systems ?? DEFAULT_SYSTEMS;
  const sim = config.simulation;
  const clock: WorldClock = { now: 0, step: 0, paused: sim.pauseSimulation };
  const data: SimWorldData = {
    id: opts.id,
    capacity,
    seed,
    stores: createStores(capacity),
    clock,
    config,
    configVersion: 0,
    rng: createPrng(seed),
    bounds: { minX: 0, minY: 0, maxX: size, maxY: size },
    counters: { steps: 0, droppedSteps: 0, droppedSeconds: 0, faults: 0 },
    stats: { phaseMs: new Float64Array(PHASE_COUNT), totalMs: 0 },
    ctx: {
      step: 0,
      stepSeconds: sim.tickIntervalSeconds,
      dtWorld: sim.tickIntervalSeconds * sim.timeScale,
      budgets: baseBudgets(config),
    },
    fault: null,
    pipeline: systems,
    pipelinePhase: checkPipeline(systems),
    ingest: new IngestBuffers(),
    controller: createControllerState(config.controller.windowSteps, config.controller.ingestDrainBaseline, sim.maxNpcTicksPerStep),
    jobs: new JobQueue(),
    scenes: null,
    bus: createWorldBus(),
    periodic: null as unknown as PeriodicScheduler, // set below: its tasks read the world
    net: null,
    spatial: createSpatialIndex(capacity, { minX: 0, minY: 0, maxX: size, maxY: size }, sim.spatialCellSize),
    tierStats: createTierStats(),
    intents: createIntentQueue(sim.intentQueueCapacity, clock),
    npcSim: createNpcSimState(capacity),
  };
  data.periodic = createWorldScheduler(data, data.bus);
  return createWorld(data);
};

/**
 * Apply a partial scheduler-config update: merged, validated, then applied atomically.
 * Throws `WT_ERR_CONFIG_INVALID` listing every problem; on error nothing changes.
 */
export const updateWorldConfig = (world: SimWorld, patch: unknown): SchedulerConfig => {
  const next = mergeSchedulerConfig(world.config, patch);
  world.config = next;
  world.configVersion++;
  Object.assign(world.ctx.budgets, baseBudgets(next));
  world.clock.paused = next.simulation.pauseSimulation;
  return next;
};

/** Add an entity, enforcing the world's capacity (a clear error, never a write past a store). */
export const spawnEntity = (world: SimWorld): number => {
  const eid = addEntity(world);
  if (eid > world.capacity) {
    removeEntity(world, eid);
    throw capacityExceeded(world.id, world.capacity);
  }
  resetEntityRow(world.stores, eid); // ids are recycled: clear what the last owner left
  return eid;
};

/** Remove an entity; throws `WT_ERR_ENTITY_NOT_FOUND` if it is not alive. */
export const despawnEntity = (world: SimWorld, eid: number): void => {
  if (!entityExists(world, eid)) throw new WorldtickError(ErrorCode.ENTITY_NOT_FOUND, `entity ${eid} does not exist`);
  removeEntity(world, eid);
};

/** Number of live entities. */
export const entityCount = (world: SimWorld): number => getAllEntities(world).length;

/** Spawn an NPC at (x, y) with all NPC components. Stores keep their defaults otherwise. */
export const spawnNpc = (world: SimWorld, x: number, y: number, kind = 0): number => {
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
export const spawnPlayer = (world: SimWorld, x: number, y: number, interestRadius = 100): number => {
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
