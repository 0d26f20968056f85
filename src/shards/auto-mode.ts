/**
 * The choice of `auto` mode (src/shards/sharded-physics.ts): inline or sharded, by measurement
 * that compares like with like.
 *
 *   current mode ··· ref window (last W steps) ┐ warm │ probe window (W steps, other mode) ┐ current ···
 *                                              └──────── compare means ───────────────────┘
 *
 * - The sample is the wall time of the whole physics phase (the caller passes the phase's start).
 * - A probe runs the other mode for one unmeasured warm step (a mode's first step after a pause
 *   runs on cold caches / sleeping workers) and then W = `windowSteps` measured steps; it is
 *   compared with the W steps of the current mode just before it. W is a multiple of the
 *   ambient collision period, so both windows hold the same mix of steps (ambient bodies collide
 *   every `ambientCollideEvery` steps: a single probe step would compare a cheap step with an
 *   expensive one).
 * - Hysteresis: the other mode must be cheaper by `margin` (default 10 %) in `confirm` (default 2)
 *   probes in a row before `auto` switches; the second probe follows right after the first win.
 * - The first probe starts as soon as a reference window is full (auto starts inline); the first
 *   current-mode step after a probe is left out of the next reference window (cold, too).
 * Pure bookkeeping on plain numbers: it never changes a result (both modes are bit-identical).
 */

/** State of the `auto` choice (plain data, part of a ShardedPhysics). */
export interface AutoState {
  /** The mode `auto` uses outside probes. */
  sharded: boolean;
  /** Steps per measured window. */
  readonly windowSteps: number;
  /** Steps of the current mode between probes. */
  readonly probeEvery: number;
  /** Relative margin the other mode must win by. */
  readonly margin: number;
  /** Probes in a row the other mode must win before a switch. */
  readonly confirm: number;
  /** Last `windowSteps` samples of the current mode (ring). */
  readonly ring: Float64Array;
  ringN: number;
  ringAt: number;
  /** Current-mode steps since the last probe. */
  sinceProbe: number;
  /** Current-mode steps still to leave out of the reference (the first one after a probe is cold). */
  skip: number;
  /** Steps left in the running probe (0 = none); the first of them is the unmeasured warm step. */
  probeLeft: number;
  probeSum: number;
  refMs: number;
  /** Probes in a row the other mode won. */
  wins: number;
  /** Probes run, switches made (for stats). */
  probes: number;
  switches: number;
  /** The last finished probe: reference and probe window means (wall ms). */
  lastRefMs: number;
  lastProbeMs: number;
}

/** Create the state (starts inline). `windowSteps` ≥ 1, `probeEvery` ≥ 2. */
export const createAutoState = (windowSteps: number, probeEvery: number, margin = 0.1, confirm = 2): AutoState => ({
  sharded: false,
  windowSteps,
  probeEvery: Math.max(probeEvery, windowSteps),
  margin,
  confirm,
  ring: new Float64Array(windowSteps),
  ringN: 0,
  ringAt: 0,
  sinceProbe: 0,
  skip: 0,
  probeLeft: 0,
  probeSum: 0,
  refMs: NaN,
  wins: 0,
  probes: 0,
  switches: 0,
  lastRefMs: NaN,
  lastProbeMs: NaN,
});

/** Whether the next step runs sharded. */
export const autoNext = (a: AutoState): boolean => (a.probeLeft > 0 ? !a.sharded : a.sharded);

const ringMean = (a: AutoState): number => {
  let s = 0;
  for (let i = 0; i < a.ringN; i++) s += a.ring[i];
  return s / a.ringN;
};

/** Record the wall ms of the step just run (the mode {@link autoNext} returned). */
export const autoRecord = (a: AutoState, ms: number): void => {
  if (a.probeLeft > 0) {
    const warm = a.probeLeft === a.windowSteps + 1;
    a.probeLeft--;
    if (!warm) a.probeSum += ms;
    if (a.probeLeft > 0) return;
    const probeMs = a.probeSum / a.windowSteps;
    a.probes++;
    a.lastRefMs = a.refMs;
    a.lastProbeMs = probeMs;
    a.wins = probeMs < a.refMs * (1 - a.margin) ? a.wins + 1 : 0;
    a.sinceProbe = 0;
    a.ringN = 0;
    a.ringAt = 0;
    a.skip = 1;
    if (a.wins >= a.confirm) {
      a.sharded = !a.sharded;
      a.switches++;
      a.wins = 0;
    }
    return;
  }
  if (a.skip > 0) {
    a.skip--;
    return;
  }
  a.ring[a.ringAt] = ms;
  a.ringAt = (a.ringAt + 1) % a.windowSteps;
  if (a.ringN < a.windowSteps) a.ringN++;
  a.sinceProbe++;
  // A confirming probe (or the first one) as soon as a fresh reference window is full.
  const due = a.wins > 0 || a.probes === 0 ? a.windowSteps : a.probeEvery;
  if (a.ringN === a.windowSteps && a.sinceProbe >= due) {
    a.refMs = ringMean(a);
    a.probeLeft = a.windowSteps + 1;
    a.probeSum = 0;
  }
};
