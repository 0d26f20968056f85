/**
 * Shard worker entry (piscina). One long-lived task per worker thread: it announces itself
 * READY, then sleeps on its command word (Atomics.wait) and runs the physics kernel over the
 * rows it is given, until it is told to STOP. See src/shards/barrier.ts for the protocol.
 * A command cancelled while it runs (the main thread gave up on it) stops the kernel at the
 * next grid row and is not reported as done.
 */
import { stepCommitRows, stepRows } from '../physics/collide-kernel.js';
import { commitRows } from '../physics/copy-back.js';
import { buildRows } from '../physics/grid-build.js';
import type { GridScratch } from '../physics/grid-scratch.js';
import { guardStageIds } from '../physics/guard-stage.js';
import { MAX_PARTITIONS, P, type PhysicsShared } from '../physics/physics-types.js';
import {
  at,
  BUSY_US,
  CANCEL,
  CMD,
  CRASH_AT,
  CRASH_PHASE,
  OP,
  PART,
  READY,
  ROW_END,
  ROW_START,
  ShardOp,
  STOP,
  signalDone,
  spinWhile,
} from './barrier.js';
import { bandScratch, type PartyContext, runParty } from './fused-step.js';

/** The serve task: sent once per worker; typed arrays on SharedArrayBuffer are shared, not copied. */
export interface ShardServeTask {
  slot: number;
  ctl: Int32Array;
  shared: PhysicsShared;
  /** Wall µs the worker watches its command word after a command before it sleeps (0: sleep at once). */
  spinUs: number;
  /** The fused step's plan block and row-weight snapshot (src/shards/fused-step.ts). */
  plan: Int32Array;
  base: Float64Array;
  /** Wall µs a party spins at a fused step's barrier before it sleeps. */
  barrierSpinUs: number;
}

/**
 * Run one {@link ShardOp} over [lo, hi) (grid rows, or list positions for `guardStage`) with this
 * worker's scratch `grid`. Each op may be re-run: it rewrites the same values.
 */
const runOp = (shared: PhysicsShared, op: number, lo: number, hi: number, part: number, live: () => boolean, grid: GridScratch): void => {
  if (op === ShardOp.commit) commitRows(shared, lo, hi);
  else if (op === ShardOp.build) buildRows(shared, lo, hi, grid);
  else if (op === ShardOp.guardStage) guardStageIds(shared, lo, hi, part, grid);
  else if (op === ShardOp.stepCommit) stepCommitRows(shared, lo, hi, part, live, grid.kernel);
  else stepRows(shared, lo, hi, part, live, grid.kernel);
};

/** Serve commands until STOP. Returns the number of partitions run. */
export default function serve(task: ShardServeTask): number {
  const { slot, ctl, shared } = task;
  const spinMs = task.spinUs / 1000;
  const cmdAt = at(slot, CMD);
  let seen = Atomics.load(ctl, cmdAt);
  let runs = 0;
  const party: PartyContext = {
    s: shared,
    plan: task.plan,
    base: task.base,
    sc: bandScratch(shared.params[P.side] | 0),
    bands: new Int32Array(2 * MAX_PARTITIONS),
    spinMs: task.barrierSpinUs / 1000,
    spinMaxMs: task.barrierSpinUs / 1000,
    idleBarriers: 0,
    crashPhase: 0,
    die: () => process.exit(1),
  };
  Atomics.store(ctl, at(slot, READY), 1);
  for (;;) {
    if (!spinWhile(ctl, cmdAt, seen, spinMs)) Atomics.wait(ctl, cmdAt, seen);
    const epoch = Atomics.load(ctl, cmdAt);
    if (epoch === seen) continue;
    seen = epoch;
    if (epoch === STOP) return runs;
    if (epoch === CANCEL || epoch < 0) {
      Atomics.store(ctl, at(slot, READY), 1);
      continue;
    }
    const rowStart = Atomics.load(ctl, at(slot, ROW_START));
    const rowEnd = Atomics.load(ctl, at(slot, ROW_END));
    const part = Atomics.load(ctl, at(slot, PART));
    const op = Atomics.load(ctl, at(slot, OP));
    const live = (): boolean => Atomics.load(ctl, cmdAt) === epoch;
    const crash = Atomics.load(ctl, at(slot, CRASH_AT)) === epoch;
    if (op === ShardOp.fused) {
      // The whole step as one command (src/shards/fused-step.ts); cancelled: not reported as done.
      party.crashPhase = crash ? Atomics.load(ctl, at(slot, CRASH_PHASE)) : 0;
      const t0 = performance.now();
      const ok = runParty(party, part, epoch, live, Number.POSITIVE_INFINITY);
      Atomics.store(ctl, at(slot, BUSY_US), Math.round((performance.now() - t0) * 1000));
      runs++;
      Atomics.store(ctl, at(slot, READY), 1);
      if (ok && live()) signalDone(ctl, slot, epoch);
      continue;
    }
    if (crash) {
      // Test hook: die mid-task, after running half of the partition.
      runOp(shared, op, rowStart, rowStart + ((rowEnd - rowStart) >> 1), part, live, party.sc.grid);
      process.exit(1);
    }
    const t0 = performance.now();
    runOp(shared, op, rowStart, rowEnd, part, live, party.sc.grid);
    Atomics.store(ctl, at(slot, BUSY_US), Math.round((performance.now() - t0) * 1000));
    runs++;
    // READY before DONE: once the barrier opens, the main thread may dispatch the next step.
    Atomics.store(ctl, at(slot, READY), 1);
    if (live()) signalDone(ctl, slot, epoch);
  }
}
