/**
 * The grid build of a physics step: bodies into cell order (cells ascending, ids ascending inside
 * a cell), as two counting sorts, so that no pass increments a per-cell counter at a random cell
 * (a world of 100k bodies on 625k cells spent most of its grid build on those cache misses):
 *
 *   guardIds     (per range of the step's body list `ids`: inline or on a shard)  anomaly guard,
 *                each body's cell, bodies per row counted per id partition
 *   planStage    (main thread)  row starts, and each id partition's first slot in each row
 *   stageIds     (per range of `ids`)  each body's sanitised start-of-step state into the slots of its
 *                grid row in `stage` — one write stream per row, the per-row cursors fit in L1
 *   buildRows    (per band of rows: inline or on a shard)  a row's staged bodies into cell order
 *                (by column, stable): `cellItems`, `sorted`, `sortedFlags`, `sortedCx`, and the
 *                row's `rowWork` / `rowMax` / `rowDense` (and `cellStart` of a dense row's cells). Rows are independent: any partition of the
 *                rows gives the same arrays.
 *
 *   stage (8 words per body, a Float32Array and an Int32Array over one SharedArrayBuffer):
 *   ┌────┬────┬────┬────┬────┬────┬───────┬───────┐
 *   │ x  │ y  │ vx │ vy │ id │ cx │ flags │ steps │   x..vy float32, id/cx/flags/steps int32
 *   └────┴────┴────┴────┴────┴────┴───────┴───────┘
 */
import { TierCode } from '../../components/tier.js';
import { BodyKind, C, KIND_STEPS_SHIFT, P, type PhysicsShared } from './physics-types.js';

const NONE = BodyKind.none,
  PLAYER = BodyKind.player;
const DETAILED = TierCode.detailed,
  DORMANT = TierCode.dormant;

/** Words per body in `stage`. */
export const STAGE_STRIDE = 8;

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

/**
 * Guard pass over the bodies `ids[idLo..idHi)` (list positions) as id partition `part`: each body's cell (`cellOf`; -1 when
 * quarantined), its row counted in `rowCounts` row `part`, and the guard counters
 * of counter slot `part`. Reads the stores, writes none: it may be re-run, even concurrently
 * with a late run of itself (every write is of a value computed from unchanged inputs).
 */
