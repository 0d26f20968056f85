/**
 * The frame-budget controller: fed every step's per-phase wall costs, it keeps a window of
 * them, moves the world between `normal`, `degraded` and `emergency` with hysteresis, and sets
 * the next step's budgets (`world.ctx.budgets`).
 *
 *            fast avg > degradeAt·B              fast avg > emergencyAt·B or spike streak
 *   normal ─────────────────────────► degraded ───────────────────────────────────► emergency
 *          ◄─────────────────────────          ◄───────────────────────────────────
 *            fast avg < recoverBelow·B for `hold` steps (hold doubles after a flap)
 *
 * Measured cost: the control phase runs last, before the step's `totalMs` is final, so the
 * controller uses the sum of this step's phase costs measured so far (every phase but
 * `control` itself). The controller's own cost shows up in the window the next step.
 *
 * Floors never cut: the NPC tick budget never goes below `ceil(detailedReserve ×
 * maxNpcTicksPerStep)` (the detailed tier's reserve), and ingest floor lanes (player input,
 * critical facts) are outside `ingestDrain`. Transactions ride the critical lane.
 */
import type { World } from 'bitecs';
import { PHASE_COUNT, PhaseIndex } from '../core/phases.js';
import type { StepBudgets, WorldCore } from '../core/world-core.js';
import type { IngestSlot } from '../ingest/ingest-buffers.js';
import { applyAutoBudget, type AutoBudgetReason } from './auto-budget.js';
import { createCostWindow, nonAiHighOf, pushCosts, type CostWindow } from './cost-window.js';

/** Controller modes, mildest first. */
export type ControllerMode = 'normal' | 'degraded' | 'emergency';
export const MODES: readonly ControllerMode[] = ['normal', 'degraded', 'emergency'];

/** One mode change (kept in a bounded ring for the dashboard). */
export interface ModeTransition {
  step: number;
  /** World seconds at the transition. */
  worldTime: number;
  from: ControllerMode;
  to: ControllerMode;
  reason: string;
  /** Fast average step cost at the transition (wall ms). */
  fastAvgMs: number;
}

/** Per-world controller state (plain data; `world.controller`). */
export interface ControllerState {
  mode: ControllerMode;
  sinceStep: number;
  sinceWorldTime: number;
  reason: string;
  window: CostWindow;
  /** EWMA of step cost over `reactSteps` (wall ms). */
  fastAvgMs: number;
  /** EWMA of behavior-phase ms per NPC tick. 0 until measured. */
  aiMsPerTick: number;
  /** EWMA of the step cost outside the behavior phase (wall ms). */
  nonAiMs: number;
  /**
   * p90 over the window of the step cost outside the behavior phase (wall ms): its spikes. NaN
   * while not computed yet: read it through `nonAiHighOf` (src/controller/cost-window.ts).
   */
  nonAiHighMs: number;
  /** Scratch for the window quantile (no allocation per step). */
  scratch: Float64Array;
  spikeStreak: number;
  calmStreak: number;
  /** Hold (steps) currently required before stepping down; doubles after a flap. */
  hold: number;
  lastStepMs: number;
  /** Continuous values behind the integer budgets. */
  npcTicks: number;
  ingestDrain: number;
  observed: number;
  transitions: number;
  history: ModeTransition[];
  historyNext: number;
  lastRecoveryStep: number;
  /** Auto-budget: NPC ticks granted above `maxNpcTicksPerStep` for the next step (src/controller/auto-budget.ts). */
  autoExtra: number;
  autoReason: AutoBudgetReason;
  /** Operator override (admin API): the mode is forced until `untilWallMs`; null when the controller decides. */
  override: ControllerOverride | null;
  /**
   * Share of one core the process used over the last CPU window (set by the loop runner from
   * `process.cpuUsage`; 0 when never sampled, e.g. manual stepping). See `controller.cpuBudget`.
   */
  cpuShare: number;
}

/** A forced controller mode (see {@link forceControllerMode}). */
export interface ControllerOverride {
  mode: ControllerMode;
  /** Wall ms (the `nowMs` clock passed in) the override ends at. */
  untilWallMs: number;
  reason: string;
}

/** Mode transitions kept for the dashboard. */
export const HISTORY_SIZE = 64;

/** The slot the controller adds to a world: its state (mode, cost window, budget steering). */
export interface ControllerSlot {
  controller: ControllerState;
}

/**
 * What the controller reads and writes: the core, its slot, the ingest summary, a bus to announce
 * mode changes on, and the tiers' per-step tick counts when the world has tiers.
 */
