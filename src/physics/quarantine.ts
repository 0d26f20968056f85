/** Undoing the anomaly guard's quarantine (src/physics/grid-build.ts `guardBody`): a body back at its last good position. */
import { BodyKind, P, type PhysicsShared } from './physics-types.js';

/**
 * Put each quarantined body of `ids[idLo..idHi)` (list positions, or ids themselves with `P.byRange`; a body the guard kept out of the grid:
 * `rowOf` -1 at its list position) back at its last good position — or the world's middle when it has none — at
 * rest. Run after the copy-back, only in steps whose guard quarantined a body. Re-runnable.
 */
export const restoreQuarantined = (s: PhysicsShared, idLo: number, idHi: number): void => {
  const prm = s.params;
  const minX = prm[P.minX],
    minY = prm[P.minY],
    maxX = prm[P.maxX],
    maxY = prm[P.maxY];
  const kind = s.kind,
    ids = s.ids,
    rowOf = s.rowOf;
  const byRange = prm[P.byRange] === 1;
  for (let i = idLo; i < idHi; i++) {
    const e = byRange ? i : ids[i];
    if (kind[e] === BodyKind.none || rowOf[i] >= 0) continue;
    restoreBody(s, e, minX, minY, maxX, maxY);
  }
};

/**
 * Put quarantined body `e` back at its last good position — or the middle of the box when that is
 * not finite or outside it — at rest.
 */
export const restoreBody = (s: PhysicsShared, e: number, minX: number, minY: number, maxX: number, maxY: number): void => {
  const x = s.lastX[e],
    y = s.lastY[e];
  const good = Number.isFinite(x) && Number.isFinite(y) && x >= minX && x <= maxX && y >= minY && y <= maxY;
  s.px[e] = good ? x : (minX + maxX) / 2;
  s.py[e] = good ? y : (minY + maxY) / 2;
  s.vx[e] = 0;
  s.vy[e] = 0;
};
