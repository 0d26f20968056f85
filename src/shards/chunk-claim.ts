/**
 * Dynamic claiming of the units of a fused step's phases (src/shards/fused-step.ts): the id parts
 * of guard + stage and the row chunks of build and kernel are more than the parties (a few per
 * party), and each party takes the next unit of a phase from a shared claim word until none is
 * left — so a party the host preempts holds up the barrier by at most the unit it holds, while
 * the others take the rest.
 *
 * Words of the plan block: a claim word per unit (`(epoch & CLAIM_EPOCH_MASK) << 8 | state`) and a
 * completion word per phase (header word {@link PLAN_DONE} + phase - 1: `… << 8 | units done`). A
 * claim or a completion is a compare-exchange that checks the epoch, so a late run of a cancelled
 * step (its worker resumed after the main thread gave up on it) can neither take a unit of a later
 * step nor count one as done there. The main thread opens the words of a step before dispatch, and
 * a recovery closes its claims before it reads which units are done. Each party takes the units of
 * its own home first (the static split of before: the same rows built and stepped on one core), and
 * then steals from the others' homes.
 *
 * Per unit, a done word (`tagOf(epoch, phase)`): the recovery re-runs the units whose tag does not
 * show the phase. Every unit is re-runnable (read-old/write-new): a late original and a re-run of
 * the same unit write the same values.
 */
import { MAX_ID_PARTS, MAX_PARTITIONS } from '../physics/physics-types.js';

/** Header: units (row chunks) of build and kernel this step. */
export const PLAN_CHUNKS = 3;
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

/**
 * Claim words: one per unit at `base + u` (id parts of guard + stage) and `base + MAX_ID_PARTS + c`
 * (row chunks), each `stamp(epoch) | state`: 0 open, 1 claimed for guard + stage (id parts), 2
 * claimed for the build, 3 claimed for the kernel (row chunks), {@link CLOSED}.
 */
const wordOf = (base: number, phase: number, u: number): number => base + (phase === 1 ? u : MAX_ID_PARTS + u);

/** Main thread, before dispatch: open the claims (`idParts` id parts, `chunks` row chunks, claim words at `base`) and completions of `epoch`. */
export const openClaims = (plan: Int32Array, base: number, epoch: number, idParts: number, chunks: number): void => {
  const e = stamp(epoch);
  for (let ph = 0; ph < 3; ph++) Atomics.store(plan, PLAN_DONE + ph, e);
  for (let u = 0; u < idParts; u++) Atomics.store(plan, wordOf(base, 1, u), e);
  for (let c = 0; c < chunks; c++) Atomics.store(plan, wordOf(base, 2, c), e);
};

/** Main thread, recovery: no unit of `epoch` can be claimed any more, in any phase (units claimed before may still run). */
export const closeClaims = (plan: Int32Array, base: number, epoch: number, idParts: number, chunks: number): void => {
  const e = stamp(epoch);
  for (let i = 0; i < idParts + chunks; i++) {
    const w = i < idParts ? wordOf(base, 1, i) : wordOf(base, 2, i - idParts);
    for (;;) {
      const v = Atomics.load(plan, w);
      if ((v & ~0xff) !== e || Atomics.compareExchange(plan, w, v, e | CLOSED) === v) break;
    }
  }
};

/** Take unit `u` of `phase`: its word goes from the phase before's state to this phase's. */
const take = (plan: Int32Array, base: number, phase: number, e: number, u: number): boolean => {
  const from = phase === 3 ? 2 : 0,
    to = phase;
  return Atomics.compareExchange(plan, wordOf(base, phase, u), e | from, e | to) === (e | from);
};

/**
 * Take the next unit of `phase` in `epoch` for party `p` of `parties` (`n` units): first from its
 * home (units [p·n/parties, (p+1)·n/parties), ascending: the rows it built are the rows it steps, on
 * its own caches), then from the others' homes, from their ends (the units their owners would take
 * last). Returns the unit, or -1 when none is left (or the words are another step's).
 */
export const claimUnit = (plan: Int32Array, base: number, phase: number, epoch: number, p: number, parties: number, n: number): number => {
  const e = stamp(epoch);
  const lo = Math.floor((p * n) / parties),
    hi = Math.floor(((p + 1) * n) / parties);
  for (let u = lo; u < hi; u++) if (take(plan, base, phase, e, u)) return u;
  for (let k = 1; k < parties; k++) {
    const q = (p + k) % parties;
    const qlo = Math.floor((q * n) / parties);
    for (let u = Math.floor(((q + 1) * n) / parties) - 1; u >= qlo; u--) if (take(plan, base, phase, e, u)) return u;
  }
  return -1;
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
