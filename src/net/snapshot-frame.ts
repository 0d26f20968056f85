/**
 * A snapshot's per-step frame parameters (from the controller's knobs) and a session's cadence
 * within them: its snapshot ordinal, by an exact integer division ({@link floorDiv}).
 */
import type { World } from 'bitecs';
import type { StepContext, WorldCore } from '../core/world-core.js';
import type { Session } from './session.js';

/** Per-step parameters of the snapshots of one replicate run (see docs/PROTOCOL.md). */
export interface SnapshotFrame {
  step: number;
  worldTime: number;
  sendTime: number;
  /** Radius multiplier from the interest quality ladder. */
  radiusScale: number;
  /** Far entities (beyond detailedRadius) replicated every N steps; 1 = always. */
  farEvery: number;
  /**
   * Interest set recomputed every N steps per session (1 = every step). In between, the
   * session's known entities are refreshed (no enters or leaves except removed entities).
   */
  requeryEvery: number;
  /**
   * Steps between two snapshots of one session (net option `snapshotHz`; 1 = every step, the
   * default when absent). The cadences above (`farEvery`, `requeryEvery`) count the session's
   * own snapshots: its snapshot ordinal is ⌊(step + conn id) / snapshotEvery⌋.
   */
  snapshotEvery?: number;
}

/**
 * The session's snapshot ordinal at this frame (= step + conn id when every step is a snapshot step).
 * ⌊t / every⌋ as an exact integer division (t minus its floored remainder, then divided): a
 * `Math.floor` of the quotient had only exact quotients as feedback while sessions are sent on
 * their own slot, and V8 deoptimized it ("lost precision") on the first off-slot (deferred) send.
 */
export const snapshotOrdinal = (f: SnapshotFrame, s: Session): number => {
  const every = f.snapshotEvery;
  const t = f.step + s.conn.id;
  if (every === undefined || every <= 1) return t;
  return floorDiv(t, every);
};

/**
 * `Math.floor(t / d)` for integers `t` and `d > 0`, as an exact integer division: V8 compiles
 * `Math.floor(a / b)` of values that always divided evenly so far as an integer division that
 * deoptimizes ("lost precision") on the first remainder — in the replication hot paths, the first
 * off-slot (deferred, cooled-down) session under load.
 */
export const floorDiv = (t: number, d: number): number => {
  const r = t % d;
  return (t - (r < 0 ? r + d : r)) / d;
};

/** The frame parameters for this step from the controller's knobs (see docs/PROTOCOL.md). */
export const frameFor = (world: World<WorldCore>, ctx: StepContext, sendTime: number, out: SnapshotFrame): SnapshotFrame => {
  const q = ctx.budgets.interestQuality;
  let farEvery = Math.max(1, Math.floor(ctx.budgets.farReplicationEvery) || 1);
  if (q >= 1) farEvery = Math.max(2, farEvery * 2);
  out.step = ctx.step;
  out.worldTime = world.clock.now;
  out.sendTime = sendTime;
  out.radiusScale = q >= 2 ? 0.75 : 1;
  out.farEvery = farEvery;
  out.requeryEvery = q >= 3 ? 4 : 1;
  return out;
};