export type ControllerWorld = World<
  WorldCore &
    ControllerSlot &
    IngestSlot & {
      bus: { publish(topic: 'mode', payload: ModeTransition): void };
      tierStats?: { readonly ticksPerTier: ArrayLike<number>; readonly overduePerTier: ArrayLike<number> };
    }
>;

/** A world's controller slot, from its (validated) config. */
export const createControllerSlot = (core: WorldCore): ControllerSlot => ({
  controller: createControllerState(
    core.config.controller.windowSteps,
    core.config.controller.ingestDrainBaseline,
    core.config.simulation.maxNpcTicksPerStep,
  ),
});

/** Fresh controller state for a world with this config. */
export const createControllerState = (windowSteps: number, ingestDrainBaseline: number, npcTicks: number): ControllerState => ({
  mode: 'normal',
  sinceStep: 0,
  sinceWorldTime: 0,
  reason: 'start',
  window: createCostWindow(windowSteps),
  fastAvgMs: 0,
  aiMsPerTick: 0,
  nonAiMs: 0,
  nonAiHighMs: 0,
  scratch: new Float64Array(windowSteps),
  spikeStreak: 0,
  calmStreak: 0,
  hold: 0,
  lastStepMs: 0,
  npcTicks,
  ingestDrain: ingestDrainBaseline,
  observed: 0,
  transitions: 0,
  history: [],
  historyNext: 0,
  lastRecoveryStep: -Infinity,
  override: null,
  autoExtra: 0,
  autoReason: 'warming up',
  cpuShare: 0,
});

/** NPC ticks run by the last step: `world.tierStats.ticksPerTier` when the tiers module provides it. */
const ticksLastStep = (world: ControllerWorld): number => {
  const per = world.tierStats?.ticksPerTier;
  if (!per) return -1;
  let n = 0;
  for (let i = 0; i < per.length; i++) n += per[i];
  return n;
};

/** Lowest NPC tick budget the controller may set: the detailed tier's reserve. */
export const npcTickFloor = (world: ControllerWorld): number => {
  const sim = world.config.simulation;
  return Math.min(sim.maxNpcTicksPerStep, Math.ceil(sim.detailedReserve * sim.maxNpcTicksPerStep));
};

const transition = (world: ControllerWorld, c: ControllerState, to: ControllerMode, reason: string): void => {
  const t: ModeTransition = { step: world.clock.step, worldTime: world.clock.now, from: c.mode, to, reason, fastAvgMs: c.fastAvgMs };
  if (c.history.length < HISTORY_SIZE) c.history.push(t);
  else c.history[c.historyNext] = t;
  c.historyNext = (c.historyNext + 1) % HISTORY_SIZE;
  c.transitions++;
  c.mode = to;
  c.sinceStep = world.clock.step;
  c.sinceWorldTime = world.clock.now;
  c.reason = reason;
  c.calmStreak = 0;
  world.bus.publish('mode', t);
};

/**
 * Feed one step's per-phase costs (wall ms, indexed by PhaseIndex) to the controller and set
 * the next step's budgets. The control system calls it with `world.stats.phaseMs`; tests call
 * it with injected costs (synthetic load).
 */
export const observeStep = (world: ControllerWorld, phaseMs: ArrayLike<number>): void => {
  const c = world.controller;
  const cfg = world.config.controller;
  const B = cfg.frameBudgetMs;
  // A p90 asked for at an earlier step and never read: computed now, from the window it was asked
  // at, unless this step asks again (only the path that decides a mode does; the override path and
  // a disabled controller read the last one).
  if (c.override !== null || !cfg.enabled || c.observed + 1 <= cfg.warmupSteps) nonAiHighOf(c);
  if (c.window.size !== cfg.windowSteps) {
    c.window = createCostWindow(cfg.windowSteps);
    c.scratch = new Float64Array(cfg.windowSteps);
  }
  let cost = 0;
  for (let p = 0; p < PHASE_COUNT; p++) cost += phaseMs[p];
  pushCosts(c.window, phaseMs, cost);
  c.lastStepMs = cost;
  const alpha = 2 / (cfg.reactSteps + 1);
  c.fastAvgMs = c.observed === 0 ? cost : c.fastAvgMs + alpha * (cost - c.fastAvgMs);
  const ai = phaseMs[PhaseIndex.behavior];
  const ticks = ticksLastStep(world);
  if (ticks > 0) {
    const per = ai / ticks;
    c.aiMsPerTick = c.aiMsPerTick === 0 ? per : c.aiMsPerTick + alpha * (per - c.aiMsPerTick);
  }
  c.nonAiMs = c.observed === 0 ? cost - ai : c.nonAiMs + alpha * (cost - ai - c.nonAiMs);
  c.observed++;
  c.spikeStreak = cost > cfg.spikeFactor * B ? c.spikeStreak + 1 : 0;
  // An operator's override holds the mode (budgets follow it) until it expires.
  if (c.override !== null && holdOverride(world, c, performance.now())) return setBudgets(world, c, B);
  // Cold JIT makes a new world's first steps slow: measure them, act only after warm-up.
  if (!cfg.enabled || c.observed <= cfg.warmupSteps) return;
  c.nonAiHighMs = NaN; // computed by the first reader of this step (setBudgets when it steers, the auto-budget)
  decideMode(world, c, B);
  setBudgets(world, c, B);
};

