/**
 * The last stage of the degradation order (issue 12 item 2, docs/NET-SCALE.md "Active-player
 * spread"): under sustained overload, once idle players and non-players are at their overload
 * floors, active players whose own sends do not fit the step are spread over k steps each
 * (a snapshot every k-th step, at the steps where (step + conn id) mod (k × snapshotEvery) = 0,
 * so each step carries 1/k of them) down to `overloadActivePlayerMinHz` — active players
 * (priority 3) first, active players in crowded regions (priority 4) last.
 *
 * Why: one core sends ≈ 60–80k snapshots a second here. When 2,500 active players alone take
 * ≈ 40 ms of each 50 ms step, the loop runs at 12–16 Hz and every session sent late in the
 * phase carries the phase's length in its update latency. Spread over 2 steps, each step's
 * phase is short and the loop keeps its rate: each active player gets 10 snapshots a second
 * with the latency of a short phase, instead of 12–16 with the latency of a long one.
 *
 * The decision is a capacity estimate, not a feedback loop: the wall ms per active-player
 * snapshot (smoothed over runs, measured in every run whatever the spread) × the active players
 * due per step at each spread, against `overloadActiveShare` × the nominal step. So the spread
 * needed is known whether or not it is in effect, and it does not flap when spreading makes the
 * loop punctual again: it rises at once, and falls one level only after `overloadExitSteps` runs
 * in a row in which the lower level would fit with a margin (0.8 × the budget).
 */
import type { NetConfig } from './net-config.js';

/** Spread state of one world's replicate phase (on `OverloadState.spread`). */
export interface ActiveSpreadState {
  /** Steps between two snapshots of an active player (priority 3) from the spread: 1 = not spread. */
  active: number;
  /** Same for active players in crowded regions (priority 4); above 1 only once `active` is at its floor. */
  crowd: number;
  /** Smoothed wall µs per active-player snapshot in the replicate phase; 0 before the first measure. */
  usPerSnapshot: number;
  /** Snapshots and wall ms measured but not yet folded into the estimate (fewer than a sample). */
  pendingSent: number;
  pendingMs: number;
  /** Consecutive runs in which a lower level would fit (for the step down). */
  calm: number;
  /** Times the spread level rose (total). */
  raised: number;
}

/** A state with no spread. */
export const createActiveSpread = (): ActiveSpreadState => ({
  active: 1,
  crowd: 1,
  usPerSnapshot: 0,
  pendingSent: 0,
  pendingMs: 0,
  calm: 0,
  raised: 0,
});

/** Weight of one run in the smoothed cost per snapshot. */
const COST_ALPHA = 0.1;
/** Active-player snapshots folded into the estimate at once (a handful is noise: small runs accumulate). */
const MIN_SAMPLE = 16;
/** A lower level must fit within this share of the budget before the spread steps down. */
const DOWN_MARGIN = 0.8;
/**
 * A spread in effect holds while the process's CPU share stays at or above this share of net
 * `overloadSpreadMinCpu` (it starts only at the full figure): hysteresis, so a CPU window with a
 * neighbour on the core does not switch the spread off for one huge step.
 */
export const SPREAD_CPU_HOLD = 0.8;

/**
 * Most steps one active player's snapshots may be spread over: the floor `minHz` at `every`
 * steps per snapshot (net `snapshotHz`) and a step of `tickIntervalSeconds` — ⌊stepHz / (every × minHz)⌋,
 * at least 1. At 20 Hz with the default 10 Hz floor: 2.
 */
export const maxSpread = (tickIntervalSeconds: number, every: number, minHz: number): number => {
  const k = Math.floor(1 / (tickIntervalSeconds * every * minHz) + 1e-9);
  return k > 1 ? k : 1;
};

/**
 * Spread level of (active, crowd): 0 = none; active players are spread first (levels 1..kMax−1),
 * then crowded ones (levels kMax..2·(kMax−1)).
 */
export const spreadLevel = (active: number, crowd: number): number => active - 1 + (crowd - 1);

