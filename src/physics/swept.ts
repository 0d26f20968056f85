/**
 * Swept motion against the static obstacles: where a body moving several steps' worth at once (a
 * dormant NPC's coarse catch-up, an NPC rejoining the step after steps outside it) first touches a
 * wall, so a long move cannot pass through a thin one. A circle of radius `r` moving from p by d
 * touches rect R at the first t in [0, 1) where p + t·d enters R grown by r — the Minkowski sum,
 * a rounded rectangle, taken exactly as the union of two boxes and four corner circles:
 *
 *        ╭─┬──────┬─╮      box X: R grown by r along x      (slab test)
 *        ├─┼──────┼─┤      box Y: R grown by r along y      (slab test)
 *        │ │  R   │ │      corner circles: radius r at R's corners (ray/circle root)
 *        ├─┼──────┼─┤      first entry into the union = the smallest entry into any of them;
 *        ╰─┴──────┴─╯      the normal is the entered face's (boxes) or the radial one (circles)
 *
 * Candidates come from the collision cell table (src/physics/obstacles.ts: the rbush index,
 * flattened at load into the cells each rect's box grown by the largest body radius touches): the
 * cells the segment passes through, row by row — a point within r of a rect lies in a cell that
 * lists it, so no rect is missed, and the work follows the segment's length, not its bounding box.
 * Plain typed arrays, no allocation: it runs on the main thread and in shard workers alike, and its
 * result depends only on the body and the static obstacles (deterministic whatever the shards).
 * A rect the body already overlaps at p is skipped (the push-out at the end of the move handles it).
 */
import { P, type PhysicsShared } from './physics-types.js';

/** Most wall contacts of one swept move; after the last one the body stays at it (the rest of the move is dropped). */
export const MAX_SWEPT_BOUNCES = 4;

const NONE = Number.POSITIVE_INFINITY;

/** Entry time in [0, 1) of p + t·d into the open box, or NONE; the entered face's normal into o[0], o[1]. */
const slabEntry = (
  x0: number,
  y0: number,
  dx: number,
  dy: number,
  ax0: number,
  ay0: number,
  ax1: number,
  ay1: number,
  o: Float64Array,
): number => {
  let tIn = Number.NEGATIVE_INFINITY,
    tOut = NONE,
    nx = 0,
    ny = 0;
  if (dx === 0) {
    if (x0 <= ax0 || x0 >= ax1) return NONE;
  } else {
    const t1 = (ax0 - x0) / dx,
      t2 = (ax1 - x0) / dx;
    if (dx > 0) {
      tIn = t1;
      tOut = t2;
      nx = -1;
    } else {
      tIn = t2;
      tOut = t1;
      nx = 1;
    }
  }
  if (dy === 0) {
    if (y0 <= ay0 || y0 >= ay1) return NONE;
  } else {
    const t1 = (ay0 - y0) / dy,
      t2 = (ay1 - y0) / dy;
    const a = dy > 0 ? t1 : t2,
      b = dy > 0 ? t2 : t1;
    if (a > tIn) {
      tIn = a;
      nx = 0;
      ny = dy > 0 ? -1 : 1;
    }
    if (b < tOut) tOut = b;
  }
  // Starts inside (rounding at a previous contact) or misses: no entry.
  if (!(tIn < tOut) || tIn < 0 || tIn >= 1) return NONE;
  o[0] = nx;
  o[1] = ny;
  return tIn;
};

/** Entry time in [0, 1) of p + t·d into the circle (cx, cy, r), or NONE; the radial normal into o[0], o[1]. */
const circleEntry = (x0: number, y0: number, dx: number, dy: number, cx: number, cy: number, r: number, o: Float64Array): number => {
  const fx = x0 - cx,
    fy = y0 - cy;
  const b = fx * dx + fy * dy;
  if (b >= 0) return NONE; // moving away (or along)
  const a = dx * dx + dy * dy,
    c = fx * fx + fy * fy - r * r;
  if (c <= 0) return NONE; // inside already
  const disc = b * b - a * c;
  if (disc <= 0) return NONE;
  const t = (-b - Math.sqrt(disc)) / a;
  if (!(t >= 0 && t < 1)) return NONE;
  o[0] = (fx + dx * t) / r;
  o[1] = (fy + dy * t) / r;
  return t;
};

/**
 * First contact of a circle of radius `r` moving from (x0, y0) by (dx, dy) with a static obstacle:
 * the fraction t in [0, 1) of the move at which it touches one, or `Infinity` when the move is
 * clear. On a contact, o[0], o[1] = the wall's outward unit normal there. Ties: the first rect met
 * in cell order (rows ascending, columns ascending, list order). `o` needs 4 slots (2, 3: scratch).
 */