const decideMode = (world: ControllerWorld, c: ControllerState, B: number): void => {
  const cfg = world.config.controller;
  const step = world.clock.step;
  const fast = c.fastAvgMs;
  // CPU budget: more than cpuBudget of a core is over budget in normal mode, and a degraded
  // world recovers only once the process is back under it (with the recoverBelow/degradeAt margin).
  const cpuOver = cfg.cpuBudget > 0 && c.cpuShare > cfg.cpuBudget;
  const cpuCalm = cfg.cpuBudget <= 0 || c.cpuShare < (cfg.cpuBudget * cfg.recoverBelow) / cfg.degradeAt;
  c.calmStreak = fast < cfg.recoverBelow * B && cpuCalm ? c.calmStreak + 1 : 0;
  if (c.hold === 0) c.hold = cfg.holdSteps;
  let to: ControllerMode = c.mode;
  let reason = '';
  if (c.mode !== 'emergency' && c.spikeStreak >= cfg.spikeStreakLimit) {
    to = 'emergency';
    reason = `spike streak ${c.spikeStreak} (steps > ${cfg.spikeFactor}× budget)`;
  } else if (c.mode !== 'emergency' && fast > cfg.emergencyAt * B) {
    to = 'emergency';
    reason = `fast avg ${fast.toFixed(2)} ms > ${cfg.emergencyAt}× budget`;
  } else if (c.mode === 'normal' && fast > cfg.degradeAt * B) {
    to = 'degraded';
    reason = `fast avg ${fast.toFixed(2)} ms > ${cfg.degradeAt}× budget`;
  } else if (c.mode === 'normal' && cpuOver) {
    to = 'degraded';
    reason = `process CPU ${(c.cpuShare * 100).toFixed(0)}% of a core > budget ${(cfg.cpuBudget * 100).toFixed(0)}%`;
  } else if (c.mode !== 'normal' && c.calmStreak >= c.hold && step - c.sinceStep >= c.hold) {
    to = c.mode === 'emergency' ? 'degraded' : 'normal';
    reason = `fast avg < ${cfg.recoverBelow}× budget for ${c.calmStreak} steps`;
    c.lastRecoveryStep = step;
  }
  if (to === c.mode) return;
  // Anti-flap: escalating again soon after a recovery doubles the hold (up to 8×).
  if (MODES.indexOf(to) > MODES.indexOf(c.mode) && step - c.lastRecoveryStep < 4 * c.hold) c.hold = Math.min(c.hold * 2, cfg.holdSteps * 8);
  else if (c.mode === 'normal') c.hold = cfg.holdSteps;
  transition(world, c, to, reason);
};

