/**
 * The world core: the data every world has whatever subsystems it carries (id, capacity, seed,
 * stores, clock, validated scheduler config, PRNG, bounds, counters, per-step stats and context,
 * fault, pipeline), and free functions over it (create, config update, spawn/despawn).
 *
 * The core knows no subsystem. A subsystem declares the slot it adds (`IngestSlot`, `TiersSlot`...)
 * and types its functions on `World<WorldCore & ItsSlot & ...what it reads>`; the assembly module
 * (src/world/sim-world.ts) builds a full world from the core and every slot.
 */
import { addEntity, entityExists, getAllEntities, removeEntity, type World } from 'bitecs';
import { createStores, releaseEntityRows, resetEntityRow, type Stores } from '../../components/index.js';
import { defaultSchedulerConfig, mergeSchedulerConfig, type SchedulerConfig } from '../config/scheduler-config.js';
import { capacityExceeded, optionInvalid, WorldtickError, ErrorCode } from '../errors.js';
import { PHASE_COUNT, PHASES, phaseIndexOf, type SystemEntry } from './phases.js';
import { createPrng, type Prng } from './prng.js';
import { baseBudgets, type StepContext } from './step-context.js';

export { baseBudgets, type StepBudgets, type StepContext } from './step-context.js';

/**
 * World time. `now` is world seconds (float64); `step` counts completed steps.
 *
 * `now` is not a running sum of the steps' world seconds (0.05 added 160 times is 7.999999999999..,
 * so a timer due at 8 fired a step late): the time system sets it to `originNow + (step −
 * originStep) × originDt`, one rounding per step, re-anchored where the step's world seconds
 * change (a new tick interval or time scale) or `now`/`step` were set from outside (a restore).
 * The origin travels in checkpoints with the rest of the clock, so a restored world continues with
 * the same times as one that never stopped.
 */
