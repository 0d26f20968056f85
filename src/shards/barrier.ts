/**
 * Shared control block of a shard pool and the Atomics protocol around it. One Int32Array on a
 * SharedArrayBuffer:
 *
 *   [0]            DONE_SEQ   bumped (Atomics.add + notify) by a worker each time it finishes
 *   (slot s at word 16 + 16s: 64 bytes, one cache line per slot, so one worker's READY/DONE writes
 *   never invalidate the line another worker's CMD word sits in)
 *   [16 + 16s + 0]   CMD        command epoch of slot s: > 0 run, STOP (-1) exit, CANCEL (-2) none
 *   [16 + 16s + 1]   ROW_START  \
 *   [16 + 16s + 2]   ROW_END     > the partition to run (written before CMD)
 *   [16 + 16s + 3]   PART       /
 *   [16 + 16s + 4]   READY      1 = the worker is alive and idle (it sets it; the main thread clears it on dispatch)
 *   [16 + 16s + 5]   DONE       epoch of the last command the worker completed
 *   [16 + 16s + 6]   CRASH_AT   test hook: epoch at which the worker exits mid-task (0 = never)
 *   [16 + 16s + 7]   OP         what to run: 0 = physics kernel (stepRows), 1 = copy-back (commitRows),
 *                             2 = grid build of a band of rows (buildRows), 3 = anomaly guard + staging of an
 *                             id range (guardStageIds), 4 = kernel then copy-back of the same band
 *                             (stepRows + commitRows: no barrier between them)
 *   [16 + 16s + 8]  BUSY_US    wall µs the worker spent running its last command (balance of the bands:
 *                             bench `shards` phaseProfile)
 *   [16 + 16s + 9]  CRASH_PHASE test hook of op 5: the phase (1..3) of the fused step in which to exit
 *   (op 5 = fused: the three phases of a step as one command, parties meeting at barriers of their
 *   own between phases: src/shards/fused-step.ts)
 *
 * Dispatch = write the partition, store CMD, Atomics.notify. The worker sleeps in Atomics.wait
 * on its CMD word; the main thread sleeps in Atomics.wait on DONE_SEQ until every dispatched
 * slot's DONE equals the epoch, or the deadline passes. By default both sides sleep at once (no
 * polling). With the pool option `spinUs` > 0 waits are short spins then sleeps: a worker
 * that finished a command watches its CMD word for `spinUs` µs before it sleeps, so
 * the next phase of the same step (dispatched tens of µs later) starts without a futex wake-up (on
 * this VM a sleeping thread takes ~0.1–0.5 ms to run again); the main thread, when it ran a band
 * itself, watches DONE for up to {@link MAIN_SPIN_MS} before it sleeps. Spins are bounded: an idle
 * pool sleeps.
 */

export const DONE_SEQ = 0;
export const SLOT_BASE = 16;
export const SLOT_WORDS = 16;
export const CMD = 0;
export const ROW_START = 1;
export const ROW_END = 2;
export const PART = 3;
export const READY = 4;
export const DONE = 5;
export const CRASH_AT = 6;
export const OP = 7;
export const BUSY_US = 8;
export const CRASH_PHASE = 9;
/** Operations a shard worker runs. */
export const ShardOp = { step: 0, commit: 1, build: 2, guardStage: 3, stepCommit: 4, fused: 5 } as const;
export const STOP = -1;
export const CANCEL = -2;

/** Allocate a control block for `slots` workers. */
export const createControl = (slots: number): Int32Array => new Int32Array(new SharedArrayBuffer((SLOT_BASE + slots * SLOT_WORDS) * 4));

/** Index of word `field` of slot `slot`. */
export const at = (slot: number, field: number): number => SLOT_BASE + slot * SLOT_WORDS + field;

/** Main thread: hand operation `op` on partition `part` (rows [rowStart, rowEnd)) to `slot` under `epoch`, and wake it. */
export const dispatch = (
  ctl: Int32Array,
  slot: number,
  epoch: number,
  part: number,
  rowStart: number,
  rowEnd: number,
  op: number,
): void => {
  Atomics.store(ctl, at(slot, READY), 0);
  Atomics.store(ctl, at(slot, OP), op);
  Atomics.store(ctl, at(slot, ROW_START), rowStart);
  Atomics.store(ctl, at(slot, ROW_END), rowEnd);
  Atomics.store(ctl, at(slot, PART), part);
  Atomics.store(ctl, at(slot, CMD), epoch);
  Atomics.notify(ctl, at(slot, CMD));
};

/** Main thread: how long {@link awaitBarrier} polls (when asked to) before it sleeps, ms. */
export const MAIN_SPIN_MS = 0.1;

const allDone = (ctl: Int32Array, slots: Int32Array, n: number, epoch: number): boolean => {
  for (let i = 0; i < n; i++) if (Atomics.load(ctl, at(slots[i], DONE)) !== epoch) return false;
  return true;
};

/** Worker: watch word `i` of `ctl` while it equals `value`, for at most `ms` wall ms. Returns true when it changed. */
export const spinWhile = (ctl: Int32Array, i: number, value: number, ms: number): boolean => {
  if (!(ms > 0)) return Atomics.load(ctl, i) !== value;
  const end = performance.now() + ms;
  for (let k = 0; ; k++) {
    if (Atomics.load(ctl, i) !== value) return true;
    if ((k & 63) === 63 && performance.now() >= end) return false;
  }
};

/**
 * Main thread: block (Atomics.wait on DONE_SEQ; when `spin`, after polling for up to
 * {@link MAIN_SPIN_MS}: the main thread ran a band itself, so the workers' are about done) until
 * each slot in `slots[0..n)` has DONE === `epoch`, or `timeoutMs` wall ms pass. Returns true when
 * all finished.
 */
export const awaitBarrier = (ctl: Int32Array, slots: Int32Array, n: number, epoch: number, timeoutMs: number, spin = false): boolean => {
  const deadline = performance.now() + timeoutMs;
  if (spin) {
    const end = performance.now() + MAIN_SPIN_MS;
    for (let k = 0; ; k++) {
      if (allDone(ctl, slots, n, epoch)) return true;
      if ((k & 15) === 15 && performance.now() >= end) break;
    }
  }
  for (;;) {
    const seq = Atomics.load(ctl, DONE_SEQ);
    let all = true;
    for (let i = 0; i < n; i++) {
      if (Atomics.load(ctl, at(slots[i], DONE)) !== epoch) {
        all = false;
        break;
      }
    }
    if (all) return true;
    const left = deadline - performance.now();
    if (left <= 0) return false;
    Atomics.wait(ctl, DONE_SEQ, seq, left);
  }
};

/** Worker: report completion of `epoch` on `slot` and wake the main thread. */
export const signalDone = (ctl: Int32Array, slot: number, epoch: number): void => {
  Atomics.store(ctl, at(slot, DONE), epoch);
  Atomics.add(ctl, DONE_SEQ, 1);
  Atomics.notify(ctl, DONE_SEQ);
};
