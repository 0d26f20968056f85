/**
 * The copy-back of a physics step: each body's new position and velocity (`out`, by grid slot)
 * into the world stores, and its position into `lastX`/`lastY` (the quarantine's last good one).
 * (A copy-back in list order — stores written ids ascending, `out` read at random slots — was
 * measured in the 100k-NPC frame and was no faster: the guard has just brought the stores' lines
 * into cache, so the writes at random ids hit.)
 */
import type { PhysicsShared } from './physics-types.js';

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