export interface WorldClock {
  now: number;
  step: number;
  paused: boolean;
  /** World time at the origin step (internal: the time system's anchor). */
  originNow: number;
  /** Completed steps at the origin. */
  originStep: number;
  /** World seconds per step since the origin (0 before the first step). */
  originDt: number;
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

/** Wall-clock cost of the last step, per phase and per system (milliseconds). */
export interface StepStats {
  phaseMs: Float64Array;
  /** Per pipeline entry (parallel to `pipeline`): which system of a phase costs what. */
  systemMs: Float64Array;
  totalMs: number;
}

/** World extent in world units. */
export interface Bounds {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

/** Why a world stopped: the failing system and step (cleared by resume). */
export interface WorldFault {
  code: string;
  message: string;
  system: string;
  step: number;
}

/** The data every world has. Subsystem slots are added on top (see src/world/sim-world.ts). */
export interface WorldCore {
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
  /**
   * The system pipeline. Typed `never` here (the core does not know the full world type);
   * an assembled world narrows it to `SystemEntry<ItsWorld>` (see {@link PipelineWorld}).
   */
  pipeline: readonly SystemEntry<never>[];
  /** Pipeline phase index per entry (parallel to `pipeline`). */
  pipelinePhase: Uint8Array;
}

/** A bitecs world holding just the core. */
export type CoreWorld = World<WorldCore>;

/** A world whose pipeline runs on the world itself (what {@link runStep} needs). */
export type PipelineWorld<W> = CoreWorld & { readonly pipeline: readonly SystemEntry<W>[] };

/** Options of {@link createWorldCore}. */
export interface CoreOptions<W> {
  id: string;
  /** Most entities (NPCs + players) the world holds; stores are sized by it. Default 20,000. */
  capacity?: number;
  /** PRNG seed (uint32). Default 1. */
  seed?: number;
  /** Partial scheduler config merged over the defaults (validated). */
  config?: unknown;
  /** World extent in world units (square, from 0). Default 2,000. */
  size?: number;
  /** The system pipeline, in phase order. */
  systems: readonly SystemEntry<W>[];
}

const checkPipeline = (systems: readonly SystemEntry<never>[]): Uint8Array => {
  const phases = new Uint8Array(systems.length);
  let last = -1;
  for (let i = 0; i < systems.length; i++) {
    const s = systems[i];
    const p = phaseIndexOf(s.phase);
    if (p === undefined) throw optionInvalid([`system ${String(s.name)} has unknown phase ${JSON.stringify(s.phase) ?? typeof s.phase}`]);
    if (p < last) throw optionInvalid([`system ${s.name} (phase ${s.phase}) is out of phase order (${PHASES.join(' → ')})`]);
    last = p;
    phases[i] = p;
  }
  return phases;
};

/**
 * Validate the options and build the core data (not yet a bitecs world: the assembly adds the
 * slots, then calls `createWorld`). Throws `WT_ERR_OPTION_INVALID` / `WT_ERR_CONFIG_INVALID`.
 */
export const createWorldCore = <W>(opts: CoreOptions<W>): WorldCore & { pipeline: readonly SystemEntry<W>[] } => {
  const capacity = opts.capacity ?? 20_000;
  const problems: string[] = [];
  if (typeof opts.id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(opts.id)) problems.push('id must be 1-64 characters of A-Z a-z 0-9 _ -');
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > 50_000_000)
    problems.push('capacity must be an integer between 1 and 50000000');
  const seed = opts.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) problems.push('seed must be an integer between 0 and 4294967295');
  const size = opts.size ?? 2000;
  if (typeof size !== 'number' || !(size > 0) || size > 1e7) problems.push('size must be a number > 0 and <= 10000000');
  if (problems.length) throw optionInvalid(problems);
  const config = mergeSchedulerConfig(defaultSchedulerConfig(), opts.config ?? {});
  const systems = opts.systems;
  const sim = config.simulation;
  return {
    id: opts.id,
    capacity,
    seed,
    stores: createStores(capacity),
    clock: { now: 0, step: 0, paused: sim.pauseSimulation, originNow: 0, originStep: 0, originDt: 0 },
    config,
    configVersion: 0,
    rng: createPrng(seed),
    bounds: { minX: 0, minY: 0, maxX: size, maxY: size },
    counters: { steps: 0, droppedSteps: 0, droppedSeconds: 0, faults: 0 },
    stats: { phaseMs: new Float64Array(PHASE_COUNT), systemMs: new Float64Array(systems.length), totalMs: 0 },
    ctx: {
      step: 0,
      stepSeconds: sim.tickIntervalSeconds,
      dtWorld: sim.tickIntervalSeconds * sim.timeScale,
      budgets: baseBudgets(config),
    },
    fault: null,
    pipeline: systems,
    pipelinePhase: checkPipeline(systems),
  };
};

/**
 * Apply a partial scheduler-config update: merged, validated, then applied atomically.
 * Throws `WT_ERR_CONFIG_INVALID` listing every problem; on error nothing changes.
 */
export const updateWorldConfig = (world: CoreWorld, patch: unknown): SchedulerConfig => {
  const next = mergeSchedulerConfig(world.config, patch);
  world.config = next;
  world.configVersion++;
  Object.assign(world.ctx.budgets, baseBudgets(next));
  world.clock.paused = next.simulation.pauseSimulation;
  return next;
};

/** Add an entity, enforcing the world's capacity (a clear error, never a write past a store). */
export const spawnEntity = (world: CoreWorld): number => {
  const eid = addEntity(world);
  if (eid > world.capacity) {
    removeEntity(world, eid);
    throw capacityExceeded(world.id, world.capacity);
  }
  resetEntityRow(world.stores, eid); // ids are recycled: clear what the last owner left
  return eid;
};

/** Remove an entity; throws `WT_ERR_ENTITY_NOT_FOUND` if it is not alive. */
export const despawnEntity = (world: CoreWorld, eid: number): void => {
  if (!entityExists(world, eid)) throw new WorldtickError(ErrorCode.ENTITY_NOT_FOUND, `entity ${eid} does not exist`);
  releaseEntityRows(world.stores, eid); // its player / chain-timer rows go back to their tables
  removeEntity(world, eid);
};

/** Number of live entities. */
export const entityCount = (world: CoreWorld): number => getAllEntities(world).length;
