/**
 * The fused sharded step: one dispatch per physics step. Each partition ("party") runs the three
 * phases of a step in a row — anomaly guard + staging of id parts, grid build of row chunks,
 * kernel + copy-back of row chunks — claiming the units of each phase as it goes (its own home
 * first, then the others': src/shards/chunk-claim.ts), and the parties synchronise between phases
 * among themselves (a barrier that opens when every unit of the phase is done), instead of
 * returning to the main thread after each phase. The main thread is one of the parties when it runs a band itself
 * (`mainRuns`); otherwise it sleeps from the dispatch until the last party's DONE.
 *
 *   main:   beginStep, partitionIds, base weights ─ dispatch ────────────────────────────── DONE ─ counters
 *   party:  guardStageIds(id part)* ─ B1 ─ planBands ─ (rowStart[lo..hi], buildRows)(chunk)* ─ B2 ─ stepCommitRows(chunk)*
 *
 * The serial work between guard and build (row starts, the split of the rows into chunks) is done
 * by every party itself, identically: each computes the whole split from the row counts (read-only
 * after B1) and the main thread's snapshot of the row weights, and writes the row starts of each
 * chunk it builds (`rowStart[lo..hi]`, a shared end row written twice with the same value). Chunks
 * never change results (read-old/write-new kernels), only balance.
 *
 * Plan block (Int32Array on a SharedArrayBuffer, one per pool): header words, then 16 words per
 * party at `PLAN_BASE + 16p`: an id part's range (written by the main thread, for p < id parts),
 * the party's nominal band (its home chunks), its progress tag (`(epoch << 2) | phases done`), its
 * own µs per phase; then a done word per id part and per row chunk, then their claim words.
 */
import { stepCommitRows } from '../physics/collide-kernel.js';
import { buildRows } from '../physics/grid-build.js';
import { guardStageIds } from '../physics/guard-stage.js';
import { type GridScratch, gridScratch } from '../physics/grid-scratch.js';
import { C, MAX_ID_PARTS, MAX_PARTITIONS, P, type PhysicsShared } from '../physics/physics-types.js';
import { claimUnit, closeClaims, countDone, doneCount, PLAN_CHUNKS } from './chunk-claim.js';

/** Header: parties this step. */
export const PLAN_PARTIES = 0;
/** Header: id partitions (guard + staging) this step. */
export const PLAN_ID_PARTS = 1;
/** Header: bumped (+ notify) at each party's arrival at a barrier. */
export const PLAN_SEQ = 2;
export const PLAN_BASE = 16;
export const PLAN_WORDS = 16;
/** Words of a party (64 bytes: one cache line each). `awake`: the epoch the party last started (masked). */
export const PW = { idLo: 0, idHi: 1, bandLo: 2, bandHi: 3, tag: 4, us1: 5, us2: 6, us3: 7, awake: 8 } as const;
/** Phases of a fused step. */
export const FUSED_PHASES = 3;
const EPOCH_MASK = 0x1fffffff;

/** Allocate the plan block of a pool. */
export const createPlan = (): Int32Array => new Int32Array(new SharedArrayBuffer((CLAIM_BASE + MAX_ID_PARTS + MAX_PARTITIONS) * 4));

/** The units' claim words (src/shards/chunk-claim.ts), after the parties' words and the units' done words. */
export const CLAIM_BASE = PLAN_BASE + MAX_PARTITIONS * PLAN_WORDS + MAX_ID_PARTS + MAX_PARTITIONS;

/** Done word of id part `i` (its guard + stage: `tagOf(epoch, 1)`). */
const idDoneAt = (i: number): number => PLAN_BASE + MAX_PARTITIONS * PLAN_WORDS + i;
/** Done word of row chunk `c` (`tagOf(epoch, 2)` built, `tagOf(epoch, 3)` stepped and copied back). */
const chunkDoneAt = (c: number): number => PLAN_BASE + MAX_PARTITIONS * PLAN_WORDS + MAX_ID_PARTS + c;

/** Phases unit word `w` shows done in `epoch` (0 when its tag is from another epoch). */
const unitProgress = (plan: Int32Array, w: number, epoch: number): number => {
  const t = Atomics.load(plan, w);
  return t >>> 2 === (epoch & EPOCH_MASK) ? t & 3 : 0;
};

/** Index of word `w` of party `p`. */
export const pat = (p: number, w: number): number => PLAN_BASE + p * PLAN_WORDS + w;

/** The progress tag of `phase` (0..3) phases done in `epoch`. */
export const tagOf = (epoch: number, phase: number): number => ((epoch & EPOCH_MASK) << 2) | phase;

