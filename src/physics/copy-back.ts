/**
 * The copy-back of a physics step: each body's new position and velocity (`out`, by grid slot)
 * into the world stores, and its position into `lastX`/`lastY` (the quarantine's last good one).
 * Two orders, the same values: by grid slot ({@link commitRows}: per band of rows, the sharded
 * step's last phase) or by list position ({@link commitList}: the inline step of a listed body
 * list whose `out` fits in cache — the stores are written in id order, streaming, while `out` is
 * read at random slots).
 */
import { P, type PhysicsShared } from './physics-types.js';

/** Most bodies of a listed step copied back in list order ({@link commitList}; `out` then ≤ 1 MB). */
export const COMMIT_LIST_MAX = 1 << 16;

/**
 * Copy the results of the bodies of grid rows [rowLo, rowHi) back into the world stores (the
 * copy-back phase, after every band's kernel finished), in slot order: the results are read in
 * sequence and the stores written at the bodies' ids (a write to a random id costs far less than
 * a read from a random slot: writes do not stall, and the copy-back runs on caches the other
 * phases of the step have evicted). Re-running it writes the same values.
 */
export const commitRows = (s: PhysicsShared, rowLo: number, rowHi: number): void => {
  const items = s.cellItems,
    out = s.out,
    px = s.px,
    py = s.py,
    vx = s.vx,
    vy = s.vy,
    lx = s.lastX,
    ly = s.lastY;
  for (let k = s.rowStart[rowLo], end = s.rowStart[rowHi]; k < end; k++) {
    const e = items[k];
    const q = k << 2;
    px[e] = lx[e] = out[q];
    py[e] = ly[e] = out[q + 1];
    vx[e] = out[q + 2];
    vy[e] = out[q + 3];
  }
};

/**
 * Copy the results of the bodies at list positions [lo, hi) back into the world stores, in list
 * order (ids ascending): `slotOf[stageOf[i]]` (written by the staging pass and the grid build when
 * `params[P.slotOf]` is 1) is a body's grid slot; a position outside the grid (`rowOf` -1: not a body, or quarantined) is
 * skipped. The same values as {@link commitRows} over every row. Re-running it writes the same values.
 */
export const commitList = (s: PhysicsShared, lo: number, hi: number): void => {
  const ids = s.ids,
    rowOf = s.rowOf,
    stageOf = s.stageOf,
    slotOf = s.slotOf,
    out = s.out,
    px = s.px,
    py = s.py,
    vx = s.vx,
    vy = s.vy,
    lx = s.lastX,
    ly = s.lastY;
  const byRange = s.params[P.byRange] === 1;
  for (let i = lo; i < hi; i++) {
    if (rowOf[i] < 0) continue;
    const e = byRange ? i : ids[i];
    const q = slotOf[stageOf[i]] << 2;
    px[e] = lx[e] = out[q];
    py[e] = ly[e] = out[q + 1];
    vx[e] = out[q + 2];
    vy[e] = out[q + 3];
  }
};
