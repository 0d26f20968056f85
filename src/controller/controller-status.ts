/**
 * Read-only views of a world's controller for the admin API, metrics, the dashboard and tests:
 * the status snapshot, the override in force and the window average. They allocate fresh
 * objects, so they are not for the hot path; the controller's steering is in controller.ts.
 */
import { autoBudgetStatus, type AutoBudgetStatus } from './auto-budget.js';
import { avgOf, COLS, windowAggregates, type CostAggregate } from './cost-window.js';
import type { StepBudgets } from '../core/world-core.js';
import {
  HISTORY_SIZE,
  npcTickFloor,
  type ControllerMode,
  type ControllerOverride,
  type ControllerWorld,
  type ModeTransition,
} from './controller.js';

/** Snapshot of a world's controller (fresh object; allocates: not for the hot path). */
export interface ControllerStatus {
  enabled: boolean;
  mode: ControllerMode;
  /** Step and world time (world seconds) the current mode began. */
  since: { step: number; worldTime: number };
  reason: string;
  frameBudgetMs: number;
  lastStepMs: number;
  fastAvgMs: number;
  spikeStreak: number;
  /** Window aggregates (wall ms) over the last `steps` steps: total and per phase. */
  window: { steps: number; total: CostAggregate; phases: Record<string, CostAggregate> };
  budgets: StepBudgets;
  /** Lowest NPC tick budget (detailed reserve). */
  npcTickFloor: number;
  aiMsPerTick: number;
  transitions: number;
  /** Last mode transitions, oldest first (at most 64). */
  history: ModeTransition[];
  /** Operator override in force (admin API), or null. */
  override: (ControllerOverride & { remainingSeconds: number }) | null;
  /** Auto-budget: headroom spent above `maxNpcTicksPerStep` while there is a backlog. */
  autoBudget: AutoBudgetStatus;
}

/** Controller status of a world (mode, since, window aggregates, budgets, last reason). */
export const getControllerStatus = (world: ControllerWorld): ControllerStatus => {
  const c = world.controller;
  const h = c.history.length < HISTORY_SIZE ? c.history.slice() : [...c.history.slice(c.historyNext), ...c.history.slice(0, c.historyNext)];
  return {
    enabled: world.config.controller.enabled,
    mode: c.mode,
    since: { step: c.sinceStep, worldTime: c.sinceWorldTime },
    reason: c.reason,
    frameBudgetMs: world.config.controller.frameBudgetMs,
    lastStepMs: c.lastStepMs,
    fastAvgMs: c.fastAvgMs,
    spikeStreak: c.spikeStreak,
    window: windowAggregates(c.window),
    budgets: { ...world.ctx.budgets },
    npcTickFloor: npcTickFloor(world),
    aiMsPerTick: c.aiMsPerTick,
    transitions: c.transitions,
    history: h.map((t) => ({ ...t })),
    override: controllerOverrideOf(world),
    autoBudget: autoBudgetStatus(world),
  };
};

/** Average step cost over the window (wall ms). */
export const windowAvgMs = (world: ControllerWorld): number => avgOf(world.controller.window, COLS - 1);

/** The override in force (remaining wall seconds), or null; an expired one reads as null. */
export const controllerOverrideOf = (
  world: ControllerWorld,
  nowMs = performance.now(),
): (ControllerOverride & { remainingSeconds: number }) | null => {
  const o = world.controller.override;
  if (o === null || nowMs >= o.untilWallMs) return null;
  return { ...o, remainingSeconds: (o.untilWallMs - nowMs) / 1000 };
};
