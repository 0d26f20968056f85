/**
 * Coarse catch-ups of NPCs outside the physics step (src/physics/physics-lod.ts): one NPC
 * ({@link coarseMove}: guard, reflected straight line swept against the obstacles, push-out) and
 * the dormant slice in one pass ({@link coarseSlice}: the common case inline). Main thread only,
 * in slice order.
 */
import { moveReflect } from '../tiers/coarse-movement.js';
import { pushOutOfObstacles } from './collide-kernel.js';
import { nearObstacles, sweptReflect } from './coarse-sweep.js';
import { guardBody, POS_CLAMPED, QUARANTINED, VEL_CLAMPED } from './guard-stage.js';
import { restoreBody } from './quarantine.js';
import type { PhysicsState } from './physics-state.js';
import { P } from './physics-types.js';

/**
 * Move body `e` (an NPC outside the step) coarsely over `seconds` of simulation: the anomaly guard
 * of the step (non-finite position → back at its last good position at rest; absurd speed or a
 * position outside the world clamped; each counted), then a straight line at its velocity
 * reflected `npcRadius` inside the world edges (`moveReflect`, as plain movement) — swept against
 * the obstacles: at the first wall on that path it stops, turns away as an NPC of the step does
 * (velocity component into the wall reflected) and goes on for the time left, at most
 * `MAX_SWEPT_BOUNCES` contacts (then it stays at the last) — then pushed out of the obstacles of
 * the cell it ends in (a body that started overlapping one). So a long catch-up cannot cross a thin
 * wall; a path that meets none is the plain one, bit for bit. No collision with other bodies.
 */
export const coarseMove = (ps: PhysicsState, e: number, seconds: number, o: Float64Array): void => {
  const s = ps.shared,
    st = ps.stats,
    b = ps.bounds,
    r = ps.config.npcRadius;
  const px = s.px,
    py = s.py,
    vx = s.vx,
    vy = s.vy;
  st.coarseMoves++;
  const bad = guardBody(s, e, o);
  if (bad === QUARANTINED) {
    st.quarantined++;
    restoreBody(s, e, b.minX, b.minY, b.maxX, b.maxY);
    return;
  }
  if (bad !== 0) {
    if (bad & POS_CLAMPED) st.positionClamped++;
    if (bad & VEL_CLAMPED) st.velocityClamped++;
    px[e] = o[0];
    py[e] = o[1];
    vx[e] = o[2];
    vy[e] = o[3];
  }
  const loX = b.minX + r,
    loY = b.minY + r,
    hiX = b.maxX - r,
    hiY = b.maxY - r;
  // Within reach of a wall: swept; elsewhere, nearly always, the plain move (the push-out below
  // would find nothing there either).
  const near =
    s.obsStart[s.obsStart.length - 1] > 0 &&
    nearObstacles(ps, px[e], py[e], Math.abs(vx[e]) * seconds + 2 * r, Math.abs(vy[e]) * seconds + 2 * r, r);
  if (near) sweptReflect(ps, e, seconds, loX, loY, hiX, hiY, o);
  else moveReflect(e, seconds, px, py, vx, vy, loX, loY, hiX, hiY);
  // One reflection per axis: a move longer than the world (a huge lag × maxSpeed) is clamped.
  if (!(px[e] >= loX)) px[e] = loX;
  else if (px[e] > hiX) px[e] = hiX;
  if (!(py[e] >= loY)) py[e] = loY;
  else if (py[e] > hiY) py[e] = hiY;
  if (near) {
    const side = ps.side,
      cell = ps.config.cellSize;
    let gx = Math.floor((px[e] - b.minX) / cell),
      gy = Math.floor((py[e] - b.minY) / cell);
    gx = gx < 0 ? 0 : gx >= side ? side - 1 : gx;
    gy = gy < 0 ? 0 : gy >= side ? side - 1 : gy;
    const oc = gy * side + gx;
    if ((s.obsBits[oc >> 5] & (1 << (oc & 31))) !== 0) {
      o[0] = px[e];
      o[1] = py[e];
      o[2] = vx[e];
      o[3] = vy[e];
      st.obstaclePushes += pushOutOfObstacles(s, oc, r, false, o);
      px[e] = o[0];
      py[e] = o[1];
      vx[e] = o[2];
      vy[e] = o[3];
    }
  }
  s.lastX[e] = px[e];
  s.lastY[e] = py[e];
};

