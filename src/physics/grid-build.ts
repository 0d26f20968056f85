/**
 * The grid build of a physics step: bodies into cell order (cells ascending, ids ascending inside
 * a cell), as two counting sorts, so that no pass increments a per-cell counter at a random cell
 * (a world of 100k bodies on 625k cells spent most of its grid build on those cache misses):
 *
 *   guardStageIds (per range of the step's body list `ids`: inline or on a shard)  anomaly guard
 *                and each body's cell, then (same phase, local to the range) each body's sanitised
 *                start-of-step state into the range's own region of `stage`, in row order — one
 *                write stream per row, the per-row cursors fit in L1
 *   planRows     (main thread)  each row's first grid slot
 *   buildRows    (per band of rows: inline or on a shard)  a row's staged bodies (range by range)
 *                into cell order (by column, stable): `cellItems`, `sorted`, `sortedFlags`,
 *                `sortedCx`, and the row's `rowWork` / `rowMax` / `rowDense` (and `cellStart` of a
 *                dense row's cells). Rows are independent: any partition of the rows gives the
 *                same arrays.
 *
 *   stage (6 words per body, a Float32Array and an Int32Array over one SharedArrayBuffer):
 *   ┌────┬────┬────┬────┬────┬──────────────────────────────┐
 *   │ x  │ y  │ vx │ vy │ id │ cx | flags << 20 | steps << 24│   x..vy float32, id and the packed word int32
 *   └────┴────┴────┴────┴────┴──────────────────────────────┘
 *   (with `params[P.slotOf]` 1, for the copy-back in list order: each list position's stage slot
 *   in `stageOf`, written by the staging pass, and each stage slot's grid slot in `slotOf`, by the build)
 *   (cx: the column, < 2^20 — a grid that wide could not be allocated; flags: kind | tier << 2, 4
 *   bits; steps: kind >> KIND_STEPS_SHIFT, at most MAX_BODY_STEPS = 63)
 */
import { TierCode } from '../../components/tier.js';
import { BodyKind, C, KIND_STEPS_SHIFT, P, rowWords, type PhysicsShared } from './physics-types.js';

const NONE = BodyKind.none,
  PLAYER = BodyKind.player;
const DETAILED = TierCode.detailed,
  DORMANT = TierCode.dormant;

/** Words per body in `stage`. */
/** Words per list position in `shared.guarded` (x, y, vx, vy, flag bits). */
export const GUARDED_STRIDE = 5;

export const STAGE_STRIDE = 6;
/** Bit offsets of the flags and the steps in a staged body's packed word (the column below them). */
const FLAGS_SHIFT = 20,
  STEPS_SHIFT = 24,
  CX_MASK = (1 << FLAGS_SHIFT) - 1;

/** {@link guardBody} results. */
export const QUARANTINED = 1,
  POS_CLAMPED = 2,
  VEL_CLAMPED = 4;

/**
 * The anomaly guard of one body: its sanitised start-of-step state into `o` (x, y, vx, vy) and
 * what was wrong, as bits: {@link QUARANTINED} (non-finite position: the body sits out the step,
 * restored to its last good position at rest by the copy-back), {@link POS_CLAMPED} (outside the
 * world: clamped in), {@link VEL_CLAMPED} (non-finite velocity → 0, above `maxSpeed` → scaled).
 * Pure: the guard and the staging pass both call it (each may run on a worker, and be re-run), and
 * so does the coarse catch-up of bodies outside the step (src/physics/physics-lod.ts).
 */
export const guardBody = (s: PhysicsShared, e: number, o: Float64Array): number => {
  const prm = s.params;
  const minX = prm[P.minX],
    minY = prm[P.minY],
    maxX = prm[P.maxX],
    maxY = prm[P.maxY],
    maxS = prm[P.maxSpeed];
  let x = s.px[e],
    y = s.py[e];
  // x - x is 0 for a finite x and NaN for NaN/±Infinity: one test for both coordinates.
  if (x - x + (y - y) !== 0) return QUARANTINED;
  let bad = 0;
  if (x < minX || x > maxX || y < minY || y > maxY) {
    x = x < minX ? minX : x > maxX ? maxX : x;
    y = y < minY ? minY : y > maxY ? maxY : y;
    bad = POS_CLAMPED;
  }
  let ux = s.vx[e],
    uy = s.vy[e];
  const v2 = ux * ux + uy * uy;
  // NaN/Infinity fail `v2 <= maxS²` too: one test on the common path.
  if (!(v2 <= maxS * maxS)) {
    if (ux - ux + (uy - uy) !== 0) ux = uy = 0;
    else {
      const f = maxS / Math.sqrt(v2);
      ux *= f;
      uy *= f;
    }
    bad |= VEL_CLAMPED;
  }
  o[0] = x;
  o[1] = y;
  o[2] = ux;
  o[3] = uy;
  return bad;
};

