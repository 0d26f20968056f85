/**
 * A world's scheduler configuration: defaults, schema, validation and partial merge.
 *
 * The original design's JSON (`{ "simulation": { "timeScale": 60, ... "tiers": {...} } }`) is
 * accepted as it is: every key it names exists here with the same meaning. The server's own
 * defaults differ where a real-time server needs it (20 Hz, larger tier caps).
 */
import { configInvalid } from '../errors.js';
import { defaultsOf, mergeAndCheck, type ObjectSpec, type Spec } from './schema.js';

/** Per-tier settings. Radii are world units from the nearest player; tickSeconds world seconds. */
export interface TierConfig {
  /** Most NPCs this tier holds; overflow is demoted to the next tier, farthest first. */
  maxNpcs: number;
  /** Outer radius of the tier (world units). The dormant tier's radius is ignored. */
  radius: number;
  /** World seconds between ticks of an NPC in this tier (0 = every step). */
  tickSeconds: number;
  /** Free text for operators (the original design's block carries one per tier); kept and returned, never read by the simulation. At most 200 characters. */
  description: string;
}

export interface SimulationConfig {
  /** World seconds per simulation second. */
  timeScale: number;
  /** Hard ceiling on NPC ticks per step, all tiers together. */
  maxNpcTicksPerStep: number;
  /** Most jobs started per step. */
  maxJobOpsPerStep: number;
  /** Wall seconds between steps (the fixed timestep); also the unscaled simulation seconds per step. */
  tickIntervalSeconds: number;
  /** Paused worlds do not step (world time frozen) but can be stepped by API. */
  pauseSimulation: boolean;
  /** Most catch-up steps run at once after a stall; time beyond is dropped and counted. */
  maxCatchUpSteps: number;
  /** Share (0..1) of maxNpcTicksPerStep reserved for the detailed tier. */
  detailedReserve: number;
  /** Steps between tier reassignments (reassignment also runs when players moved far). */
  tieringIntervalSteps: number;
  /** Hysteresis margin (world units) an NPC must cross beyond a tier boundary to change tier. */
  tierHysteresis: number;
  /** Share (0..1) of the NPC tick budget guaranteed to each of active/ambient/dormant when due (fairness). */
  tierMinShare: number;
  /** Grid cell size (world units) of the spatial index (read when the world is created). */
  spatialCellSize: number;
  /** Capacity of the NPC-intent queue (rounded up to a power of two; overflow drops oldest; read when the world is created). */
  intentQueueCapacity: number;
  /** World seconds an NPC intent stays deliverable. */
  intentTtlSeconds: number;
  tiers: { detailed: TierConfig; active: TierConfig; ambient: TierConfig; dormant: TierConfig };
}

export interface ControllerConfig {
  /** Target cost of one step in wall milliseconds. */
  frameBudgetMs: number;
  /** Steps in the controller's moving window. */
  windowSteps: number;
  /** Adaptive control on (false: costs are still measured, budgets stay at the config's). */
  enabled: boolean;
  /** Steps of the fast cost average (EWMA) the mode decisions use. */
  reactSteps: number;
  /** First steps of a world that are measured but not acted on (JIT warm-up). */
  warmupSteps: number;
  /** Fast average above degradeAt × budget: normal → degraded. */
  degradeAt: number;
  /** Fast average above emergencyAt × budget (or a spike streak): → emergency. */
  emergencyAt: number;
  /** Fast average below recoverBelow × budget for holdSteps steps: one mode down. */
  recoverBelow: number;
  /** Steps a mode is held (and the calm streak needed) before stepping down. */
  holdSteps: number;
  /** A step costing more than spikeFactor × budget is a spike. */
  spikeFactor: number;
  /** Consecutive spikes that force emergency. */
  spikeStreakLimit: number;
  /** Share (0..1] of the budget the NPC tick budget is steered to when degraded. */
  targetShare: number;
  /** Ingest drain budget (facts per step) in calm conditions; the pedal decays back to it. */
  ingestDrainBaseline: number;
  /** Lowest ingest drain budget (facts per step). */
  ingestDrainMin: number;
  /** Highest ingest drain budget (facts per step). */
  ingestDrainMax: number;
  /** Tier period multiplier (active/ambient/dormant) when degraded; emergency uses its square. */
  degradedTierScale: number;
  /** Far-entity replication: every N steps when degraded; 2N in emergency. */
  degradedFarEvery: number;
  /** Spend headroom before degrading (see the tiers/controller block at the end of this file). */
  autoBudget: AutoBudgetConfig;
  /**
   * CPU budget: share of one core (process.cpuUsage, user + system, over the loop runner's CPU
   * window) above which normal mode counts as over budget and degrades. 0 disables. Default 0.8.
   */
  cpuBudget: number;
}

