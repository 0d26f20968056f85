/**
 * The grid build of a physics step: bodies into cell order (cells ascending, ids ascending inside
 * a cell), as two counting sorts, so that no pass increments a per-cell counter at a random cell
 * (a world of 100k bodies on 625k cells spent most of its grid build on those cache misses):
 *
 *   guardStageIds (src/physics/guard-stage.ts; per range of the step's body list `ids`: inline or
 *                on a shard)  anomaly guard and each body's row and column, then (same phase, local to the range) each body's sanitised
 *                start-of-step state into the range's own region of `stage`, in row order — one
 *                write stream per row, the per-row cursors fit in L1
 *   planRows     (main thread)  each row's first grid slot
 *   buildRows    (per band of rows: inline or on a shard)  a row's staged bodies (range by range)
 *                into cell order (by column, stable): `cellItems`, `sorted`, `sortedFlags`,
 *                `sortedCx`, and the row's `rowWork` / `rowMax` / `rowDense` (and `cellStart` of a
 *                dense row's cells). Rows are independent: any partition of the rows gives the
 *                same arrays.
 *
 *   stage: 6 words per body (layout in src/physics/guard-stage.ts). With `params[P.slotOf]` 1, for
 *   the copy-back in list order: each list position's stage slot in `stageOf` (the staging pass)
 *   and each stage slot's grid slot in `slotOf` (the build).
 */
import { CX_MASK, FLAGS_SHIFT, STAGE_STRIDE, STEPS_SHIFT } from './guard-stage.js';
import { P, rowWords, type PhysicsShared } from './physics-types.js';

/** The guard and staging phase lives in guard-stage.ts (re-exported for existing importers). */
export { guardStageIds } from './guard-stage.js';

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