/** Phases party `p` has completed in `epoch` (0 when its tag is from another epoch). */
export const progressOf = (plan: Int32Array, p: number, epoch: number): number => {
  const t = Atomics.load(plan, pat(p, PW.tag));
  return t >>> 2 === (epoch & EPOCH_MASK) ? t & 3 : 0;
};

/** Per-thread scratch of {@link planBands}, and of the guard/staging and grid build units (`grid`). */
export interface BandScratch {
  work: Float64Array;
  pre: Int32Array;
  grid: GridScratch;
}

/** Scratch for a grid of `side` rows (grown on demand). */
export const bandScratch = (side: number): BandScratch => ({
  work: new Float64Array(side),
  pre: new Int32Array(side + 1),
  grid: gridScratch(side),
});

/**
 * Main thread, before dispatch: each row's weight for the split but its body count — a pass over
 * its cells plus the previous step's kernel work ×4 (as src/physics/physics-state.ts
 * `partitionStepRows`). A snapshot, because the build rewrites `rowWork` while other parties may
 * still be splitting.
 */
export const baseWeights = (s: PhysicsShared, base: Float64Array): void => {
  const side = s.params[P.side] | 0,
    rw = s.rowWork;
  let prev = 0;
  for (let r = 0; r < side; r++) prev += rw[r];
  for (let r = 0; r < side; r++) base[r] = (side >> 4) + (prev > 0 ? 4 * rw[r] : 0);
};

/**
 * After the guard + staging barrier: the row starts (a prefix over rows × id partitions, into
 * `sc.pre`) and the split of the rows into `parts` bands of about equal weight (base + bodies),
 * written into `out` ([lo0, hi0, lo1, hi1, ...]). Same result on every thread. Returns the bodies.
 */
export const planBands = (s: PhysicsShared, base: Float64Array, sc: BandScratch, parts: number, out: Int32Array): number => {
  const side = s.params[P.side] | 0,
    idp = s.params[P.idParts] | 0,
    counts = s.rowCounts,
    w = sc.work,
    pre = sc.pre;
  let acc = 0,
    total = 0;
  for (let gy = 0; gy < side; gy++) {
    pre[gy] = acc;
    let c = 0;
    for (let q = 0; q < idp; q++) c += counts[q * side + gy];
    acc += c;
    const x = base[gy] + c;
    w[gy] = x;
    total += x;
  }
  pre[side] = acc;
  let row = 0,
    sum = 0;
  for (let p = 0; p < parts; p++) {
    out[2 * p] = row;
    if (p === parts - 1) row = side;
    else {
      const target = (total * (p + 1)) / parts;
      while (row < side && sum + w[row] / 2 < target) sum += w[row++];
    }
    out[2 * p + 1] = row;
  }
  return acc;
};

/** Write row starts [lo, hi] (inclusive: a band's build reads its end row's start) from `sc.pre`. */
export const writeRowStarts = (s: PhysicsShared, sc: BandScratch, lo: number, hi: number): void => {
  const rs = s.rowStart,
    pre = sc.pre;
  for (let r = lo; r <= hi; r++) rs[r] = pre[r];
};

/** Run phase `phase` (1 guard + stage, 2 build, 3 kernel + copy-back) of party `p` over [lo, hi). Re-runnable. */
export const runPhase = (
  s: PhysicsShared,
  phase: number,
  p: number,
  lo: number,
  hi: number,
  live?: () => boolean,
  grid?: GridScratch,
): void => {
  if (phase === 1) guardStageIds(s, lo, hi, p, grid);
  else if (phase === 2) buildRows(s, lo, hi, grid);
  else {
    // A partly-run band (dead worker) may have counted already: its kernel counters restart.
    s.counters.fill(0, p * C.stride, p * C.stride + C.quarantined);
    stepCommitRows(s, lo, hi, p, live, grid?.kernel);
  }
};

/** Mark party `p` as done with `phase` of `epoch`, and wake waiting parties. */
const arrive = (plan: Int32Array, p: number, epoch: number, phase: number): void => {
  Atomics.store(plan, pat(p, PW.tag), tagOf(epoch, phase));
  Atomics.add(plan, PLAN_SEQ, 1);
  Atomics.notify(plan, PLAN_SEQ);
};

/**
 * 1 when all `units` units of `phase` of `epoch` are done; 0 when not, but every party that has not
 * finished the phase has started the step; -1 when one has not even started.
 */
