/**
 * Per-step telemetry of every world, fed by the loop runner's `onStep` hook (and by forced
 * steps from the admin API): a step-duration histogram whose bucket edges are multiples of
 * the world's frame budget (the budget itself is an edge), cumulative per-phase cost, a ring of
 * recent step costs for the dashboard chart, NPC ticks per tier over a window of steps, and the
 * controller mode history. The hook allocates nothing on the common path (a few dozen adds).
 *
 *   costRing:  [c0 c1 c2 ... c239]   head → next slot to write; len ≤ 240
 *   tickRing:  [t0d t0a t0m t0o | t1d ...]   4 counts per step, last 100 steps
 */
import { PHASE_COUNT } from '../core/phases.js';
import { TIER_COUNT } from '../../components/tier.js';
import type { SimWorld } from '../world/sim-world.js';
import { modeOf, safeCall, tierTicksOf, worldMode, type StatsSources } from './sources.js';

/** Per-step logging hook the telemetry calls after each step (implemented in src/server/step-log.ts). */
export interface StepLog {
  onStep(world: SimWorld, t: WorldTelemetry, prevMode: string | null | undefined): void;
}

/** Recent step costs kept per world (dashboard chart). */
export const HISTORY_STEPS = 240;
/** Steps in the NPC-ticks-per-tier window. */
export const TICK_WINDOW_STEPS = 100;
/** Controller mode changes kept per world. */
export const MODE_HISTORY = 64;
/** Histogram bucket edges as multiples of the frame budget (1 = the budget). */
export const BUDGET_MULTIPLES: readonly number[] = [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 4, 10];

/** A controller mode change. `atMs` is wall time (epoch ms); `worldTime` world seconds. */
export interface ModeChange {
  step: number;
  worldTime: number;
  atMs: number;
  from: string | null;
  to: string;
}

/** Telemetry of one world. Read by stats and metrics; written only by {@link Telemetry.onStep}. */
export interface WorldTelemetry {
  readonly world: SimWorld;
  /** Frame budget (wall ms) the histogram edges were built for. */
  budgetMs: number;
  /** Upper bucket edges in seconds, ascending (+Inf implied). */
  edgesSec: Float64Array;
  /** Non-cumulative bucket counts; the last slot is +Inf. */
  bucketCounts: Float64Array;
  sumSec: number;
  count: number;
  /** Steps whose cost exceeded the budget. */
  overruns: number;
  /** Cumulative wall ms per phase (indexed by PhaseIndex). */
  phaseTotalMs: Float64Array;
  /** Cumulative wall ms per pipeline entry (parallel to `world.pipeline`). */
  systemTotalMs: Float64Array;
  costRing: Float32Array;
  stepRing: Float64Array;
  ringHead: number;
  ringLen: number;
  tickRing: Int32Array;
  /** Sum of NPC ticks per tier over the last `tickLen` steps. */
  tickWindowSum: Float64Array;
  tickHead: number;
  tickLen: number;
  mode: string | null;
  modeHistory: ModeChange[];
}

/** Per-runtime telemetry store (no module state: one per runtime). */
export interface Telemetry {
  /** Record the step a world just completed. Cheap; call after every step. */
  onStep(world: SimWorld): void;
  /** The telemetry of a world (created on first use). */
  of(world: SimWorld): WorldTelemetry;
  /**
   * Recent step costs, oldest first: `{ steps, totalMs }`. With `since` (a step number), only the
   * samples of steps after it; all of them when the newest sample is older than `since` (the
   * world's steps went back: the caller's chart must start again).
   */
  history(world: SimWorld, since?: number): { steps: number[]; totalMs: number[] };
}

export interface TelemetryOptions {
  sources?: StatsSources;
  stepLog?: StepLog;
}

/** Frame budget of a world in wall ms (controller config; 16 if absent). */
export const budgetMsOf = (world: SimWorld): number => {
  const b = (world.config as { controller?: { frameBudgetMs?: unknown } }).controller?.frameBudgetMs;
  return typeof b === 'number' && b > 0 ? b : 16;
};

const resetHistogram = (t: WorldTelemetry, budgetMs: number): void => {
  t.budgetMs = budgetMs;
  t.edgesSec = Float64Array.from(BUDGET_MULTIPLES, (m) => (m * budgetMs) / 1000);
  t.bucketCounts = new Float64Array(BUDGET_MULTIPLES.length + 1);
  t.sumSec = 0;
  t.count = 0;
};