/**
 * The spread that fits: the smallest (active k, crowd k) — active players first, crowded last —
 * with `workCrowdMs / kCrowd + workActiveMs / kActive ≤ budgetMs`, where `work…Ms` is the wall ms
 * of sending every active player of that priority that is due at a step without spread. When
 * even (kMax, kMax) does not fit, (kMax, kMax): the floor holds and the loop runs late.
 */
export const spreadTarget = (
  workActiveMs: number,
  workCrowdMs: number,
  budgetMs: number,
  kMax: number,
): { active: number; crowd: number } => {
  for (let k = 1; k <= kMax; k++) if (workCrowdMs + workActiveMs / k <= budgetMs) return { active: k, crowd: 1 };
  for (let k = 2; k <= kMax; k++) if (workCrowdMs / k + workActiveMs / kMax <= budgetMs) return { active: kMax, crowd: k };
  return { active: kMax, crowd: kMax };
};

/** Feed one run's measure: `sent` active-player snapshots took `ms` wall ms. */
export const measureActiveCost = (o: ActiveSpreadState, sent: number, ms: number): void => {
  if (sent <= 0 || !(ms >= 0)) return;
  o.pendingSent += sent;
  o.pendingMs += ms;
  if (o.pendingSent < MIN_SAMPLE) return;
  const us = (o.pendingMs * 1000) / o.pendingSent;
  o.pendingSent = 0;
  o.pendingMs = 0;
  o.usPerSnapshot = o.usPerSnapshot === 0 ? us : o.usPerSnapshot + (us - o.usPerSnapshot) * COST_ALPHA;
};

/**
 * Would the active players (`nActive` of priority 3, `nCrowd` of priority 4, all open ones) not fit
 * the budget unspread? (Used to hold overload on while spread is what keeps the loop on time.)
 */
export const spreadNeeded = (
  o: ActiveSpreadState,
  cfg: Pick<NetConfig, 'overloadActiveShare'>,
  nActive: number,
  nCrowd: number,
  every: number,
  tickMs: number,
): boolean => ((nActive + nCrowd) / every) * (o.usPerSnapshot / 1000) > cfg.overloadActiveShare * tickMs * DOWN_MARGIN;

/**
 * Update the spread for one run: `overload` (the overload floors are on), `nActive` / `nCrowd`
 * open active players of priority 3 / 4, `every` steps per snapshot, the nominal step `tickMs`.
 * Out of overload the spread is off at once. Returns 1 when the level rose, -1 when it fell, 0 otherwise.
 */
export const updateActiveSpread = (
  o: ActiveSpreadState,
  cfg: Pick<NetConfig, 'overloadActiveShare' | 'overloadActivePlayerMinHz' | 'overloadExitSteps'>,
  overload: boolean,
  nActive: number,
  nCrowd: number,
  every: number,
  tickMs: number,
): number => {
  const before = spreadLevel(o.active, o.crowd);
  const kMax = maxSpread(tickMs / 1000, every, cfg.overloadActivePlayerMinHz);
  if (!overload || kMax <= 1 || o.usPerSnapshot === 0) {
    o.active = 1;
    o.crowd = 1;
    o.calm = 0;
    return before > 0 ? -1 : 0;
  }
  const ms = o.usPerSnapshot / 1000;
  const wa = (nActive / every) * ms,
    wc = (nCrowd / every) * ms;
  const budget = cfg.overloadActiveShare * tickMs;
  const up = spreadTarget(wa, wc, budget, kMax);
  const upLevel = spreadLevel(up.active, up.crowd);
  if (upLevel > before) {
    o.active = up.active;
    o.crowd = up.crowd;
    o.calm = 0;
    o.raised++;
    return 1;
  }
  const down = spreadTarget(wa, wc, budget * DOWN_MARGIN, kMax);
  if (spreadLevel(down.active, down.crowd) >= before) {
    o.calm = 0;
    return 0;
  }
  if (++o.calm < cfg.overloadExitSteps) return 0;
  // One level down: crowded players recover first (they degraded last).
  if (o.crowd > 1) o.crowd--;
  else o.active--;
  o.calm = 0;
  return -1;
};