/**
 * The dormant slice's catch-ups, NPCs `npcs[c..end)` not yet moved through `stamp`: {@link coarseMove}
 * each, in one pass whose common case — nothing anomalous (finite, inside the world, speed within
 * the cap) and no obstacle cell under the move's box (the cell bits, in cache) — is the plain
 * reflected move inline, as cheap as coarse movement without physics; any other body takes the
 * full `coarseMove` (which re-reads it: nothing was written). Bit for bit the result of
 * `coarseMove` on every body. Returns the number moved.
 */
export const coarseSlice = (
  ps: PhysicsState,
  npcs: ArrayLike<number>,
  c: number,
  end: number,
  moved: Uint16Array,
  stamp: number,
  maxLag: number,
  dt: number,
  o: Float64Array,
): number => {
  const s = ps.shared,
    b = ps.bounds,
    r = ps.config.npcRadius,
    cell = ps.config.cellSize,
    side = ps.side,
    bits = ps.obstacles.obsBits,
    prm = s.params;
  const px = s.px,
    py = s.py,
    vx = s.vx,
    vy = s.vy,
    lastX = s.lastX,
    lastY = s.lastY;
  // The guard's limits (guardBody): a body outside them takes the full path.
  const gMinX = prm[P.minX],
    gMinY = prm[P.minY],
    gMaxX = prm[P.maxX],
    gMaxY = prm[P.maxY],
    maxS = prm[P.maxSpeed],
    maxS2 = maxS * maxS;
  const loX = b.minX + r,
    loY = b.minY + r,
    hiX = b.maxX - r,
    hiY = b.maxY - r;
  // nearObstacles' box and cells, same arithmetic (a bit set there: the full path decides).
  const inv = 1 / cell,
    slack = cell * 1e-6,
    long = 2 * cell,
    bMinX = b.minX,
    bMinY = b.minY;
  let moves = 0,
    fast = 0;
  for (let k = c; k < end; k++) {
    const e = npcs[k];
    const last = moved[e];
    if (last === stamp) continue;
    let lag = (stamp - last) & 0xffff;
    if (lag > maxLag) lag = maxLag;
    moved[e] = stamp;
    moves++;
    const seconds = dt * lag;
    const x = px[e],
      y = py[e],
      ux = vx[e],
      uy = vy[e];
    const ax = Math.abs(ux) * seconds + 2 * r,
      ay = Math.abs(uy) * seconds + 2 * r;
    // NaN fails every comparison: one chain covers non-finite, outside and too fast.
    let plain = x >= gMinX && x <= gMaxX && y >= gMinY && y <= gMaxY && ux * ux + uy * uy <= maxS2 && ax <= long && ay <= long;
    if (plain) {
      let gx0 = ((x - ax - slack - bMinX) * inv) | 0,
        gx1 = ((x + ax + slack - bMinX) * inv) | 0,
        gy0 = ((y - ay - slack - bMinY) * inv) | 0,
        gy1 = ((y + ay + slack - bMinY) * inv) | 0;
      gx0 = gx0 < 0 ? 0 : gx0 >= side ? side - 1 : gx0;
      gx1 = gx1 < 0 ? 0 : gx1 >= side ? side - 1 : gx1;
      gy0 = gy0 < 0 ? 0 : gy0 >= side ? side - 1 : gy0;
      gy1 = gy1 < 0 ? 0 : gy1 >= side ? side - 1 : gy1;
      for (let gy = gy0; gy <= gy1 && plain; gy++)
        for (let q = gy * side + gx0, qEnd = gy * side + gx1; q <= qEnd; q++)
          if ((bits[q >> 5] & (1 << (q & 31))) !== 0) {
            plain = false;
            break;
          }
    }
    if (!plain) {
      coarseMove(ps, e, seconds, o);
      continue;
    }
    fast++;
    // moveReflect, then coarseMove's clamp on the stored (float32) values.
    let nx = x + ux * seconds,
      ny = y + uy * seconds;
    if (nx < loX) {
      nx = loX + (loX - nx);
      vx[e] = -ux;
    } else if (nx > hiX) {
      nx = hiX - (nx - hiX);
      vx[e] = -ux;
    }
    if (ny < loY) {
      ny = loY + (loY - ny);
      vy[e] = -uy;
    } else if (ny > hiY) {
      ny = hiY - (ny - hiY);
      vy[e] = -uy;
    }
    nx = Math.fround(nx);
    ny = Math.fround(ny);
    if (!(nx >= loX)) nx = loX;
    else if (nx > hiX) nx = hiX;
    if (!(ny >= loY)) ny = loY;
    else if (ny > hiY) ny = hiY;
    px[e] = nx;
    py[e] = ny;
    lastX[e] = nx;
    lastY[e] = ny;
  }
  ps.stats.coarseMoves += fast;
  return moves;
};