export const sweepObstacles = (s: PhysicsShared, x0: number, y0: number, dx: number, dy: number, r: number, o: Float64Array): number => {
  if (dx === 0 && dy === 0) return NONE;
  const prm = s.params;
  const minX = prm[P.minX],
    minY = prm[P.minY],
    cell = prm[P.cellSize];
  const side = prm[P.side] | 0;
  const rects = s.obsRects,
    obsStart = s.obsStart,
    obsItems = s.obsItems,
    bits = s.obsBits;
  const x1 = x0 + dx,
    y1 = y0 + dy;
  const sxLo = x0 < x1 ? x0 : x1,
    sxHi = x0 < x1 ? x1 : x0,
    syLo = y0 < y1 ? y0 : y1,
    syHi = y0 < y1 ? y1 : y0;
  const rr = r * r;
  // A hair of slack so a point on a cell border reaches both cells' lists.
  const eps = cell * 1e-9;
  let gy0 = Math.floor((syLo - eps - minY) / cell),
    gy1 = Math.floor((syHi + eps - minY) / cell);
  gy0 = gy0 < 0 ? 0 : gy0 >= side ? side - 1 : gy0;
  gy1 = gy1 < 0 ? 0 : gy1 >= side ? side - 1 : gy1;
  let best = NONE,
    bnx = 0,
    bny = 0;
  for (let gy = gy0; gy <= gy1; gy++) {
    // The part of the segment inside this row (the edge rows also take what lies beyond the grid).
    let xLo = sxLo,
      xHi = sxHi;
    if (dy !== 0 && gy1 > gy0) {
      const rowLo = gy === gy0 ? Number.NEGATIVE_INFINITY : minY + gy * cell - eps,
        rowHi = gy === gy1 ? NONE : minY + (gy + 1) * cell + eps;
      let ta = (rowLo - y0) / dy,
        tb = (rowHi - y0) / dy;
      if (ta > tb) {
        const t = ta;
        ta = tb;
        tb = t;
      }
      if (ta < 0) ta = 0;
      if (tb > 1) tb = 1;
      if (ta > tb) continue;
      const xa = x0 + dx * ta,
        xb = x0 + dx * tb;
      xLo = xa < xb ? xa : xb;
      xHi = xa < xb ? xb : xa;
    }
    let gx0 = Math.floor((xLo - eps - minX) / cell),
      gx1 = Math.floor((xHi + eps - minX) / cell);
    gx0 = gx0 < 0 ? 0 : gx0 >= side ? side - 1 : gx0;
    gx1 = gx1 < 0 ? 0 : gx1 >= side ? side - 1 : gx1;
    for (let c = gy * side + gx0, cEnd = gy * side + gx1; c <= cEnd; c++) {
      // An empty cell (most of them) is known from its bit, without a read of the cell table.
      if ((bits[c >> 5] & (1 << (c & 31))) === 0) continue;
      const kEnd = obsStart[c + 1];
      for (let k = obsStart[c]; k < kEnd; k++) {
        const q = obsItems[k] * 4;
        const bx0 = rects[q],
          by0 = rects[q + 1],
          bx1 = rects[q + 2],
          by1 = rects[q + 3];
        // Out of reach of the segment's box.
        if (sxHi <= bx0 - r || sxLo >= bx1 + r || syHi <= by0 - r || syLo >= by1 + r) continue;
        // Overlapping at the start: left to the push-out.
        const qx = x0 < bx0 ? bx0 : x0 > bx1 ? bx1 : x0,
          qy = y0 < by0 ? by0 : y0 > by1 ? by1 : y0;
        const ex = x0 - qx,
          ey = y0 - qy;
        const d2 = ex * ex + ey * ey;
        if (d2 < rr || d2 === 0) continue;
        let t = slabEntry(x0, y0, dx, dy, bx0 - r, by0, bx1 + r, by1, o);
        if (t < best) {
          best = t;
          bnx = o[0];
          bny = o[1];
        }
        t = slabEntry(x0, y0, dx, dy, bx0, by0 - r, bx1, by1 + r, o);
        if (t < best) {
          best = t;
          bnx = o[0];
          bny = o[1];
        }
        if (r > 0) {
          for (let corner = 0; corner < 4; corner++) {
            const cx = (corner & 1) === 0 ? bx0 : bx1,
              cy = corner < 2 ? by0 : by1;
            // Most moves pass nowhere near a corner (a long wall's face): skip its root.
            if (sxHi <= cx - r || sxLo >= cx + r || syHi <= cy - r || syLo >= cy + r) continue;
            t = circleEntry(x0, y0, dx, dy, cx, cy, r, o);
            if (t < best) {
              best = t;
              bnx = o[0];
              bny = o[1];
            }
          }
        }
      }
    }
  }
  o[0] = bnx;
  o[1] = bny;
  return best;
};

/**
 * Move a circle of radius `r` at (o[0], o[1]) with velocity (o[2], o[3]) straight for `seconds`,
 * swept against the obstacles: at each contact it stops there and turns away as the kernel's
 * push-out turns an NPC (the velocity's component into the wall reflected; players: zeroed, they
 * slide) and goes on for the time left; after {@link MAX_SWEPT_BOUNCES} contacts it stays at the
 * last. Results in `o` (`n` needs 4 slots of scratch). Returns the contacts. No world edges (the
 * caller applies them).
 */
export const sweptMove = (s: PhysicsShared, r: number, isPlayer: boolean, seconds: number, o: Float64Array, n: Float64Array): number => {
  let x = o[0],
    y = o[1],
    vx = o[2],
    vy = o[3],
    left = seconds,
    hits = 0;
  for (;;) {
    const t = sweepObstacles(s, x, y, vx * left, vy * left, r, n);
    if (t === NONE) {
      x += vx * left;
      y += vy * left;
      break;
    }
    x += vx * left * t;
    y += vy * left * t;
    left -= left * t;
    const vn = vx * n[0] + vy * n[1];
    if (vn < 0) {
      const k = isPlayer ? vn : 2 * vn;
      vx -= k * n[0];
      vy -= k * n[1];
    }
    if (++hits >= MAX_SWEPT_BOUNCES) break;
  }
  o[0] = x;
  o[1] = y;
  o[2] = vx;
  o[3] = vy;
  return hits;
};
