/**
 * The physics kernel: one pass over the bodies of a band of grid rows. For each body, in
 * cell order, it
 *   1. sums separation pushes from overlapping neighbours (circles) in the 3×3 cells around it,
 *      each pair resolved symmetrically (each side moves half the overlap, away from the other;
 *      coincident pairs split along a direction derived from the pair's ids, opposite signs),
 *   2. integrates `old + v·dt·steps + push` (steps = 1 unless the body rejoins the step after
 *      steps outside it: level of detail, src/physics/physics-lod.ts; such a multi-step move is
 *      swept against the obstacles, src/physics/swept.ts: it stops and turns at the first wall),
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
 * dormant = no collision, no perception (still integrated, kept out of obstacles and in bounds) —
 * and in a world with tiers and coarse movement not in the step at all: a dormant NPC catches up
 * coarsely in a rotating slice (src/physics/physics-lod.ts).
 */
import { TierCode } from '../../components/tier.js';
import { commitRows } from './copy-back.js';
import { slotAfter } from './grid-build.js';
import { type KernelScratch, kernelScratch } from './grid-scratch.js';
import { perceiveBody } from './perception-kernel.js';
import { BodyKind, C, P, type PhysicsShared, rowWords } from './physics-types.js';
import { sweptMove } from './swept.js';

const TWO_PI_OVER_1024 = (2 * Math.PI) / 1024;
// Module constants copied into locals of the kernels: one load, whatever the module format.
const PLAYER = BodyKind.player;
const DETAILED = TierCode.detailed,
  ACTIVE = TierCode.active,
  AMBIENT = TierCode.ambient;

/**
 * A kernel over grid rows [rowStart, rowEnd): `slot` selects the counter row, `live` (checked once
 * per row) stops it when it returns false, `scratch` is the calling thread's
 * (src/physics/grid-scratch.ts), else one is made for this call.
 */
export type RowsKernel = (
  s: PhysicsShared,
  rowStart: number,
  rowEnd: number,
  slot: number,
  live?: () => boolean,
  scratch?: KernelScratch,
) => void;

/**
 * Step the bodies of grid rows [rowStart, rowEnd). `slot` selects the counter row. `live` is
 * checked once per row: when it returns false (the step was cancelled), the kernel stops.
 *
 * Neighbour scan: the 3 cells of a neighbouring row are consecutive in cell order, so their
 * bodies are one contiguous span of slots, read as one loop — unless a cell of those rows holds
 * more bodies than the body's cap (`rowMax`), then cell by cell with the cap (same bodies, same
 * order). In a dense row a span is indexed (`cellStart`); in a sparse one it is found by column
 * (`sortedCx`) with cursors that only move forward along the row; a cell of a capped span by
 * binary search on the columns.
 */
export const stepRows: RowsKernel = (s, rowStart, rowEnd, slot, live, scratch) =>
  stepRowsWith(s, rowStart, rowEnd, slot, scratch ?? kernelScratch(), live);

