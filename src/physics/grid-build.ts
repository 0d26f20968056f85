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
 *   stage: 6 words per body (layout in src/physics/guard-stage.ts).
 */
import { CX_MASK, FLAGS_SHIFT, STAGE_STRIDE, STEPS_SHIFT } from './guard-stage.js';
import { fitGridScratch, type GridScratch } from './grid-scratch.js';
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
 * stably (ids stay ascending inside a cell) by counting per column: a sparse row (at most side / 8
 * bodies) visits only its occupied columns (its occupancy bits, set by the count, then written to
 * `rowBits`), and
 * the kernels find its cells by column (`sortedCx`), so a sparse world's millions of empty cells
 * are never written; a dense row visits every column, writing its cells'
 * `cellStart` (`rowDense` 1), which the kernels index (a search per body costs more than the row's
 * cell pass there). Row work ≈ Σ bodies × (1 + neighbours examined in their own cell).
 */
export const buildRows = (s: PhysicsShared, rowStart: number, rowEnd: number, sc?: GridScratch): void => {
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
    words = rowWords(side);
  // Per-column counters then cursors of one row (L1-sized; zero between rows), and the row's
  // occupancy bits, built here (thread-local scratch) and then written whole into `rowBits`: a late
  // run of the same band (a re-run after a missed deadline) never sees them half-built.
  const g = fitGridScratch(sc, side);
  const count = g.count,
    occ = g.occ;
  count.fill(0);
  occ.fill(0);
  for (let gy = rowStart; gy < rowEnd; gy++) {
    const rs = rowSlot[gy],
      re = rowSlot[gy + 1];
    const n = re - rs;
    const rb = gy * words;
    if (n === 0) {
      bits.fill(0, rb, rb + words);
      rowWork[gy] = 0;
      rowMax[gy] = 0;
      rowDense[gy] = 0;
      continue;
    }
    rowDense[gy] = n <= side >> 3 ? 0 : 1;
    // Count the row's bodies per column (runs in partition order), setting the occupancy bits.
    for (let p = 0; p < parts; p++) {
      const b = stageBase[p * side + gy];
      for (let j = b, jEnd = b + rowCounts[p * side + gy]; j < jEnd; j++) {
        const cx = stageI[j * STAGE_STRIDE + 5] & CX_MASK;
        if (count[cx]++ === 0) occ[cx >> 5] |= 1 << (cx & 31);
      }
    }
    // Each occupied column's first slot (columns ascending), and the row work = Σ over cells of
    // k × (1 + min(k, cap)), k a cell's bodies. A sparse row (at most side / 8 bodies) visits only
    // its occupied columns (the bits, lowest first); a dense one every column, writing its cells'
    // `cellStart` too (the kernels index them instead of searching).
    let acc = rs,
      w = 0,
      most = 0;
    if (n <= side >> 3) {
      for (let wi = 0; wi < words; wi++) {
        let v = occ[wi];
        while (v !== 0) {
          const lowBit = v & -v;
          v ^= lowBit;
          const cx = (wi << 5) + 31 - Math.clz32(lowBit);
          const k = count[cx];
          count[cx] = acc;
          acc += k;
          w += k * (1 + (k < cap ? k : cap));
          if (k > most) most = k;
        }
      }
    } else {
      const base = gy * side;
      for (let cx = 0; cx < side; cx++) {
        const k = count[cx];
        cellStart[base + cx] = acc;
        count[cx] = acc;
        acc += k;
        w += k * (1 + (k < cap ? k : cap));
        if (k > most) most = k;
      }
    }
    // Stable placement: a column's bodies in arrival order (ids ascending).
    for (let p = 0; p < parts; p++) {
      const b = stageBase[p * side + gy];
      for (let j = b, jEnd = b + rowCounts[p * side + gy]; j < jEnd; j++)
        place(j, count[stageI[j * STAGE_STRIDE + 5] & CX_MASK]++, stage, stageI, srt, flags, steps, sortedCx, items);
    }
    // The row's bits out; the cursors and bits back to zero for the next row: the occupied columns
    // (sparse), or all (dense).
    for (let wi = 0; wi < words; wi++) bits[rb + wi] = occ[wi];
    if (n <= side >> 3) {
      for (let wi = 0; wi < words; wi++) {
        let v = occ[wi];
        occ[wi] = 0;
        while (v !== 0) {
          const lowBit = v & -v;
          v ^= lowBit;
          count[(wi << 5) + 31 - Math.clz32(lowBit)] = 0;
        }
      }
    } else {
      count.fill(0);
      occ.fill(0);
    }
    rowWork[gy] = w;
    rowMax[gy] = most;
  }
};

/** Copy the staged body at stage slot `j` into grid slot `k`. */
const place = (
  j: number,
  k: number,
  stage: Float32Array,
  stageI: Int32Array,
  srt: Float32Array,
  flags: Uint8Array,
  steps: Uint8Array,
  sortedCx: Int32Array,
  items: Int32Array,
): void => {
  const q = j * STAGE_STRIDE;
  const w = stageI[q + 5];
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
