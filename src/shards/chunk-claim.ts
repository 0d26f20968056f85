/**
 * Dynamic claiming of the units of a fused step's phases (src/shards/fused-step.ts): the id parts
 * of guard + stage and the row chunks of build and kernel are more than the parties (a few per
 * party), and each party takes the next unit of a phase from a shared claim word until none is
 * left — so a party the host preempts holds up the barrier by at most the unit it holds, while
 * the others take the rest.
 *
 * Words of the plan block (header words {@link PLAN_CLAIM} + phase - 1 and {@link PLAN_DONE} +
 * phase - 1): `(epoch & CLAIM_EPOCH_MASK) << 8 | n`, n the units claimed (resp. done) so far. A
 * claim or a completion is a compare-exchange that checks the epoch, so a late run of a cancelled
 * step (its worker resumed after the main thread gave up on it) can neither take a unit of a later
 * step nor count one as done there. The main thread writes `epoch | 0` before dispatch, and a
 * recovery closes a step's claims (`epoch | CLOSED`) before it reads which units are done.
 *
 * Per unit, a done word (`tagOf(epoch, phase)`): the recovery re-runs the units whose tag does not
 * show the phase. Every unit is re-runnable (read-old/write-new): a late original and a re-run of
 * the same unit write the same values.
 */
import { MAX_ID_PARTS, MAX_PARTITIONS } from '../physics/physics-types.js';

/** Header: units (row chunks) of build and kernel this step. */
export const PLAN_CHUNKS = 3;
/** Header: claim word of phase 1..3 at `PLAN_CLAIM + phase - 1`. */
export const PLAN_CLAIM = 4;
/** Header: completion word of phase 1..3 at `PLAN_DONE + phase - 1`. */
export const PLAN_DONE = 8;
/** Epoch bits kept in a claim / completion word. */
export const CLAIM_EPOCH_MASK = 0x7fffff;
/** Unit count of a closed claim word: nothing left to claim. */
const CLOSED = 0xff;
/** Row chunks of build and kernel per party (default of the sharded physics option `chunksPerParty`). */
export const CHUNKS_PER_PARTY = 8;
/** Id parts of guard + stage per party (default of the sharded physics option `idPartsPerParty`). */
export const ID_PARTS_PER_PARTY = 4;

/** Row chunks of a fused step of `parties` parties, `per` each (at most {@link MAX_PARTITIONS}: a counter slot each). */
export const chunkCount = (parties: number, per = CHUNKS_PER_PARTY): number => Math.min(MAX_PARTITIONS, Math.max(1, parties) * per);

/** Id parts of a fused step of `parties` parties, `per` each (at most {@link MAX_ID_PARTS}). */
export const idPartCount = (parties: number, per = ID_PARTS_PER_PARTY): number => Math.min(MAX_ID_PARTS, Math.max(1, parties) * per);

const stamp = (epoch: number): number => (epoch & CLAIM_EPOCH_MASK) << 8;

/** Main thread, before dispatch: open the claims and completions of the three phases for `epoch`. */
export const openClaims = (plan: Int32Array, epoch: number): void => {
  const e = stamp(epoch);
  for (let ph = 0; ph < 3; ph++) {
    Atomics.store(plan, PLAN_CLAIM + ph, e);
    Atomics.store(plan, PLAN_DONE + ph, e);
  }
};

/** Main thread, recovery: no unit of `epoch` can be claimed any more (units claimed before may still run). */
export const closeClaims = (plan: Int32Array, epoch: number): void => {
  const e = stamp(epoch);
  for (let ph = 0; ph < 3; ph++) {
    const w = PLAN_CLAIM + ph;
    for (;;) {
      const v = Atomics.load(plan, w);
      if ((v & ~0xff) !== e || Atomics.compareExchange(plan, w, v, e | CLOSED) === v) break;
    }
  }
};

/** Take the next of the `n` units of `phase` in `epoch`: its index, or -1 when none is left (or the word is another step's). */
export const claimUnit = (plan: Int32Array, phase: number, epoch: number, n: number): number => {
  const w = PLAN_CLAIM + phase - 1,
    e = stamp(epoch);
  for (;;) {
    const v = Atomics.load(plan, w);
    const c = v & 0xff;
    if ((v & ~0xff) !== e || c >= n) return -1;
    if (Atomics.compareExchange(plan, w, v, v + 1) === v) return c;
  }
};

/** Count one unit of `phase` in `epoch` as done; returns the units done so far (-1: another step's word). */
export const countDone = (plan: Int32Array, phase: number, epoch: number): number => {
  const w = PLAN_DONE + phase - 1,
    e = stamp(epoch);
  for (;;) {
    const v = Atomics.load(plan, w);
    if ((v & ~0xff) !== e) return -1;
    if (Atomics.compareExchange(plan, w, v, v + 1) === v) return (v & 0xff) + 1;
  }
};

/** Units of `phase` done in `epoch` so far (0 when the word is another step's). */
export const doneCount = (plan: Int32Array, phase: number, epoch: number): number => {
  const v = Atomics.load(plan, PLAN_DONE + phase - 1);
  return (v & ~0xff) === stamp(epoch) ? v & 0xff : 0;
};