const setBudgets = (world: ControllerWorld, c: ControllerState, B: number): void => {
  const cfg = world.config.controller;
  const sim = world.config.simulation;
  const b: StepBudgets = world.ctx.budgets;
  const maxTicks = sim.maxNpcTicksPerStep;
  const floor = npcTickFloor(world);
  const level = MODES.indexOf(c.mode);
  // Normal mode caps only bursts that would blow the whole budget (spreading them over the
  // next steps, most overdue first); degraded/emergency steer the average to targetShare·B.
  const target = (level === 0 ? 1 : cfg.targetShare) * B;
  // Normal mode acts only on a real overrun (this step over budget), so a world well inside
  // its budget keeps the config's ceiling and stays bit-for-bit reproducible.
  const steer = level > 0 || c.lastStepMs > B || c.npcTicks < maxTicks;
  let desired: number;
  if (!steer) desired = maxTicks;
  // What is left for AI after the non-AI cost's spikes (p90 over the window), not its average:
  // the selection spreads ticks evenly, so the step's tail comes from the other phases.
  else if (c.aiMsPerTick > 0) desired = Math.max(0, target - Math.max(nonAiHighOf(c), c.nonAiMs)) / c.aiMsPerTick;
  else if (level === 0)
    desired = maxTicks; // no per-tick cost known: nothing to steer by
  else desired = c.fastAvgMs > 0 ? b.npcTicks * (target / c.fastAvgMs) : maxTicks;
  // Down at once (the budget is being blown); headroom is spent again gradually.
  c.npcTicks = desired < c.npcTicks ? desired : Math.min(desired, c.npcTicks * (level === 0 ? 1.2 : 1.1) + 1);
  c.npcTicks = Math.max(floor, Math.min(maxTicks, c.npcTicks));
  b.npcTicks = Math.floor(c.npcTicks);
  applyAutoBudget(world, c, B);
  b.tierFrequencyScale = level === 0 ? 1 : level === 1 ? cfg.degradedTierScale : cfg.degradedTierScale * cfg.degradedTierScale;
  b.farReplicationEvery = level === 0 ? 1 : level === 1 ? cfg.degradedFarEvery : cfg.degradedFarEvery * 2;
  b.interestQuality = level === 0 ? 0 : level === 1 ? 1 : 3;
  const jobs = sim.maxJobOpsPerStep;
  b.jobOps = level === 0 ? jobs : Math.min(jobs, Math.ceil(jobs / (level === 1 ? 2 : 4)));
  // Ingest gas pedal: down when over budget or spiking, up when buffers are under pressure
  // and there is headroom, decay back to the baseline when the pressure clears.
  const ing = world.ingest.summary();
  const pressure = ing.cutLastStep || ing.maxFillBudgeted > 0.5;
  if (c.lastStepMs > B || c.spikeStreak > 0 || c.fastAvgMs > cfg.degradeAt * B) c.ingestDrain *= 0.75;
  else if (pressure && c.fastAvgMs < cfg.recoverBelow * B) c.ingestDrain *= 1.25;
  else if (!pressure) c.ingestDrain += (cfg.ingestDrainBaseline - c.ingestDrain) * 0.1;
  c.ingestDrain = Math.max(cfg.ingestDrainMin, Math.min(cfg.ingestDrainMax, c.ingestDrain));
  b.ingestDrain = Math.round(c.ingestDrain);
};

/** True while the override holds; an expired one is ended (back to normal, logged as a transition). */
const holdOverride = (world: ControllerWorld, c: ControllerState, nowMs: number): boolean => {
  const o = c.override!;
  if (nowMs >= o.untilWallMs) {
    endOverride(world, c, 'override expired');
    return false;
  }
  if (c.mode !== o.mode) transition(world, c, o.mode, `override: ${o.reason}`);
  return true;
};

const endOverride = (world: ControllerWorld, c: ControllerState, reason: string): void => {
  c.override = null;
  c.spikeStreak = 0;
  c.calmStreak = 0;
  c.hold = 0;
  if (c.mode !== 'normal') transition(world, c, 'normal', reason);
};

/**
 * Force a world's controller into `mode` for `seconds` wall seconds (admin API). The mode applies
 * at once (budgets from the next step) and holds whatever the costs; then the controller
 * decides again from `normal`. `nowMs` is the wall clock the control phase reads (performance.now).
 */
export const forceControllerMode = (
  world: ControllerWorld,
  mode: ControllerMode,
  seconds: number,
  reason: string,
  nowMs = performance.now(),
): ControllerOverride => {
  const c = world.controller;
  c.override = { mode, untilWallMs: nowMs + seconds * 1000, reason };
  if (c.mode !== mode) transition(world, c, mode, `override: ${reason}`);
  setBudgets(world, c, world.config.controller.frameBudgetMs);
  return { ...c.override };
};

/** End an override now (admin reset): back to `normal`, the controller decides again. False if none was set. */
export const clearControllerOverride = (world: ControllerWorld, reason = 'override reset'): boolean => {
  const c = world.controller;
  if (c.override === null) return false;
  endOverride(world, c, reason);
  Object.assign(world.ctx.budgets, {
    tierFrequencyScale: 1,
    farReplicationEvery: 1,
    interestQuality: 0,
    jobOps: world.config.simulation.maxJobOpsPerStep,
  });
  return true;
};