export const guardIds = (s: PhysicsShared, idLo: number, idHi: number, part: number): void => {
  const prm = s.params;
  const side = prm[P.side] | 0,
    minX = prm[P.minX],
    minY = prm[P.minY],
    inv = 1 / prm[P.cellSize];
  const kind = s.kind,
    ids = s.ids,
    cellOf = s.cellOf,
    guardBits = s.guardBits;
  const o = new Float64Array(4);
  // Counted locally and published at the end: a late worker re-publishes the same counts.
  const counts = new Int32Array(side);
  let quarantined = 0,
    posClamped = 0,
    velClamped = 0;
  for (let i = idLo; i < idHi; i++) {
    const e = ids[i];
    if (kind[e] === NONE) continue;
    const bad = guardBody(s, e, o);
    guardBits[e] = bad;
    if (bad !== 0) {
      if (bad === QUARANTINED) {
        // Out of the grid this step: restored after the copy-back (restoreQuarantined).
        cellOf[e] = -1;
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
    cellOf[e] = gy * side + gx;
    counts[gy]++;
  }
  s.rowCounts.set(counts, part * side);
  const cnt = s.counters,
    c = part * C.stride;
  cnt[c + C.quarantined] = quarantined;
  cnt[c + C.positionClamped] = posClamped;
  cnt[c + C.velocityClamped] = velClamped;
};

/**
 * Between the guard and the staging (main thread): each row's first slot (`rowStart`) and each
 * id partition's first stage slot in each row (`stageBase`), so that partitions stage in
 * parallel and ids stay ascending inside a row. Returns the number of bodies in the grid.
 */
export const planStage = (s: PhysicsShared, parts: number): number => {
  const side = s.params[P.side] | 0;
  const counts = s.rowCounts,
    stageBase = s.stageBase,
    rowStart = s.rowStart;
  let acc = 0;
  for (let gy = 0; gy < side; gy++) {
    rowStart[gy] = acc;
    for (let p = 0; p < parts; p++) {
      stageBase[p * side + gy] = acc;
      acc += counts[p * side + gy];
    }
  }
  rowStart[side] = acc;
  return acc;
};

/**
 * Staging pass over the bodies `ids[idLo..idHi)` (list positions) as id partition `part` (after {@link planStage}): each
 * body's sanitised start-of-step state into its row's slots in `stage`, ids ascending. Rewrites
 * the same slots when re-run.
 */
export const stageIds = (s: PhysicsShared, idLo: number, idHi: number, part: number): void => {
  const side = s.params[P.side] | 0;
  const kind = s.kind,
    ids = s.ids,
    tier = s.tier,
    cellOf = s.cellOf,
    guardBits = s.guardBits,
    px = s.px,
    py = s.py,
    vx = s.vx,
    vy = s.vy,
    stage = s.stage,
    stageI = s.stageI;
  // One cursor per row: this partition's slots in each row start at its stageBase row.
  const cursor = s.stageBase.slice(part * side, part * side + side);
  const o = new Float64Array(4);
  for (let i = idLo; i < idHi; i++) {
    const e = ids[i];
    const kb = kind[e];
    if (kb === NONE) continue;
    const kd = kb & 3;
    const c = cellOf[e];
    if (c < 0) continue;
    const gy = (c / side) | 0;
    const q = cursor[gy]++ * STAGE_STRIDE;
    if (guardBits[e] === 0) {
      // Nothing was wrong (the common case): the stored values are the sanitised ones.
      stage[q] = px[e];
      stage[q + 1] = py[e];
      stage[q + 2] = vx[e];
      stage[q + 3] = vy[e];
    } else {
      guardBody(s, e, o);
      stage[q] = o[0];
      stage[q + 1] = o[1];
      stage[q + 2] = o[2];
      stage[q + 3] = o[3];
    }
    stageI[q + 4] = e;
    stageI[q + 5] = c - gy * side;
    // Level of detail: players are always full; an unknown tier code counts as dormant.
    const t = kd === PLAYER ? DETAILED : tier[e] > DORMANT ? DORMANT : tier[e];
    stageI[q + 6] = kd | (t << 2);
    stageI[q + 7] = kb >> KIND_STEPS_SHIFT;
  }
};

/**
 * Sort the staged bodies of rows [rowStart, rowEnd) into cell order and write the grid arrays of
 * those rows (see module doc). A row is sorted by column stably (ids stay ascending inside a
 * cell): a sparse row (at most side / 8 bodies) by insertion, and the kernels find its cells by
 * column (`sortedCx`), so a sparse world's millions of empty cells are never written; a dense row
 * by counting over its columns, writing its cells' `cellStart` (`rowDense` 1), which the kernels
 * index (a search per body costs more than the row's cell pass there).
 * Row work ≈ Σ bodies × (1 + neighbours examined in their own cell).
 */
export const buildRows = (s: PhysicsShared, rowStart: number, rowEnd: number): void => {
  const prm = s.params;
  const side = prm[P.side] | 0,
    cap = prm[P.maxPerCell] | 0;
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
    cellStart = s.cellStart;
  // Per-column counters of one row (L1-sized) for dense rows; a permutation for sparse rows
  // (insertion sort of at most side / 8 bodies). One small array each per call (per band).
  const count = new Int32Array(side);
  const perm = new Int32Array((side >> 3) + 1);
  for (let gy = rowStart; gy < rowEnd; gy++) {
    const rs = rowSlot[gy],
      re = rowSlot[gy + 1];
    const n = re - rs;
    if (n === 0) {
      rowWork[gy] = 0;
      rowMax[gy] = 0;
      rowDense[gy] = 0;
      continue;
    }
    rowDense[gy] = n <= side >> 3 ? 0 : 1;
    if (n <= side >> 3) {
      // Stable insertion sort of the row's stage positions by column.
      for (let i = 0; i < n; i++) {
        const cx = stageI[(rs + i) * STAGE_STRIDE + 5];
        let j = i;
        while (j > 0 && stageI[(rs + perm[j - 1]) * STAGE_STRIDE + 5] > cx) {
          perm[j] = perm[j - 1];
          j--;
        }
        perm[j] = i;
      }
      for (let i = 0; i < n; i++) place((rs + perm[i]) * STAGE_STRIDE, rs + i, stage, stageI, srt, flags, steps, sortedCx, items);
    } else {
      count.fill(0);
      for (let i = rs; i < re; i++) count[stageI[i * STAGE_STRIDE + 5]]++;
      // Dense row: its cells' first slots too (the kernels index them instead of searching).
      const base = gy * side;
      let acc = rs;
      for (let cx = 0; cx < side; cx++) {
        const k = count[cx];
        cellStart[base + cx] = acc;
        count[cx] = acc;
        acc += k;
      }
      for (let i = rs; i < re; i++) {
        const q = i * STAGE_STRIDE;
        place(q, count[stageI[q + 5]]++, stage, stageI, srt, flags, steps, sortedCx, items);
      }
    }
    // Row work = Σ over cells of k × (1 + min(k, cap)), k a cell's bodies (runs of one column).
    let w = 0,
      most = 0;
    for (let i = rs; i < re; ) {
      const cx = sortedCx[i];
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
): void => {
  sortedCx[k] = stageI[q + 5];
  const o = k << 2;
  srt[o] = stage[q];
  srt[o + 1] = stage[q + 1];
  srt[o + 2] = stage[q + 2];
  srt[o + 3] = stage[q + 3];
  flags[k] = stageI[q + 6];
  steps[k] = stageI[q + 7];
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
