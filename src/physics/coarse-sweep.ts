/**
 * The swept part of a coarse catch-up (src/physics/coarse-catch-up.ts `coarseMove`): a cheap reach test
 * (is any wall within reach of this move?) and the move along `moveReflect`'s path, stopped and
 * turned at the first wall on it (src/physics/swept.ts). Main thread only (the catch-ups run there
 * in slice order).
 */
import { moveReflect } from '../tiers/coarse-movement.js';
import type { PhysicsState } from './physics-state.js';
import type { PhysicsShared } from './physics-types.js';
import { MAX_SWEPT_BOUNCES, sweepObstacles } from './swept.js';

/**
 * Can a move by at most (ax, ay) per axis from (x, y) come within `r` of an obstacle? Its path
 * (reflected at edges or not) stays in the box (x ± ax, y ± ay): the rects listed by the collision
 * cells under it are tested against that box grown by `r`. Nearly always no — away from walls the
 * cells are empty — and then the move needs neither the sweep nor the push-out. A move over two
 * cells long: assumed yes.
 */
export const nearObstacles = (ps: PhysicsState, x: number, y: number, ax: number, ay: number, r: number): boolean => {
  const b = ps.bounds,
    cell = ps.config.cellSize,
    side = ps.side,
    s = ps.shared,
    obsStart = s.obsStart;
  if (ax > 2 * cell || ay > 2 * cell) return true; // a long move: the sweep decides
  // The hair of slack keeps a box edge on a cell border inside both cells' reach; `| 0` (not floor)
  // is exact here: a negative index truncates to 0, which the clamp would give anyway.
  const inv = 1 / cell,
    slack = cell * 1e-6;
  const x0 = x - ax - slack,
    x1 = x + ax + slack,
    y0 = y - ay - slack,
    y1 = y + ay + slack;
  let gx0 = ((x0 - b.minX) * inv) | 0,
    gx1 = ((x1 - b.minX) * inv) | 0,
    gy0 = ((y0 - b.minY) * inv) | 0,
    gy1 = ((y1 - b.minY) * inv) | 0;
  gx0 = gx0 < 0 ? 0 : gx0 >= side ? side - 1 : gx0;
  gx1 = gx1 < 0 ? 0 : gx1 >= side ? side - 1 : gx1;
  gy0 = gy0 < 0 ? 0 : gy0 >= side ? side - 1 : gy0;
  gy1 = gy1 < 0 ? 0 : gy1 >= side ? side - 1 : gy1;
  // The cell bits first (in cache); the cell table only under a cell that lists a rect.
  const bits = ps.obstacles.obsBits;
  let any = false;
  for (let gy = gy0; gy <= gy1 && !any; gy++)
    for (let c = gy * side + gx0, cEnd = gy * side + gx1; c <= cEnd; c++)
      if ((bits[c >> 5] & (1 << (c & 31))) !== 0) {
        any = true;
        break;
      }
  if (!any) return false;
  const rects = s.obsRects,
    items = s.obsItems;
  for (let gy = gy0; gy <= gy1; gy++) {
    const row = gy * side;
    for (let k = obsStart[row + gx0], end = obsStart[row + gx1 + 1]; k < end; k++) {
      const q = items[k] * 4;
      if (rects[q] - r < x1 && rects[q + 2] + r > x0 && rects[q + 1] - r < y1 && rects[q + 3] + r > y0) return true;
    }
  }
  return false;
};

/**
 * First wall contact on the path `moveReflect` takes from (x, y) at (vx, vy) for `seconds` inside
 * [loX, hiX] × [loY, hiY] (straight, turned once per axis at an edge): the seconds until it, or
 * `Infinity` when the path is clear; the wall's normal in o[0], o[1] (src/physics/swept.ts).
 */
const firstContact = (
  s: PhysicsShared,
  x: number,
  y: number,
  vx: number,
  vy: number,
  seconds: number,
  loX: number,
  loY: number,
  hiX: number,
  hiY: number,
  r: number,
  o: Float64Array,
): number => {
  // When the path meets an edge (per axis), it turns there: up to three straight pieces.
  let tx = Number.POSITIVE_INFINITY,
    ty = Number.POSITIVE_INFINITY;
  if (vx > 0 && x <= hiX && x + vx * seconds > hiX) tx = (hiX - x) / vx;
  else if (vx < 0 && x >= loX && x + vx * seconds < loX) tx = (loX - x) / vx;
  if (vy > 0 && y <= hiY && y + vy * seconds > hiY) ty = (hiY - y) / vy;
  else if (vy < 0 && y >= loY && y + vy * seconds < loY) ty = (loY - y) / vy;
  let t0 = 0;
  for (let piece = 0; piece < 3; piece++) {
    const next = tx < ty ? tx : ty;
    const t1 = next < seconds ? next : seconds;
    const d = t1 - t0;
    const h = sweepObstacles(s, x, y, vx * d, vy * d, r, o);
    if (h !== Number.POSITIVE_INFINITY) return t0 + h * d;
    if (t1 >= seconds) break;
    x += vx * d;
    y += vy * d;
    if (t1 === tx) {
      vx = -vx;
      tx = Number.POSITIVE_INFINITY;
    }
    if (t1 === ty) {
      vy = -vy;
      ty = Number.POSITIVE_INFINITY;
    }
    t0 = t1;
  }
  return Number.POSITIVE_INFINITY;
};

/**
 * `moveReflect` of body `e` over `seconds`, swept: walk the path to the first wall on it, turn away
 * (as the kernel turns an NPC: the velocity component into the wall reflected), go on for the time
 * left; after `MAX_SWEPT_BOUNCES` contacts it stays at the last one. A path that meets no wall is
 * the plain `moveReflect`, bit for bit.
 */
export const sweptReflect = (
  ps: PhysicsState,
  e: number,
  seconds: number,
  loX: number,
  loY: number,
  hiX: number,
  hiY: number,
  o: Float64Array,
): void => {
  const s = ps.shared,
    st = ps.stats,
    r = ps.config.npcRadius;
  const px = s.px,
    py = s.py,
    vx = s.vx,
    vy = s.vy;
  let left = seconds;
  for (let hits = 0; hits < MAX_SWEPT_BOUNCES; hits++) {
    const t = firstContact(s, px[e], py[e], vx[e], vy[e], left, loX, loY, hiX, hiY, r, o);
    if (t === Number.POSITIVE_INFINITY) {
      moveReflect(e, left, px, py, vx, vy, loX, loY, hiX, hiY);
      return;
    }
    moveReflect(e, t, px, py, vx, vy, loX, loY, hiX, hiY);
    const vn = vx[e] * o[0] + vy[e] * o[1];
    if (vn < 0) {
      vx[e] -= 2 * vn * o[0];
      vy[e] -= 2 * vn * o[1];
    }
    st.sweptContacts++;
    st.obstaclePushes++;
    left -= t;
  }
};
