/**
 * The grid build of a physics step: bodies into cell order (cells ascending, ids ascending inside
 * a cell), as two counting sorts, so that no pass increments a per-cell counter at a random cell
 * (a world of 100k bodies on 625k cells spent most of its grid build on those cache misses):
 *
 *   stageBodies  (main thread, ids ascending)  each body's start-of-step state into the slots of
 *                its grid row in `stage` — one write stream per row, the per-row counters fit in L1
 *   buildRows    (per band of rows: inline or on a shard)  a row's staged bodies into cell order:
 *                `cellStart` of the row's cells, `cellItems`, `sorted`, `sortedFlags`, `sortedCx`, `slotOf`,
 *                and the row's `rowWork` / `rowMax`. Rows are independent: any partition of the
 *                rows gives the same arrays.
 *
 *   stage (8 words per body, a Float32Array and an Int32Array over one SharedArrayBuffer):
 *   ┌────┬────┬────┬────┬────┬────┬───────┬───┐
 *   │ x  │ y  │ vx │ vy │ id │ cx │ flags │ - │   x..vy float32, id/cx/flags int32
 *   └────┴────┴────┴────┴────┴────┴───────┴───┘
 */
import { TierCode } from '../../components/tier.js';
import { BodyKind, P, type PhysicsShared } from './physics-types.js';

const NONE = BodyKind.none,
  PLAYER = BodyKind.player;
const DETAILED = TierCode.detailed,
  DORMANT = TierCode.dormant;

/** Words per body in `stage`. */
export const STAGE_STRIDE = 8;

/**
 * Stage the bodies ids 1..top whose `cellOf` is a cell (>= 0) into row order: `rowStart` must
 * hold each row's first slot (prefix of the row counts; `rowStart[side]` = bodies), `cursor` is
 * scratch of `side` entries. Ids ascending inside a row.
 */
export const stageBodies = (s: PhysicsShared, cellOf: Int32Array, top: number, cursor: Int32Array): void => {
  const side = s.params[P.side] | 0;
  const kind = s.kind,
    tier = s.tier,
    px = s.px,
    py = s.py,
    vx = s.vx,
    vy = s.vy,
    stage = s.stage,
    stageI = s.stageI,
    rowStart = s.rowStart;
  for (let gy = 0; gy < side; gy++) cursor[gy] = rowStart[gy];
  for (let e = 1; e <= top; e++) {
    const kd = kind[e];
    if (kd === NONE) continue;
    const c = cellOf[e];
    if (c < 0) continue;
    const gy = (c / side) | 0;
    const q = cursor[gy]++ * STAGE_STRIDE;
    stage[q] = px[e];
    stage[q + 1] = py[e];
    stage[q + 2] = vx[e];
    stage[q + 3] = vy[e];
    stageI[q + 4] = e;
    stageI[q + 5] = c - gy * side;
    // Level of detail: players are always full; an unknown tier code counts as dormant.
    const t = kd === PLAYER ? DETAILED : tier[e] > DORMANT ? DORMANT : tier[e];
    stageI[q + 6] = kd | (t << 2);
  }
};

/**
 * Sort the staged bodies of rows [rowStart, rowEnd) into cell order and write the grid arrays of
 * those rows (see module doc). Touches only those rows' cells and slots (and `slotOf` of their
 * bodies). Row work ≈ Σ bodies × (1 + neighbours examined in their own cell).
 */
export const buildRows = (s: PhysicsShared, rowStart: number, rowEnd: number): void => {
  const prm = s.params;
  const side = prm[P.side] | 0,
    cap = prm[P.maxPerCell] | 0;
  const cellStart = s.cellStart,
    items = s.cellItems,
    srt = s.sorted,
    flags = s.sortedFlags,
    sortedCx = s.sortedCx,
    slotOf = s.slotOf,
    stage = s.stage,
    stageI = s.stageI,
    rowSlot = s.rowStart,
    rowWork = s.rowWork,
    rowMax = s.rowMax;
  // Per-cell counters of one row: small enough for L1, so counting never misses the cache; the
  // row's cellStart entries are written once, sequentially. One small array per call (per band).
  const count = new Int32Array(side);
  for (let gy = rowStart; gy < rowEnd; gy++) {
    const base = gy * side;
    const rs = rowSlot[gy],
      re = rowSlot[gy + 1];
    if (rs === re) {
      // Empty row (common in a sparse world): every cell starts (and ends) at rs.
      cellStart.fill(rs, base, base + side);
      rowWork[gy] = 0;
      rowMax[gy] = 0;
      continue;
    }
    count.fill(0);
    for (let i = rs; i < re; i++) count[stageI[i * STAGE_STRIDE + 5]]++;
    // Exclusive prefix from rs into cellStart; count[cx] becomes cell cx's scatter cursor. No
    // branch per cell: in a sparse world this loop runs over many more cells than bodies.
    let acc = rs;
    for (let cx = 0; cx < side; cx++) {
      const k = count[cx];
      cellStart[base + cx] = acc;
      count[cx] = acc;
      acc += k;
    }
    // Scatter (stable: ids stay ascending inside a cell).
    for (let i = rs; i < re; i++) {
      const q = i * STAGE_STRIDE;
      const cx = stageI[q + 5];
      const k = count[cx]++;
      const e = stageI[q + 4];
      sortedCx[k] = cx;
      const o = k << 2;
      srt[o] = stage[q];
      srt[o + 1] = stage[q + 1];
      srt[o + 2] = stage[q + 2];
      srt[o + 3] = stage[q + 3];
      flags[k] = stageI[q + 6];
      items[k] = e;
      slotOf[e] = k;
    }
    // Row work = Σ over cells of k × (1 + min(k, cap)) = Σ over bodies of (1 + min(k, cap)), k
    // the body's cell count (count[cx] is now the cell's end, cellStart its start).
    let w = 0,
      most = 0;
    for (let i = rs; i < re; i++) {
      const cx = stageI[i * STAGE_STRIDE + 5];
      const k = count[cx] - cellStart[base + cx];
      w += 1 + (k < cap ? k : cap);
      if (k > most) most = k;
    }
    rowWork[gy] = w;
    rowMax[gy] = most;
  }
};
