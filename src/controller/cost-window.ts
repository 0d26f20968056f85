/**
 * Moving window of per-step costs: the last N steps' per-phase wall costs plus their total,
 * in one flat ring, with running sums so the average is O(1) per step. Maxima and p95 are
 * computed on demand (status snapshots), never in the step.
 *
 *   rows (N):  [ phase0 … phase9 | total ]  [ … ]  [ … ]   ◄─ next (oldest overwritten)
 */
import { PHASE_COUNT, PHASES, PhaseIndex } from '../core/phases.js';

/** Columns per row: every phase plus the step total (last column). */
export const COLS = PHASE_COUNT + 1;

/** The ring and its running sums. */
export interface CostWindow {
  size: number;
  data: Float64Array;
  sums: Float64Array;
  next: number;
  count: number;
}

/** Aggregates of one column over the window (wall milliseconds). */
export interface CostAggregate {
  avgMs: number;
  maxMs: number;
  p95Ms: number;
}

export const createCostWindow = (size: number): CostWindow => ({
  size,
  data: new Float64Array(size * COLS),
  sums: new Float64Array(COLS),
  next: 0,
  count: 0,
});

/** Add one step: per-phase costs (indexed by PhaseIndex) and the step total (ms). */
export const pushCosts = (w: CostWindow, phaseMs: ArrayLike<number>, totalMs: number): void => {
  const base = w.next * COLS;
  const full = w.count === w.size;
  for (let c = 0; c < COLS; c++) {
    const v = c < PHASE_COUNT ? phaseMs[c] : totalMs;
    if (full) w.sums[c] -= w.data[base + c];
    w.data[base + c] = v;
    w.sums[c] += v;
  }
  w.next = (w.next + 1) % w.size;
  if (!full) w.count++;
};

/** Average of column `c` (ms); 0 when empty. */
export const avgOf = (w: CostWindow, c: number): number => (w.count ? w.sums[c] / w.count : 0);

/**
 * Quantile `q` (0..1, nearest rank) of `total − column c` over the window, using `scratch`
 * (length ≥ window size) so the step allocates nothing. 0 when empty.
 */
export const quantileExcluding = (w: CostWindow, c: number, q: number, scratch: Float64Array): number => {
  const n = w.count;
  if (!n) return 0;
  for (let i = 0; i < n; i++) scratch[i] = w.data[i * COLS + PHASE_COUNT] - w.data[i * COLS + c];
  const view = scratch.subarray(0, n);
  view.sort();
  return view[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))];
};

/** Where the controller keeps the p90 of its window's non-AI cost; NaN: not computed yet for the window it was asked at. */
export interface NonAiHigh {
  readonly window: CostWindow;
  readonly scratch: Float64Array;
  nonAiHighMs: number;
}

/**
 * The p90 over the window of the step cost outside the behavior phase (wall ms), computed when
 * first read after the controller asked for it (a copy and sort of the window: only the steps
 * that steer the NPC budget read it, an idle world's never do). The controller resolves a pending
 * one before its window moves on, so the figure is always that of the window it was asked at.
 */
export const nonAiHighOf = (c: NonAiHigh): number => {
  if (Number.isNaN(c.nonAiHighMs)) c.nonAiHighMs = quantileExcluding(c.window, PhaseIndex.behavior, 0.9, c.scratch);
  return c.nonAiHighMs;
};

/** avg, max and p95 (nearest rank) of column `c`. Allocates: status snapshots only. */
export const aggregateOf = (w: CostWindow, c: number): CostAggregate => {
  if (!w.count) return { avgMs: 0, maxMs: 0, p95Ms: 0 };
  const vals = new Float64Array(w.count);
  for (let i = 0; i < w.count; i++) vals[i] = w.data[i * COLS + c];
  vals.sort();
  return { avgMs: w.sums[c] / w.count, maxMs: vals[w.count - 1], p95Ms: vals[Math.min(w.count - 1, Math.ceil(0.95 * w.count) - 1)] };
};

/** Aggregates for every phase (by name) and the total. */
export const windowAggregates = (w: CostWindow): { steps: number; total: CostAggregate; phases: Record<string, CostAggregate> } => {
  const phases: Record<string, CostAggregate> = {};
  for (let p = 0; p < PHASE_COUNT; p++) phases[PHASES[p]] = aggregateOf(w, p);
  return { steps: w.count, total: aggregateOf(w, PHASE_COUNT), phases };
};