/** {@link stepRows} with the caller's scratch (one per band, reused by its chunks in {@link stepCommitRows}). */
const stepRowsWith = (s: PhysicsShared, rowStart: number, rowEnd: number, slot: number, k: KernelScratch, live?: () => boolean): void => {
  const prm = s.params;
  const dt = prm[P.dt];
  const minX = prm[P.minX],
    minY = prm[P.minY],
    maxX = prm[P.maxX],
    maxY = prm[P.maxY];
  const cell = prm[P.cellSize];
  const side = prm[P.side] | 0;
  const npcR = prm[P.npcRadius],
    playerR = prm[P.playerRadius];
  const fullCap = prm[P.maxPerCell] | 0,
    coarseCap = prm[P.activeMaxPerCell] | 0,
    ambientEvery = prm[P.ambientEvery] | 0;
  // An ambient body's turn, (step + e) % every === 0, as e % every === turn: the step's part once,
  // then per body a mask (every a power of two, the default 4) or one integer modulo.
  const turn = (ambientEvery - ((prm[P.step] % ambientEvery) | 0)) % ambientEvery,
    turnMask = (ambientEvery & (ambientEvery - 1)) === 0 ? ambientEvery - 1 : -1;
  const sameR = npcR === playerR;
  const out = s.out,
    srt = s.sorted,
    flags = s.sortedFlags,
    bodySteps = s.sortedSteps,
    sortedCx = s.sortedCx,
    rowSlot = s.rowStart,
    rowMax = s.rowMax;
  const cellItems = s.cellItems,
    cellStart = s.cellStart,
    rowDense = s.rowDense,
    rowBits = s.rowBits,
    words = rowWords(side);
  // Per neighbouring row (up to 3): the slots of columns [cx - 1, cx + 1] as two cursors, moved
  // forward as the row's bodies (ascending columns) are walked — no per-cell array.
  const spanLo = k.spanLo,
    spanHi = k.spanHi;
  const obsStart = s.obsStart,
    obsItems = s.obsItems;
  const ob = k.ob,
    sw = k.sw;
  const hasObs = obsItems.length > 0 && obsStart[obsStart.length - 1] > 0;
  const obsBits = s.obsBits;
  const cnt = s.counters,
    o = slot * C.stride;
  let bodies = 0,
    pairs = 0,
    capped = 0,
    obsPushes = 0,
    edgeStops = 0;
  for (let cy = rowStart; cy < rowEnd; cy++) {
    if (live !== undefined && !live()) return;
    const yLo = cy > 0 ? cy - 1 : 0,
      yHi = cy + 1 < side ? cy + 1 : side - 1;
    // Largest cell of the 3 rows: a body whose cap is at least this scans spans, not cells.
    let nearMax = rowMax[yLo];
    for (let ny = yLo + 1; ny <= yHi; ny++) if (rowMax[ny] > nearMax) nearMax = rowMax[ny];
    for (let ny = yLo; ny <= yHi; ny++) spanLo[ny - yLo] = spanHi[ny - yLo] = rowSlot[ny];
    // The row's bodies are one run of slots, in cell order: no visit of empty cells (most cells
    // of a sparse world); each body's column is in `sortedCx`.
    for (let b = rowSlot[cy], bEnd = rowSlot[cy + 1]; b < bEnd; b++) {
      const cx = sortedCx[b];
      const xLo = cx > 0 ? cx - 1 : 0,
        xHi = cx + 1 < side ? cx + 1 : side - 1;
      const e = cellItems[b];
      bodies++;
      const fl = flags[b];
      const isPlayer = (fl & 3) === PLAYER;
      const r = isPlayer ? playerR : npcR;
      const t = fl >> 2;
      let cap = 0;
      if (t === DETAILED) cap = fullCap;
      else if (t === ACTIVE) cap = coarseCap;
      else if (t === AMBIENT && (turnMask >= 0 ? e & turnMask : e % ambientEvery) === turn) cap = coarseCap;
      const q = b << 2;
      const x0 = srt[q],
        y0 = srt[q + 1];
      let pushX = 0,
        pushY = 0;
      // Which of the (up to 3) neighbouring rows hold another body in its columns: its own row's
      // slots are in column order (the next ones either side tell), the other rows' cells are in
      // the occupancy bits. A row without one is not scanned (it would add no push, no pair, no
      // cap), so a body alone in its 3×3 cells — most, in a sparse world — skips the whole scan.
      let near = 0;
      if (cap > 0)
        for (let ny = yLo; ny <= yHi; ny++) {
          if (ny === cy) {
            if ((b > rowSlot[cy] && sortedCx[b - 1] >= xLo) || (b + 1 < bEnd && sortedCx[b + 1] <= xHi)) near |= 1 << (ny - yLo);
            continue;
          }
          const w = ny * words + (xLo >> 5),
            sh = xLo & 31,
            width = xHi - xLo + 1;
          let v = rowBits[w] >>> sh;
          if (sh + width > 32) v |= rowBits[w + 1] << (32 - sh);
          if ((v & ((1 << width) - 1)) !== 0) near |= 1 << (ny - yLo);
        }
      if (near !== 0) {
        let hitCap = 0;
        for (let ny = yLo; ny <= yHi; ny++) {
          const i = ny - yLo,
            rEnd = rowSlot[ny + 1];
          if (((near >> i) & 1) === 0) continue;
          let a: number, z: number;
          if (rowDense[ny] === 1) {
            // Dense row: its cells' first slots are indexed.
            const c0 = ny * side + xLo;
            a = cellStart[c0];
            // The row's last cell ends where the row does (the next row's cellStart may be stale).
            z = xHi + 1 < side ? cellStart[c0 + xHi - xLo + 1] : rEnd;
          } else {
            a = spanLo[i];
            while (a < rEnd && sortedCx[a] < xLo) a++;
            spanLo[i] = a;
            z = spanHi[i] > a ? spanHi[i] : a;
            while (z < rEnd && sortedCx[z] <= xHi) z++;
            spanHi[i] = z;
          }
          // One span of the row's 3 cells [a, z), or (a cell over the cap) cell by cell.
          const spans = nearMax <= cap ? 1 : xHi - xLo + 1;
          for (let sp = 0; sp < spans; sp++) {
            const start = a;
            let end = spans === 1 ? z : slotAfter(sortedCx, a, z, xLo + sp);
            a = end;
            if (spans > 1 && end - start > cap) {
              end = start + cap;
              hitCap = 1;
            }
            pairs += b >= start && b < end ? end - start - 1 : end - start;
            for (let k = start; k < end; k++) {
              const dx = x0 - srt[k << 2],
                dy = y0 - srt[(k << 2) + 1];
              const rs = sameR ? r + r : r + ((flags[k] & 3) === PLAYER ? playerR : npcR);
              const d2 = dx * dx + dy * dy;
              if (d2 >= rs * rs || k === b) continue;
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
      let nvx = srt[q + 2],
        nvy = srt[q + 3];
      // A body rejoining after steps outside it integrates them all (level of detail), swept
      // against the obstacles: several steps' worth at once must not pass through a thin wall.
      const n = bodySteps[b];
      const sdt = n > 1 ? dt * n : dt;
      let x: number, y: number;
      if (n > 1 && hasObs) {
        ob[0] = x0;
        ob[1] = y0;
        ob[2] = nvx;
        ob[3] = nvy;
        obsPushes += sweptMove(s, r, isPlayer, sdt, ob, sw);
        x = ob[0] + pushX;
        y = ob[1] + pushY;
        nvx = ob[2];
        nvy = ob[3];
      } else {
        x = x0 + nvx * sdt + pushX;
        y = y0 + nvy * sdt + pushY;
      }
      if (hasObs) {
        let gx = Math.floor((x - minX) / cell),
          gy = Math.floor((y - minY) / cell);
        gx = gx < 0 ? 0 : gx >= side ? side - 1 : gx;
        gy = gy < 0 ? 0 : gy >= side ? side - 1 : gy;
        const oc = gy * side + gx;
        // The cell's bit (`obsBits`, in cache), not the 4-byte cell table entry (a miss at 1M cells).
        if ((obsBits[oc >> 5] & (1 << (oc & 31))) !== 0) {
          // Rare (cells near an obstacle): the shared push-out, results through `ob`.
          ob[0] = x;
          ob[1] = y;
          ob[2] = nvx;
          ob[3] = nvy;
          obsPushes += pushOutOfObstacles(s, oc, r, isPlayer, ob);
          x = ob[0];
          y = ob[1];
          nvx = ob[2];
          nvy = ob[3];
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
      out[q] = x;
      out[q + 1] = y;
      out[q + 2] = nvx;
      out[q + 3] = nvy;
      if (t === DETAILED && !isPlayer) perceiveBody(s, e, b, cx, cy, slot);
    }
  }
  cnt[o + C.bodies] += bodies;
  cnt[o + C.pairs] += pairs;
  cnt[o + C.cellCapped] += capped;
  cnt[o + C.obstaclePushes] += obsPushes;
  cnt[o + C.edgeStops] += edgeStops;
};

/**
 * Push a circle of radius `r` at (o[0], o[1]) with velocity (o[2], o[3]) out of every obstacle
 * rect listed for grid cell `oc`, in place: players slide along a rect (velocity into it zeroed),
 * NPCs turn away (reflected). Returns the number of pushes. Shared by the kernel and the coarse
 * catch-up of bodies outside the step (src/physics/physics-lod.ts).
 */
export const pushOutOfObstacles = (s: PhysicsShared, oc: number, r: number, isPlayer: boolean, o: Float64Array): number => {
  const rects = s.obsRects,
    obsItems = s.obsItems;
  let x = o[0],
    y = o[1],
    nvx = o[2],
    nvy = o[3];
  let pushes = 0;
  const oEnd = s.obsStart[oc + 1];
  for (let k = s.obsStart[oc]; k < oEnd; k++) {
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
    pushes++;
  }
  o[0] = x;
  o[1] = y;
  o[2] = nvx;
  o[3] = nvy;
  return pushes;
};

/** Rows of a band stepped between two copy-backs in {@link stepCommitRows}. */
const COMMIT_ROWS = 4;

/**
 * The kernel then the copy-back of rows [rowStart, rowEnd) (the sharded step's last phase), a few
 * rows at a time: each chunk's results are copied back while they are still in L1/L2, and the
 * copy-backs of two bands (random writes into the same store lines: a band's bodies are spread
 * over the id range) are spread over the phase instead of all landing at its end on both cores.
 * Safe because no kernel reads the stores (only the staged grid); the same values as
 * `stepRows` + `commitRows` of the whole band. Stops (like `stepRows`) when `live` returns false.
 */
export const stepCommitRows: RowsKernel = (s, rowStart, rowEnd, slot, live, scratch) => {
  const k = scratch ?? kernelScratch();
  for (let a = rowStart; a < rowEnd; a += COMMIT_ROWS) {
    const b = a + COMMIT_ROWS < rowEnd ? a + COMMIT_ROWS : rowEnd;
    stepRowsWith(s, a, b, slot, k, live);
    if (live !== undefined && !live()) return;
    commitRows(s, a, b);
  }
};