/** Bodies whose store lines {@link guardStageIds} touches ahead of guarding them (a few hundred lines: in L1/L2). */
const TOUCH_BLOCK = 64;

/**
 * Guard and staging of the bodies `ids[idLo..idHi)` (list positions; or ids idLo..idHi-1 themselves
 * when `params[P.byRange]` is 1) as id partition `part`, in one phase (no barrier between them): a counting sort local to the partition.
 *   pass 1  anomaly guard ({@link guardBody}): each body's cell (`cellOf`; -1 when quarantined),
 *           what was wrong (`guardBits`) — both indexed by list position (the id itself with
 *           `P.byRange`), so a listed step touches them in sequence, not at ids spread over the stores — its row counted in `rowCounts` row `part`, and the guard
 *           counters of counter slot `part`;
 *   plan    the partition's own region of `stage` is slots [idLo, idHi) (a list position holds at
 *           most one body): its rows in order from `idLo`, each row's first slot in `stageBase`
 *           row `part` — no other partition's counts needed;
 *   pass 2  each body's sanitised start-of-step state into its row's slots (ids ascending), on the
 *           caches pass 1 just filled.
 * The build then reads a row's bodies partition by partition ({@link buildRows}): partitions are
 * ascending ranges of the ascending list, so a row's bodies stay ids ascending.
 * Reads the stores, writes none: it may be re-run, even concurrently with a late run of itself
 * (every write is of a value computed from unchanged inputs, to this partition's own slots).
 */
export const guardStageIds = (s: PhysicsShared, idLo: number, idHi: number, part: number): void => {
  const prm = s.params;
  // Positions are ids themselves when the step's bodies are an id range (P.byRange).
  const byRange = prm[P.byRange] === 1;
  const side = prm[P.side] | 0,
    minX = prm[P.minX],
    minY = prm[P.minY],
    inv = 1 / prm[P.cellSize];
  const kind = s.kind,
    ids = s.ids,
    tier = s.tier,
    cellOf = s.cellOf,
    guardBits = s.guardBits,
    stage = s.stage,
    stageI = s.stageI,
    gd = s.guarded,
    gdI = s.guardedI;
  const o = new Float64Array(4);
  // Counted locally and published: a late worker re-publishes the same counts.
  const counts = new Int32Array(side);
  let quarantined = 0,
    posClamped = 0,
    velClamped = 0;
  const px = s.px,
    py = s.py,
    vx = s.vx,
    vy = s.vy;
  let sink = 0;
  for (let i = idLo; i < idHi; i++) {
    // A listed step's ids are spread over the stores (six cache misses per body): touch the next
    // block's lines first in a loop with nothing between the loads, so the misses overlap (the
    // guard's branches keep only a few bodies' loads in flight), then guard it on warm caches.
    if (!byRange && (i - idLo) % TOUCH_BLOCK === 0) {
      for (let j = i, jEnd = i + TOUCH_BLOCK < idHi ? i + TOUCH_BLOCK : idHi; j < jEnd; j++) {
        const f = ids[j];
        sink += kind[f] + tier[f] + px[f] + py[f] + vx[f] + vy[f];
      }
      o[0] = sink; // consumed (guardBody overwrites o)
    }
    const e = byRange ? i : ids[i];
    if (kind[e] === NONE) {
      cellOf[i] = -1; // not a body: pass 2 skips it without another look at `kind`
      continue;
    }
    const bad = guardBody(s, e, o);
    guardBits[i] = bad;
    if (bad !== 0) {
      if (bad === QUARANTINED) {
        // Out of the grid this step: restored after the copy-back (restoreQuarantined).
        cellOf[i] = -1;
        quarantined++;
        continue;
      }
      if (bad & POS_CLAMPED) posClamped++;
      if (bad & VEL_CLAMPED) velClamped++;
    }
    let gx = Math.floor((o[0] - minX) * inv),
      gy = Math.floor((o[1] - minY) * inv);
    gx = gx >= side ? side - 1 : gx;
    gy = gy >= side ? side - 1 : gy;
    cellOf[i] = gy * side + gx;
    counts[gy]++;
    // Everything pass 2 needs, by position (guardBody left o = the stored values when nothing was wrong).
    const g = i * GUARDED_STRIDE;
    gd[g] = o[0];
    gd[g + 1] = o[1];
    gd[g + 2] = o[2];
    gd[g + 3] = o[3];
    const kb = kind[e],
      kd = kb & 3;
    // Level of detail: players are always full; an unknown tier code counts as dormant.
    const t = kd === PLAYER ? DETAILED : tier[e] > DORMANT ? DORMANT : tier[e];
    gdI[g + 4] = ((kd | (t << 2)) << FLAGS_SHIFT) | ((kb >> KIND_STEPS_SHIFT) << STEPS_SHIFT);
  }
  const row = part * side;
  s.rowCounts.set(counts, row);
  const cnt = s.counters,
    c = part * C.stride;
  cnt[c + C.quarantined] = quarantined;
  cnt[c + C.positionClamped] = posClamped;
  cnt[c + C.velocityClamped] = velClamped;
  // The partition's rows from idLo on; `counts` becomes the per-row cursor (L1-sized).
  const stageBase = s.stageBase;
  let acc = idLo;
  for (let gy = 0; gy < side; gy++) {
    const k = counts[gy];
    stageBase[row + gy] = acc;
    counts[gy] = acc;
    acc += k;
  }
  const stageOf = prm[P.slotOf] === 1 ? s.stageOf : null;
  for (let i = idLo; i < idHi; i++) {
    const e = byRange ? i : ids[i];
    const cell = cellOf[i];
    if (cell < 0) continue;
    const gy = (cell / side) | 0;
    const j = counts[gy]++;
    if (stageOf !== null) stageOf[i] = j;
    const q = j * STAGE_STRIDE;
    const g = i * GUARDED_STRIDE;
    stage[q] = gd[g];
    stage[q + 1] = gd[g + 1];
    stage[q + 2] = gd[g + 2];
    stage[q + 3] = gd[g + 3];
    stageI[q + 4] = e;
    stageI[q + 5] = (cell - gy * side) | gdI[g + 4];

  }
};