const barrierState = (plan: Int32Array, parties: number, epoch: number, phase: number, units: number): number => {
  if (doneCount(plan, phase, epoch) >= units) return 1;
  const e = epoch & EPOCH_MASK;
  for (let q = 0; q < parties; q++) if (progressOf(plan, q, epoch) < phase && Atomics.load(plan, pat(q, PW.awake)) !== e) return -1;
  return 0;
};

/**
 * Wait until all `units` units (id parts, row chunks) of `phase` of `epoch` are done: spin for up
 * to `spinMs` while every late party is awake (running its last unit on another core: units are
 * small, they end within a fraction of a ms of each other), then sleep on PLAN_SEQ — at once when a late party has not even started the step (it is
 * waiting for a core: spinning would keep it off this one). Returns 2 when the barrier was open on
 * arrival, 1 when it opened during the spin, 0 when it slept, -1 when `live()` turned false
 * (cancelled) or `deadline` passed.
 */
export const awaitParties = (
  plan: Int32Array,
  parties: number,
  epoch: number,
  phase: number,
  units: number,
  spinMs: number,
  deadline: number,
  live: () => boolean,
): number => {
  if (spinMs > 0) {
    const end = performance.now() + spinMs;
    for (let k = 0; ; k++) {
      const st = barrierState(plan, parties, epoch, phase, units);
      if (st === 1) return k === 0 ? 2 : 1;
      if (st < 0 || ((k & 31) === 31 && (performance.now() >= end || !live()))) break;
    }
  }
  for (;;) {
    const seq = Atomics.load(plan, PLAN_SEQ);
    if (doneCount(plan, phase, epoch) >= units) return 0;
    if (!live()) return -1;
    const left = deadline - performance.now();
    if (left <= 0) return -1;
    Atomics.wait(plan, PLAN_SEQ, seq, Math.min(left, 50));
  }
};

/** Barriers without a spin before a party tries a short spin again. */
const RETRY_SPIN_AFTER = 32;

/**
 * Adapt a party's spin budget to what its last barrier showed (`got`: 1 the spin saw the barrier
 * open, 0 it slept). A spin that paid doubles the budget (up to the maximum); one that ran out (a
 * late party was off a core: on a loaded host, spinning keeps it off this one too) quarters it,
 * down to none; with none, a short spin is tried again every {@link RETRY_SPIN_AFTER} barriers.
 */
export const adaptSpin = (ctx: PartyContext, got: number): void => {
  if (got === 2) return; // the last to arrive: nothing learnt
  if (got === 1) ctx.spinMs = Math.min(ctx.spinMaxMs, ctx.spinMs * 2);
  else if (ctx.spinMs > 0) ctx.spinMs = ctx.spinMs < 0.1 ? 0 : ctx.spinMs / 4;
  else if (++ctx.idleBarriers >= RETRY_SPIN_AFTER) {
    ctx.idleBarriers = 0;
    ctx.spinMs = ctx.spinMaxMs / 4;
  }
};

/** What a party needs besides the shared buffers. */
export interface PartyContext {
  s: PhysicsShared;
  plan: Int32Array;
  base: Float64Array;
  sc: BandScratch;
  bands: Int32Array;
  /** The spin budget at a barrier now (ms), adapted by {@link adaptSpin}; at most `spinMaxMs`. */
  spinMs: number;
  spinMaxMs: number;
  /** Barriers waited in a row with no spin budget. */
  idleBarriers: number;
  /** Test hook: the phase (1..3) in which to die after half of it, 0 = never. */
  crashPhase: number;
  die: () => void;
}

/** Count a unit of `phase` done; the last one wakes the parties waiting at the barrier. */
const unitDone = (plan: Int32Array, w: number, epoch: number, phase: number, units: number): void => {
  Atomics.store(plan, w, tagOf(epoch, phase));
  if (countDone(plan, phase, epoch) === units) {
    Atomics.add(plan, PLAN_SEQ, 1);
    Atomics.notify(plan, PLAN_SEQ);
  }
};

/**
 * Run party `p` of a fused step under `epoch` (see the module doc): in each phase it claims units
 * (id parts, then row chunks) until none is left, then waits until every unit of the phase is done.
 * Returns true when its three phases are done; false when cancelled (`live()` false) or `deadline`
 * (performance.now ms) passed at a barrier — the caller then re-runs what is missing
 * (src/shards/shard-pool.ts).
 */