export interface SchedulerConfig {
  simulation: SimulationConfig;
  controller: ControllerConfig;
  /** Job concurrency caps (see the tiers/controller block at the end of this file). */
  jobs: JobsConfig;
}

const num = (def: number, rule: Omit<Extract<Spec, { kind: 'number' }>, 'kind' | 'default'>, doc?: string): Spec => ({
  kind: 'number',
  default: def,
  ...rule,
  ...(doc ? { doc } : {}),
});

const tier = (maxNpcs: number, radius: number, tickSeconds: number, description: string): Spec => ({
  kind: 'object',
  fields: {
    maxNpcs: num(maxNpcs, { integer: true, min: 0, max: 10_000_000 }),
    radius: num(radius, { min: 0, max: 1e9 }),
    tickSeconds: num(tickSeconds, { min: 0, max: 1e9 }),
    description: { kind: 'string', default: description, maxLength: 200 },
  },
});

// ─── Tiers / controller / jobs block (issue 14 items 5 and 6) ─────────────────────────────
// Added in one piece by the tiers engineer: `controller.autoBudget` and the top-level `jobs`.

/** `controller.autoBudget`: raise the NPC tick budget above `maxNpcTicksPerStep` while there is headroom and a backlog. */
export interface AutoBudgetConfig {
  /** Spend headroom (true) or never exceed `simulation.maxNpcTicksPerStep` (false). */
  enabled: boolean;
  /** Hard cap on the effective NPC tick budget, as a multiple of `simulation.maxNpcTicksPerStep`. */
  maxFactor: number;
  /** Raise only while the fast average and the last step cost less than headroomBelow × frameBudgetMs. */
  headroomBelow: number;
  /** Share (0..1) of frameBudgetMs kept free: the raised budget aims at (1 − reserveShare) × budget, and falls back to the config's the moment a step costs more. */
  reserveShare: number;
}

/** `jobs`: concurrency caps of the world's job queue (read live by the jobs phase). */
export interface JobsConfig {
  /** Most jobs running at once in the world. */
  perWorldConcurrency: number;
  /** Most jobs running at once per user (a player, for jobs requested on a player's behalf). */
  perUserConcurrency: number;
}

const AUTO_BUDGET_SPEC: Spec = {
  kind: 'object',
  fields: {
    enabled: { kind: 'boolean', default: true },
    maxFactor: num(4, { min: 1, max: 100 }),
    headroomBelow: num(0.5, { gt: 0, max: 1 }),
    reserveShare: num(0.25, { min: 0, max: 0.9 }),
  },
};

const JOBS_SPEC: Spec = {
  kind: 'object',
  fields: {
    perWorldConcurrency: num(8, { integer: true, min: 1, max: 10_000 }),
    perUserConcurrency: num(2, { integer: true, min: 1, max: 10_000 }),
  },
};
// ─── end of the tiers / controller / jobs block ──────────────────────────────────────────