/**
 * After the guard and staging, before the build (main thread): each row's first grid slot
 * (`rowStart`: rows in order, each row's bodies partition by partition) and the number of id
 * partitions (`params[P.idParts]`, read by the build). Returns the number of bodies in the grid.
 */
export const planRows = (s: PhysicsShared, parts: number): number => {
  const side = s.params[P.side] | 0;
  const counts = s.rowCounts,
    rowStart = s.rowStart;
  let acc = 0;
  for (let gy = 0; gy < side; gy++) {
    rowStart[gy] = acc;
    for (let p = 0; p < parts; p++) acc += counts[p * side + gy];
  }
  rowStart[side] = acc;
  s.params[P.idParts] = parts;
  return acc;
};

/**
 * Sort the staged bodies of rows [rowStart, rowEnd) into cell order and write the grid arrays of
 * those rows (see module doc). A row's staged bodies are one run per id partition
 * (`stageBase` / `rowCounts`, partitions in order: ids ascending). A row is sorted by column
 * stably (ids stay ascending inside a cell): a sparse row (at most side / 8 bodies) by insertion,
 * and the kernels find its cells by column (`sortedCx`), so a sparse world's millions of empty
 * cells are never written; a dense row by counting over its columns, writing its cells'
 * `cellStart` (`rowDense` 1), which the kernels index (a search per body costs more than the row's
 * cell pass there). Row work ≈ Σ bodies × (1 + neighbours examined in their own cell).
 */
