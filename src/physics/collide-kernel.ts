/**
 * The physics kernel: one pass over the bodies of a band of grid rows. For each body, in
 * cell order, it
 *   1. sums separation pushes from overlapping neighbours (circles) in the 3×3 cells around it,
 *      each pair resolved symmetrically (each side moves half the overlap, away from the other;
 *      coincident pairs split along a direction derived from the pair's ids, opposite signs),
 *   2. integrates `old + v·dt + push`,
 *   3. pushes the circle out of static obstacle rectangles (players slide, NPCs turn),
 *   4. applies the world edge (players stop: velocity into the edge is zeroed; NPCs turn:
 *      it is reflected),
 *   5. perceives (detailed NPCs only),
 * reading only previous-step values and writing only its own `out*` row: any partition of the
 * rows gives bit-identical results.
 *
 * Level of detail (tier of an NPC; players are always full): detailed = collision with up to
 * `maxPerCell` neighbours per cell + perception; active = collision with `activeMaxPerCell`;
 * ambient = like active but only every `ambientCollideEvery` steps (staggered by id);
 * dormant = no collision, no perception (still integrated, kept out of obstacles and in bounds).
 */
import { TierCode } from '../../components/tier.js';
import { perceiveBody } from './perception-kernel.js';
import { BodyKind, C, P, type PhysicsShared } from './physics-types.js';

const TWO_PI_OVER_1024 = (2 * Math.PI) / 1024;

/**
 * Step the bodies of grid rows [rowStart, rowEnd). `slot` selects the counter row. `live` is
 * checked once per row: when it returns false (the step was cancelled), the kernel stops.
 */
