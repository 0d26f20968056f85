/**
 * Perception of one body: every other body within `perceptionRadius` (inclusive) of its
 * previous-step position, found on the uniform grid. Scans cells in a fixed order (rows then
 * columns, ids ascending inside a cell), so the result — including which ids fill the bounded
 * list — does not depend on the partitioning. Work per cell is capped by `maxPerCell`; a cell
 * over the cap is counted in `perceptionTruncated` and its extra bodies are not seen.
 */
import { slotAfter } from './grid-build.js';
import { BodyKind, C, P, rowHasAny, rowWords, type PhysicsShared } from './physics-types.js';

const PLAYER = BodyKind.player;

/** Perceive for body `e` (grid slot `b`) in cell (cx, cy); writes the `perc*` rows of `e`. Returns 1 when truncated. */
export const perceiveBody = (s: PhysicsShared, e: number, b: number, cx: number, cy: number, slot: number): number => {
  const prm = s.params;
  const R = prm[P.perceptionRadius];
  const R2 = R * R;
  const side = prm[P.side] | 0;
  const cap = prm[P.maxPerCell] | 0;
  const K = prm[P.perceptionK] | 0;
  const reach = Math.ceil(R / prm[P.cellSize]);
  const srt = s.sorted,
    flags = s.sortedFlags,
    sortedCx = s.sortedCx,
    rowSlot = s.rowStart,
    rowDense = s.rowDense,
    cellStart = s.cellStart,
    cellItems = s.cellItems,
    list = s.percList,
    rowMax = s.rowMax,
    bits = s.rowBits,
    words = rowWords(side);
  const x0 = srt[b << 2],
    y0 = srt[(b << 2) + 1];
  let total = 0,
    players = 0,
    npcs = 0,
    nearest = -1,
    best = Infinity,
    truncated = 0;
  const yLo = cy - reach < 0 ? 0 : cy - reach,
    yHi = cy + reach >= side ? side - 1 : cy + reach;
  const xLo = cx - reach < 0 ? 0 : cx - reach,
    xHi = cx + reach >= side ? side - 1 : cx + reach;
  const base = e * K;
  for (let ny = yLo; ny <= yHi; ny++) {
    // No body in the row's columns [xLo, xHi] (its occupancy bits): nothing to find, no search.
    if (!rowHasAny(bits, words, ny, xLo, xHi)) continue;
    // A row's cells are consecutive slots: one span unless a cell of the row is over the cap.
    // The slots of columns [xLo, xHi] in this row: indexed in a dense row, else by binary search.
    let a: number, z: number;
    if (rowDense[ny] === 1) {
      a = cellStart[ny * side + xLo];
      z = xHi + 1 < side ? cellStart[ny * side + xHi + 1] : rowSlot[ny + 1];
    } else {
      a = slotAfter(sortedCx, rowSlot[ny], rowSlot[ny + 1], xLo - 1);
      z = slotAfter(sortedCx, a, rowSlot[ny + 1], xHi);
    }
    const spans = rowMax[ny] <= cap ? 1 : xHi - xLo + 1;
    for (let sp = 0; sp < spans; sp++) {
      const start = a;
      let end = spans === 1 ? z : slotAfter(sortedCx, a, z, xLo + sp);
      a = end;
      if (spans > 1 && end - start > cap) {
        end = start + cap;
        truncated = 1;
      }
      for (let k = start; k < end; k++) {
        const dx = srt[k << 2] - x0,
          dy = srt[(k << 2) + 1] - y0;
        const d2 = dx * dx + dy * dy;
        if (d2 > R2 || k === b) continue;
        const j = cellItems[k];
        if (total < K) list[base + total] = j;
        total++;
        if ((flags[k] & 3) === PLAYER) {
          players++;
          if (d2 < best || (d2 === best && j < nearest)) {
            best = d2;
            nearest = j;
          }
        } else npcs++;
      }
    }
  }
  s.percTotal[e] = total;
  s.percPlayers[e] = players;
  s.percNpcs[e] = npcs;
  s.percNearest[e] = nearest;
  s.percNearestDist[e] = nearest < 0 ? Infinity : Math.sqrt(best);
  s.percStep[e] = prm[P.step] + 1;
  const cnt = s.counters,
    o = slot * C.stride;
  cnt[o + C.perceivers]++;
  if (truncated) cnt[o + C.perceptionTruncated]++;
  return truncated;
};