export const buildRows = (s: PhysicsShared, rowStart: number, rowEnd: number): void => {
  const prm = s.params;
  const side = prm[P.side] | 0,
    cap = prm[P.maxPerCell] | 0,
    parts = prm[P.idParts] | 0;
  const items = s.cellItems,
    srt = s.sorted,
    flags = s.sortedFlags,
    steps = s.sortedSteps,
    sortedCx = s.sortedCx,
    stage = s.stage,
    stageI = s.stageI,
    rowSlot = s.rowStart,
    rowWork = s.rowWork,
    rowMax = s.rowMax,
    rowDense = s.rowDense,
    cellStart = s.cellStart,
    stageBase = s.stageBase,
    rowCounts = s.rowCounts,
    bits = s.rowBits,
    words = rowWords(side),
    slotOf = prm[P.slotOf] === 1 ? s.slotOf : null;
  // Per-column counters of one row (L1-sized) for dense rows; the stage words of a sparse row's
  // bodies (insertion sort of at most side / 8 bodies). One small array each per call (per band).
  const count = new Int32Array(side);
  const src = new Int32Array((side >> 3) + 1);
  // Sort keys of a sparse row: column << shift | arrival index (unique, so the sort is stable; side
  // is below 2^16 — side² cells are allocated — so a key fits 31 bits), compared without indirection.
  const keys = new Int32Array((side >> 3) + 1);
  const shift = 32 - Math.clz32(side >> 3),
    low = (1 << shift) - 1;
  for (let gy = rowStart; gy < rowEnd; gy++) {
    const rs = rowSlot[gy],
      re = rowSlot[gy + 1];
    const n = re - rs;
    bits.fill(0, gy * words, gy * words + words);
    if (n === 0) {
      rowWork[gy] = 0;
      rowMax[gy] = 0;
      rowDense[gy] = 0;
      continue;
    }
    rowDense[gy] = n <= side >> 3 ? 0 : 1;
    if (n <= side >> 3) {
      // Stable insertion sort of the row's stage words by column (runs in partition order).
      let m = 0;
      for (let p = 0; p < parts; p++) {
        const b = stageBase[p * side + gy];
        for (let j = b, jEnd = b + rowCounts[p * side + gy]; j < jEnd; j++) {
          const q = j * STAGE_STRIDE;
          const key = ((stageI[q + 5] & CX_MASK) << shift) | m;
          src[m] = q;
          let k = m++;
          while (k > 0 && keys[k - 1] > key) {
            keys[k] = keys[k - 1];
            k--;
          }
          keys[k] = key;
        }
      }
      for (let i = 0; i < n; i++) place(src[keys[i] & low], rs + i, stage, stageI, srt, flags, steps, sortedCx, items, slotOf);
    } else {
      count.fill(0);
      for (let p = 0; p < parts; p++) {
        const b = stageBase[p * side + gy];
        for (let j = b, jEnd = b + rowCounts[p * side + gy]; j < jEnd; j++) count[stageI[j * STAGE_STRIDE + 5] & CX_MASK]++;
      }
      // Dense row: its cells' first slots too (the kernels index them instead of searching).
      const base = gy * side;
      let acc = rs;
      for (let cx = 0; cx < side; cx++) {
        const k = count[cx];
        cellStart[base + cx] = acc;
        count[cx] = acc;
        acc += k;
      }
      for (let p = 0; p < parts; p++) {
        const b = stageBase[p * side + gy];
        for (let j = b, jEnd = b + rowCounts[p * side + gy]; j < jEnd; j++) {
          const q = j * STAGE_STRIDE;
          place(q, count[stageI[q + 5] & CX_MASK]++, stage, stageI, srt, flags, steps, sortedCx, items, slotOf);
        }
      }
    }
    // Row work = Σ over cells of k × (1 + min(k, cap)), k a cell's bodies (runs of one column);
    // the row's occupancy bits.
    let w = 0,
      most = 0;
    for (let i = rs; i < re; ) {
      const cx = sortedCx[i];
      bits[gy * words + (cx >> 5)] |= 1 << (cx & 31);
      let j = i + 1;
      while (j < re && sortedCx[j] === cx) j++;
      const k = j - i;
      w += k * (1 + (k < cap ? k : cap));
      if (k > most) most = k;
      i = j;
    }
    rowWork[gy] = w;
    rowMax[gy] = most;
  }
};

/** Copy the staged body at stage word `q` into grid slot `k`. */
const place = (
  q: number,
  k: number,
  stage: Float32Array,
  stageI: Int32Array,
  srt: Float32Array,
  flags: Uint8Array,
  steps: Uint8Array,
  sortedCx: Int32Array,
  items: Int32Array,
  slotOf: Int32Array | null,
): void => {
  const w = stageI[q + 5];
  if (slotOf !== null) slotOf[(q / STAGE_STRIDE) | 0] = k;
  sortedCx[k] = w & CX_MASK;
  const o = k << 2;
  srt[o] = stage[q];
  srt[o + 1] = stage[q + 1];
  srt[o + 2] = stage[q + 2];
  srt[o + 3] = stage[q + 3];
  flags[k] = (w >> FLAGS_SHIFT) & 15;
  steps[k] = w >> STEPS_SHIFT;
  items[k] = stageI[q + 4];
};

/** First slot in [lo, hi) whose column (`sortedCx`, ascending there) is above `cx`; `hi` when none. */
export const slotAfter = (sortedCx: Int32Array, lo: number, hi: number, cx: number): number => {
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sortedCx[mid] <= cx) lo = mid + 1;
    else hi = mid;
  }
  return lo;
};