export const stepRows = (s: PhysicsShared, rowStart: number, rowEnd: number, slot: number, live?: () => boolean): void => {
  const prm = s.params;
  const dt = prm[P.dt];
  const minX = prm[P.minX],
    minY = prm[P.minY],
    maxX = prm[P.maxX],
    maxY = prm[P.maxY];
  const cell = prm[P.cellSize];
  const side = prm[P.side];
  const npcR = prm[P.npcRadius],
    playerR = prm[P.playerRadius];
  const fullCap = prm[P.maxPerCell],
    coarseCap = prm[P.activeMaxPerCell],
    ambientEvery = prm[P.ambientEvery];
  const step = prm[P.step];
  const vx = s.vx,
    vy = s.vy,
    tier = s.tier;
  const outX = s.outX,
    outY = s.outY,
    outVx = s.outVx,
    outVy = s.outVy;
  const cellStart = s.cellStart,
    cellItems = s.cellItems,
    sx = s.sortedX,
    sy = s.sortedY,
    sk = s.sortedKind;
  const rects = s.obsRects,
    obsStart = s.obsStart,
    obsItems = s.obsItems;
  const hasObs = obsItems.length > 0 && obsStart[obsStart.length - 1] > 0;
  const cnt = s.counters,
    o = slot * C.stride;
  let bodies = 0,
    pairs = 0,
    capped = 0,
    obsPushes = 0,
    edgeStops = 0;
  for (let cy = rowStart; cy < rowEnd; cy++) {
    if (live !== undefined && !live()) return;
    for (let cx = 0; cx < side; cx++) {
      const c0 = cy * side + cx;
      const bEnd = cellStart[c0 + 1];
      for (let b = cellStart[c0]; b < bEnd; b++) {
        const e = cellItems[b];
        bodies++;
        const isPlayer = sk[b] === BodyKind.player;
        const r = isPlayer ? playerR : npcR;
        const t = isPlayer ? TierCode.detailed : tier[e];
        let cap = 0;
        if (t === TierCode.detailed) cap = fullCap;
        else if (t === TierCode.active) cap = coarseCap;
        else if (t === TierCode.ambient && (step + e) % ambientEvery === 0) cap = coarseCap;
        const x0 = sx[b],
          y0 = sy[b];
        let pushX = 0,
          pushY = 0;
        if (cap > 0) {
          let hitCap = 0;
          const yLo = cy > 0 ? cy - 1 : 0,
            yHi = cy + 1 < side ? cy + 1 : side - 1;
          const xLo = cx > 0 ? cx - 1 : 0,
            xHi = cx + 1 < side ? cx + 1 : side - 1;
          for (let ny = yLo; ny <= yHi; ny++) {
            for (let nx = xLo; nx <= xHi; nx++) {
              const c = ny * side + nx;
              const start = cellStart[c];
              let end = cellStart[c + 1];
              if (end - start > cap) {
                end = start + cap;
                hitCap = 1;
              }
              for (let k = start; k < end; k++) {
                if (k === b) continue;
                pairs++;
                const dx = x0 - sx[k],
                  dy = y0 - sy[k];
                const rs = r + (sk[k] === BodyKind.player ? playerR : npcR);
                const d2 = dx * dx + dy * dy;
                if (d2 >= rs * rs) continue;
                if (d2 > 1e-12) {
                  const d = Math.sqrt(d2);
                  const f = ((rs - d) * 0.5) / d;
                  pushX += dx * f;
                  pushY += dy * f;
                } else {
                  // Coincident: a direction from the unordered pair, opposite for each side.
                  const j = cellItems[k];
                  const lo = e < j ? e : j,
                    hi = e < j ? j : e;
                  const a = ((Math.imul(lo, 73856093) ^ Math.imul(hi, 19349663)) >>> 0) & 1023;
                  const sgn = e < j ? 0.5 * rs : -0.5 * rs;
                  pushX += Math.cos(a * TWO_PI_OVER_1024) * sgn;
                  pushY += Math.sin(a * TWO_PI_OVER_1024) * sgn;
                }
              }
            }
          }
          capped += hitCap;
          // Bound the push (a crowd cannot fling a body further than its radius in one step).
          const p2 = pushX * pushX + pushY * pushY;
          if (p2 > r * r && p2 > 0) {
            const f = r / Math.sqrt(p2);
            pushX *= f;
            pushY *= f;
          }
        }
        let nvx = vx[e],
          nvy = vy[e];
        let x = x0 + nvx * dt + pushX;
        let y = y0 + nvy * dt + pushY;
        if (hasObs) {
          let gx = Math.floor((x - minX) / cell),
            gy = Math.floor((y - minY) / cell);
          gx = gx < 0 ? 0 : gx >= side ? side - 1 : gx;
          gy = gy < 0 ? 0 : gy >= side ? side - 1 : gy;
          const oc = gy * side + gx;
          const oEnd = obsStart[oc + 1];
          for (let k = obsStart[oc]; k < oEnd; k++) {
            const q = obsItems[k] * 4;
            const rx0 = rects[q],
              ry0 = rects[q + 1],
              rx1 = rects[q + 2],
              ry1 = rects[q + 3];
            const qx = x < rx0 ? rx0 : x > rx1 ? rx1 : x;
            const qy = y < ry0 ? ry0 : y > ry1 ? ry1 : y;
            const dx = x - qx,
              dy = y - qy;
            const d2 = dx * dx + dy * dy;
            if (d2 >= r * r) continue;
            let nX: number, nY: number;
            if (d2 > 0) {
              const d = Math.sqrt(d2);
              nX = dx / d;
              nY = dy / d;
              x = qx + nX * r;
              y = qy + nY * r;
            } else {
              // Centre inside the rect: leave by the nearest side.
              const l = x - rx0,
                rr = rx1 - x,
                bo = y - ry0,
                tp = ry1 - y;
              const m = Math.min(l, rr, bo, tp);
              if (m === l) {
                nX = -1;
                nY = 0;
                x = rx0 - r;
              } else if (m === rr) {
                nX = 1;
                nY = 0;
                x = rx1 + r;
              } else if (m === bo) {
                nX = 0;
                nY = -1;
                y = ry0 - r;
              } else {
                nX = 0;
                nY = 1;
                y = ry1 + r;
              }
            }
            const vn = nvx * nX + nvy * nY;
            if (vn < 0) {
              const k2 = isPlayer ? vn : 2 * vn; // players slide along, NPCs turn away
              nvx -= k2 * nX;
              nvy -= k2 * nY;
            }
            obsPushes++;
          }
        }
        // World edge: players stop (no bounce, no vibration when holding into it); NPCs turn.
        const loX = minX + r,
          hiX = maxX - r,
          loY = minY + r,
          hiY = maxY - r;
        if (x < loX) {
          x = loX;
          if (nvx < 0) nvx = isPlayer ? 0 : -nvx;
          edgeStops++;
        } else if (x > hiX) {
          x = hiX;
          if (nvx > 0) nvx = isPlayer ? 0 : -nvx;
          edgeStops++;
        }
        if (y < loY) {
          y = loY;
          if (nvy < 0) nvy = isPlayer ? 0 : -nvy;
          edgeStops++;
        } else if (y > hiY) {
          y = hiY;
          if (nvy > 0) nvy = isPlayer ? 0 : -nvy;
          edgeStops++;
        }
        outX[b] = x;
        outY[b] = y;
        outVx[b] = nvx;
        outVy[b] = nvy;
        if (t === TierCode.detailed && !isPlayer) perceiveBody(s, e, b, cx, cy, slot);
      }
    }
  }
  cnt[o + C.bodies] += bodies;
  cnt[o + C.pairs] += pairs;
  cnt[o + C.cellCapped] += capped;
  cnt[o + C.obstaclePushes] += obsPushes;
  cnt[o + C.edgeStops] += edgeStops;
};

/**
 * Copy the results of the bodies with ids in [idLo, idHi) back into the world stores (the
 * copy-back phase, after every band's kernel finished). Split by id range, so the writes of two
 * workers land in disjoint ranges of the stores.
 */
export const commitIds = (s: PhysicsShared, idLo: number, idHi: number): void => {
  const kind = s.kind,
    slotOf = s.slotOf,
    px = s.px,
    py = s.py,
    vx = s.vx,
    vy = s.vy;
  const ox = s.outX,
    oy = s.outY,
    ovx = s.outVx,
    ovy = s.outVy,
    lx = s.lastX,
    ly = s.lastY;
  for (let e = idLo; e < idHi; e++) {
    if (kind[e] === BodyKind.none) continue;
    const k = slotOf[e];
    if (k < 0) continue;
    px[e] = lx[e] = ox[k];
    py[e] = ly[e] = oy[k];
    vx[e] = ovx[k];
    vy[e] = ovy[k];
  }
};