const create = (world: SimWorld): WorldTelemetry => {
  const t: WorldTelemetry = {
    world,
    budgetMs: 0,
    edgesSec: new Float64Array(0),
    bucketCounts: new Float64Array(0),
    sumSec: 0,
    count: 0,
    overruns: 0,
    phaseTotalMs: new Float64Array(PHASE_COUNT),
    systemTotalMs: new Float64Array(world.pipeline.length),
    costRing: new Float32Array(HISTORY_STEPS),
    stepRing: new Float64Array(HISTORY_STEPS),
    ringHead: 0,
    ringLen: 0,
    tickRing: new Int32Array(TICK_WINDOW_STEPS * TIER_COUNT),
    tickWindowSum: new Float64Array(TIER_COUNT),
    tickHead: 0,
    tickLen: 0,
    mode: null,
    modeHistory: [],
  };
  resetHistogram(t, budgetMsOf(world));
  return t;
};

/** Create the telemetry store of a runtime. */
export const createTelemetry = (opts: TelemetryOptions = {}): Telemetry => {
  const byWorld = new WeakMap<SimWorld, WorldTelemetry>();
  const controller = opts.sources?.controller;
  const stepLog = opts.stepLog;
  const of = (world: SimWorld): WorldTelemetry => {
    let t = byWorld.get(world);
    if (!t) {
      t = create(world);
      byWorld.set(world, t);
    }
    return t;
  };
  const onStep = (world: SimWorld): void => {
    const t = of(world);
    const budgetMs = budgetMsOf(world);
    if (budgetMs !== t.budgetMs) resetHistogram(t, budgetMs);
    const ms = world.stats.totalMs;
    const sec = ms / 1000;
    const edges = t.edgesSec;
    let b = 0;
    while (b < edges.length && sec > edges[b]) b++;
    t.bucketCounts[b]++;
    t.sumSec += sec;
    t.count++;
    if (ms > budgetMs) t.overruns++;
    const phaseMs = world.stats.phaseMs;
    for (let i = 0; i < PHASE_COUNT; i++) t.phaseTotalMs[i] += phaseMs[i];
    const systemMs = world.stats.systemMs;
    const n = Math.min(systemMs.length, t.systemTotalMs.length);
    for (let i = 0; i < n; i++) t.systemTotalMs[i] += systemMs[i];
    t.costRing[t.ringHead] = ms;
    t.stepRing[t.ringHead] = world.clock.step - 1;
    t.ringHead = (t.ringHead + 1) % HISTORY_STEPS;
    if (t.ringLen < HISTORY_STEPS) t.ringLen++;
    const ticks = tierTicksOf(world);
    if (ticks) {
      const base = t.tickHead * TIER_COUNT;
      for (let i = 0; i < TIER_COUNT; i++) {
        const v = ticks[i] | 0;
        if (t.tickLen === TICK_WINDOW_STEPS) t.tickWindowSum[i] -= t.tickRing[base + i];
        t.tickRing[base + i] = v;
        t.tickWindowSum[i] += v;
      }
      t.tickHead = (t.tickHead + 1) % TICK_WINDOW_STEPS;
      if (t.tickLen < TICK_WINDOW_STEPS) t.tickLen++;
    }
    let prevMode: string | null | undefined;
    {
      // The world's own field when the controller module is composed (no allocation per step);
      // otherwise the status source, if any.
      const mode = worldMode(world) ?? (controller ? modeOf(safeCall(() => controller(world))) : null);
      if (mode !== null && mode !== t.mode) {
        prevMode = t.mode;
        if (t.modeHistory.length >= MODE_HISTORY) t.modeHistory.shift();
        t.modeHistory.push({ step: world.clock.step, worldTime: world.clock.now, atMs: Date.now(), from: t.mode, to: mode });
        t.mode = mode;
      }
    }
    stepLog?.onStep(world, t, prevMode);
  };
  const history = (world: SimWorld, since?: number): { steps: number[]; totalMs: number[] } => {
    const t = of(world);
    const start = (t.ringHead - t.ringLen + HISTORY_STEPS) % HISTORY_STEPS;
    const newest = t.ringLen > 0 ? t.stepRing[(t.ringHead - 1 + HISTORY_STEPS) % HISTORY_STEPS] : -1;
    const after = since === undefined || newest < since ? -1 : since;
    const steps: number[] = [];
    const totalMs: number[] = [];
    for (let i = 0; i < t.ringLen; i++) {
      const j = (start + i) % HISTORY_STEPS;
      if (t.stepRing[j] <= after) continue;
      steps.push(t.stepRing[j]);
      totalMs.push(Math.round(t.costRing[j] * 1000) / 1000);
    }
    return { steps, totalMs };
  };
  return { onStep, of, history };
};
