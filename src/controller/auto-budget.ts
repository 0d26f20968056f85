/**
 * Auto-budget: spend headroom before degrading. While the world is in `normal` mode, its steps
 * cost well under the frame budget and the tiers have an overdue backlog, the effective NPC tick
 * budget is raised above the configured `maxNpcTicksPerStep`, up to a hard cap
 * (`autoBudget.maxFactor ×` it), aiming at (1 − reserveShare) × budget from the measured cost per
 * tick; it falls back to the config's ceiling the moment a step costs more than that.
 *
 *              fast avg and last step < headroomBelow·B, backlog > 0: start
 *   extra = 0 ─────────────────────────────────────────────────────────────────────► extra > 0
 *       ▲      grows ×1.25 + 5% of max per step, never above the estimate of what fits under
 *       │      (1 − reserve)·B (measured ms per tick, p90 of the other phases) nor cap − max
 *       └───── at once: last step or fast avg > (1 − reserve)·B, a spike, mode ≠ normal,
 *              or the controller cutting below max; no backlog: decays ×0.9 per step
 *
 * Like the rest of the controller this turns wall-clock costs into budgets, so it is an input
 * to the simulation: bit-exact replays run with the controller off (docs/ADAPTIVE.md).
 */
import type { World } from 'bitecs';
import type { WorldCore } from '../core/world-core.js';
import { npcTickCeiling } from '../tiers/select.js';
import { nonAiHighOf, type NonAiHigh } from './cost-window.js';

/** Why the auto-budget has its current value (status, dashboard). */
export type AutoBudgetReason =
  | 'off'
  | 'warming up'
  | 'not normal mode'
  | 'controller cutting'
  | 'cost rose'
  | 'no backlog'
  | 'raising'
  | 'holding';

/**
 * The controller state the auto-budget reads and sets (a structural slice of the controller's
 * `ControllerState`, so this module does not import the controller that calls it).
 */
export interface AutoBudgetState extends NonAiHigh {
  readonly mode: string;
  readonly fastAvgMs: number;
  readonly lastStepMs: number;
  readonly spikeStreak: number;
  readonly npcTicks: number;
  readonly nonAiMs: number;
  readonly aiMsPerTick: number;
  autoExtra: number;
  autoReason: AutoBudgetReason;
}

/** The world slice the auto-budget reads: the core, the controller state, and the tiers' backlog when present. */
export type AutoBudgetWorld = World<
  WorldCore & { controller: AutoBudgetState; tierStats?: { readonly overduePerTier: ArrayLike<number> } }
>;

/** Auto-budget part of the controller status. */
export interface AutoBudgetStatus {
  enabled: boolean;
  /** Ticks above `maxNpcTicksPerStep` granted for the next step (0 when not raised). */
  extraTicks: number;
  /** The NPC tick budget of the next step (config ceiling or controller cut, plus extra). */
  effectiveNpcTicks: number;
  /** The configured ceiling (`simulation.maxNpcTicksPerStep`). */
  configuredNpcTicks: number;
  /** Highest effective budget (`maxFactor × maxNpcTicksPerStep`). */
  hardCap: number;
  /** Due NPCs left unticked by the last step, all tiers. */
  backlog: number;
  reason: AutoBudgetReason;
}

const backlogOf = (world: AutoBudgetWorld): number => {
  const o = world.tierStats?.overduePerTier;
  return o ? o[0] + o[1] + o[2] + o[3] : 0;
};

/**
 * Set `c.autoExtra` and add it to `world.ctx.budgets.npcTicks` (already set by the controller
 * to at most `maxNpcTicksPerStep`). Called by the controller after its own budgets; `B` is the
 * frame budget (wall ms).
 */
export const applyAutoBudget = (world: AutoBudgetWorld, c: AutoBudgetState, B: number): void => {
  const ab = world.config.controller.autoBudget;
  const maxTicks = world.config.simulation.maxNpcTicksPerStep;
  const room = npcTickCeiling(world.config) - maxTicks;
  const spend = (1 - ab.reserveShare) * B;
  let extra = c.autoExtra;
  let reason: AutoBudgetReason;
  if (!ab.enabled || room <= 0) {
    extra = 0;
    reason = 'off';
  } else if (c.mode !== 'normal') {
    extra = 0;
    reason = 'not normal mode';
  } else if (c.lastStepMs > spend || c.fastAvgMs > spend || c.spikeStreak > 0) {
    extra = 0;
    reason = 'cost rose';
  } else if (c.npcTicks < maxTicks) {
    extra = 0;
    reason = 'controller cutting';
  } else if (backlogOf(world) === 0) {
    extra = Math.floor(extra * 0.9);
    reason = 'no backlog';
  } else {
    // What the reserve line allows, from the measured cost per tick and the non-AI cost's p90.
    const high = nonAiHighOf(c);
    const other = high > c.nonAiMs ? high : c.nonAiMs;
    const allowed = c.aiMsPerTick > 0 ? (spend - other) / c.aiMsPerTick - maxTicks : 0;
    // Starting needs a calm world (well under budget); once raised, growth goes on up to the
    // reserve line's estimate, since a step over that line drops it at once.
    const calm = extra > 0 || (c.fastAvgMs < ab.headroomBelow * B && c.lastStepMs < ab.headroomBelow * B);
    if (calm) {
      extra = Math.min(extra * 1.25 + Math.max(1, 0.05 * maxTicks), allowed);
      reason = 'raising';
    } else {
      extra = Math.min(extra, allowed);
      reason = 'holding';
    }
  }
  extra = Math.max(0, Math.min(room, Math.floor(extra)));
  c.autoExtra = extra;
  c.autoReason = reason;
  world.ctx.budgets.npcTicks += extra;
};

/** The auto-budget status of a world (fresh object). */
export const autoBudgetStatus = (world: AutoBudgetWorld): AutoBudgetStatus => {
  const c = world.controller;
  const maxTicks = world.config.simulation.maxNpcTicksPerStep;
  return {
    enabled: world.config.controller.enabled && world.config.controller.autoBudget.enabled,
    extraTicks: c.autoExtra,
    effectiveNpcTicks: world.ctx.budgets.npcTicks,
    configuredNpcTicks: maxTicks,
    hardCap: npcTickCeiling(world.config),
    backlog: backlogOf(world),
    reason: c.autoReason,
  };
};