/** The schema of {@link SchedulerConfig}; defaults are the server's defaults. */
export const SCHEDULER_CONFIG_SPEC: ObjectSpec = {
  kind: 'object',
  fields: {
    simulation: {
      kind: 'object',
      fields: {
        timeScale: num(60, { gt: 0, max: 1_000_000 }),
        maxNpcTicksPerStep: num(2000, { integer: true, min: 0, max: 10_000_000 }),
        maxJobOpsPerStep: num(10, { integer: true, min: 0, max: 100_000 }),
        tickIntervalSeconds: num(0.05, { min: 0.001, max: 60 }),
        pauseSimulation: { kind: 'boolean', default: false },
        maxCatchUpSteps: num(5, { integer: true, min: 1, max: 1000 }),
        detailedReserve: num(0.25, { min: 0, max: 1 }),
        tieringIntervalSteps: num(5, { integer: true, min: 1, max: 100_000 }),
        tierHysteresis: num(5, { min: 0, max: 1e6 }),
        tierMinShare: num(0.1, { min: 0, max: 0.3 }),
        spatialCellSize: num(64, { gt: 0, max: 1e6 }),
        intentQueueCapacity: num(4096, { integer: true, min: 1, max: 1_048_576 }),
        intentTtlSeconds: num(300, { gt: 0, max: 1e9 }),
        tiers: {
          kind: 'object',
          fields: {
            detailed: tier(500, 50, 0, 'critical to the current scene'),
            active: tier(5000, 150, 60, 'relevant to the current session or story arcs'),
            ambient: tier(50_000, 300, 600, 'same world, not near a player'),
            dormant: tier(1_000_000, 0, 3600, 'coarse, rare updates'),
          },
        },
      },
    },
    controller: {
      kind: 'object',
      fields: {
        frameBudgetMs: num(16, { gt: 0, max: 60_000 }),
        windowSteps: num(60, { integer: true, min: 1, max: 100_000 }),
        enabled: { kind: 'boolean', default: true },
        reactSteps: num(8, { integer: true, min: 1, max: 100_000 }),
        warmupSteps: num(60, { integer: true, min: 0, max: 1_000_000 }),
        degradeAt: num(0.95, { gt: 0, max: 100 }),
        emergencyAt: num(1.5, { gt: 0, max: 100 }),
        recoverBelow: num(0.7, { gt: 0, max: 100 }),
        holdSteps: num(40, { integer: true, min: 1, max: 1_000_000 }),
        spikeFactor: num(2, { gt: 1, max: 100 }),
        spikeStreakLimit: num(3, { integer: true, min: 1, max: 100_000 }),
        targetShare: num(0.85, { gt: 0, max: 1 }),
        ingestDrainBaseline: num(5000, { integer: true, min: 1, max: 10_000_000 }),
        ingestDrainMin: num(100, { integer: true, min: 1, max: 10_000_000 }),
        ingestDrainMax: num(50_000, { integer: true, min: 1, max: 10_000_000 }),
        degradedTierScale: num(2, { min: 1, max: 1000 }),
        degradedFarEvery: num(2, { integer: true, min: 1, max: 1000 }),
        autoBudget: AUTO_BUDGET_SPEC,
        cpuBudget: num(0.8, { min: 0, max: 1024 }),
      },
    },
    jobs: JOBS_SPEC,
  },
};

/** A fresh copy of the server's default scheduler configuration. */
export const defaultSchedulerConfig = (): SchedulerConfig => defaultsOf(SCHEDULER_CONFIG_SPEC) as SchedulerConfig;

/**
 * Keys read only when a world is created (they size its spatial grid and intent queue): on a
 * running world a change is refused (never stored without effect).
 */
export const CREATION_TIME_KEYS: readonly (keyof SimulationConfig)[] = ['spatialCellSize', 'intentQueueCapacity'];

/**
 * Merge a partial update over `current`, validate the result and return it. Throws
 * `WT_ERR_CONFIG_INVALID` listing every problem; `current` is never modified.
 */
export const mergeSchedulerConfig = (current: SchedulerConfig, patch: unknown): SchedulerConfig => {
  const r = mergeAndCheck(SCHEDULER_CONFIG_SPEC, current, patch);
  if (!r.ok) throw configInvalid(r.problems);
  const c = r.value.controller;
  const rel: string[] = [];
  if (!(c.recoverBelow < c.degradeAt)) rel.push('controller.recoverBelow must be < controller.degradeAt (hysteresis band)');
  if (!(c.degradeAt < c.emergencyAt)) rel.push('controller.degradeAt must be < controller.emergencyAt');
  if (!(c.ingestDrainMin <= c.ingestDrainBaseline && c.ingestDrainBaseline <= c.ingestDrainMax))
    rel.push('controller.ingestDrainMin <= ingestDrainBaseline <= ingestDrainMax must hold');
  const ab = c.autoBudget;
  if (!(ab.headroomBelow <= 1 - ab.reserveShare))
    rel.push('controller.autoBudget.headroomBelow must be <= 1 - controller.autoBudget.reserveShare');
  if (rel.length) throw configInvalid(rel);
  return r.value;
};