export const runParty = (ctx: PartyContext, p: number, epoch: number, live: () => boolean, deadline: number): boolean => {
  const { s, plan } = ctx;
  const parties = Atomics.load(plan, PLAN_PARTIES);
  const idp = Atomics.load(plan, PLAN_ID_PARTS);
  const chunks = Atomics.load(plan, PLAN_CHUNKS);
  const per = chunks / parties;
  Atomics.store(plan, pat(p, PW.awake), epoch & EPOCH_MASK);
  let t = performance.now();
  for (let phase = 1; phase <= FUSED_PHASES; phase++) {
    const units = phase === 1 ? idp : chunks;
    if (phase === 2) {
      if (ctx.sc.pre.length < (s.params[P.side] | 0) + 1) ctx.sc = bandScratch(s.params[P.side] | 0);
      planBands(s, ctx.base, ctx.sc, chunks, ctx.bands);
      // The party's nominal band (its share of the chunks in order), for the caller's figures.
      Atomics.store(plan, pat(p, PW.bandLo), ctx.bands[2 * Math.floor(p * per)]);
      Atomics.store(plan, pat(p, PW.bandHi), ctx.bands[2 * Math.floor((p + 1) * per) - 1]);
    }
    for (;;) {
      const u = claimUnit(plan, CLAIM_BASE, phase, epoch, p, parties, units);
      if (ctx.crashPhase === phase && u < 0) ctx.die(); // the test hook dies in its phase, unit or none
      if (u < 0) break;
      if (!live()) return false;
      const lo = phase === 1 ? Atomics.load(plan, pat(u, PW.idLo)) : ctx.bands[2 * u],
        hi = phase === 1 ? Atomics.load(plan, pat(u, PW.idHi)) : ctx.bands[2 * u + 1];
      if (phase === 2) writeRowStarts(s, ctx.sc, lo, hi);
      if (ctx.crashPhase === phase) {
        // Test hook: die half-way through the first unit claimed in this phase.
        runPhase(s, phase, u, lo, lo + ((hi - lo) >> 1), undefined, ctx.sc.grid);
        ctx.die();
      }
      runPhase(s, phase, u, lo, hi, live, ctx.sc.grid);
      if (!live()) return false;
      unitDone(plan, phase === 1 ? idDoneAt(u) : chunkDoneAt(u), epoch, phase, units);
    }
    const now = performance.now();
    Atomics.store(plan, pat(p, PW.us1 + phase - 1), Math.round((now - t) * 1000));
    if (!live()) return false;
    arrive(plan, p, epoch, phase);
    if (phase < FUSED_PHASES) {
      const got = awaitParties(plan, parties, epoch, phase, units, ctx.spinMs, deadline, live);
      if (got < 0) return false;
      adaptSpin(ctx, got);
    }
    t = performance.now();
  }
  return true;
};

/**
 * Main thread, after a missed deadline (every worker's command cancelled): close the step's claims,
 * then re-run, phase by phase, each unit (id part, row chunk) whose done word does not show the
 * phase, with the row starts and chunks planned again here. Every unit is re-runnable
 * (read-old/write-new): a late original of the same unit writes the same values.
 */
export const rerunMissing = (ctx: PartyContext, epoch: number, idCount: number, chunks: number): void => {
  const { s, plan } = ctx;
  closeClaims(plan, CLAIM_BASE, epoch, idCount, chunks);
  for (let i = 0; i < idCount; i++)
    if (unitProgress(plan, idDoneAt(i), epoch) < 1)
      runPhase(s, 1, i, Atomics.load(plan, pat(i, PW.idLo)), Atomics.load(plan, pat(i, PW.idHi)), undefined, ctx.sc.grid);
  if (ctx.sc.pre.length < (s.params[P.side] | 0) + 1) ctx.sc = bandScratch(s.params[P.side] | 0);
  planBands(s, ctx.base, ctx.sc, chunks, ctx.bands);
  writeRowStarts(s, ctx.sc, 0, s.params[P.side] | 0);
  for (let phase = 2; phase <= FUSED_PHASES; phase++)
    for (let c = 0; c < chunks; c++)
      if (unitProgress(plan, chunkDoneAt(c), epoch) < phase)
        runPhase(s, phase, c, ctx.bands[2 * c], ctx.bands[2 * c + 1], undefined, ctx.sc.grid);
};

/** The nominal band of each of `parties` parties (its share of the `chunks` chunks in `chunkBounds`, in order) into `out`. */
export const nominalBands = (chunkBounds: Int32Array, chunks: number, parties: number, out: Int32Array): void => {
  const per = chunks / parties;
  for (let p = 0; p < parties; p++) {
    out[2 * p] = chunkBounds[2 * Math.floor(p * per)];
    out[2 * p + 1] = chunkBounds[2 * Math.floor((p + 1) * per) - 1];
  }
};
