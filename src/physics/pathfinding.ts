/**
 * A* over the obstacle raster (src/physics/obstacles.ts `blocked`), 8-connected without
 * cutting corners, octile heuristic, ties broken by cell index: the same query always gives
 * the same path. Every search is bounded by `maxExpansions` and ends with one outcome:
 *
 * | outcome            | when                                                      | path |
 * | ------------------ | --------------------------------------------------------- | ---- |
 * | `found`            | goal reached (`startSnapped` if the start was inside an obstacle and moved to the nearest free cell within `snapRadius`) | start → goal |
 * | `start-blocked`    | start inside an obstacle, no free cell within `snapRadius`| none |
 * | `goal-blocked`     | goal cell inside an obstacle                              | none |
 * | `unreachable`      | every cell reachable from the start was searched (walled off / blocked path) | none |
 * | `budget-exceeded`  | `maxExpansions` cells expanded first                      | start → closest cell found |
 * | `out-of-bounds`    | start or goal not finite or outside the world             | none |
 *
 * Scratch arrays are allocated once per pathfinder and reused (generation stamps, no clearing).
 */
import type { Obstacles } from './obstacles.js';
import type { Bounds } from './physics-types.js';

export type PathOutcome = 'found' | 'start-blocked' | 'goal-blocked' | 'unreachable' | 'budget-exceeded' | 'out-of-bounds';

/** Result of {@link findPath}. `path` holds waypoints (world units) as [x0, y0, x1, y1, ...]. */
export interface PathResult {
  outcome: PathOutcome;
  path: number[];
  expansions: number;
  startSnapped: boolean;
}

/** A reusable A* searcher over one obstacle raster. */
export interface Pathfinder {
  readonly side: number;
  readonly cell: number;
  readonly bounds: Bounds;
  readonly blocked: Uint8Array;
  readonly g: Float64Array;
  readonly parent: Int32Array;
  readonly seen: Uint32Array;
  readonly closed: Uint32Array;
  readonly heap: Int32Array;
  readonly heapF: Float64Array;
  gen: number;
}

/** Create a pathfinder for `obs` over `bounds`. */
export const createPathfinder = (obs: Obstacles, bounds: Bounds): Pathfinder => {
  const n = obs.navSide * obs.navSide;
  return {
    side: obs.navSide,
    cell: obs.navCellSize,
    bounds: { ...bounds },
    blocked: obs.blocked,
    g: new Float64Array(n),
    parent: new Int32Array(n),
    seen: new Uint32Array(n),
    closed: new Uint32Array(n),
    heap: new Int32Array(8 * n + 8),
    heapF: new Float64Array(8 * n + 8),
    gen: 0,
  };
};

const SQRT2 = Math.SQRT2;
const DX = [1, -1, 0, 0, 1, 1, -1, -1];
const DY = [0, 0, 1, -1, 1, -1, 1, -1];

const less = (pf: Pathfinder, i: number, j: number): boolean =>
  pf.heapF[i] < pf.heapF[j] || (pf.heapF[i] === pf.heapF[j] && pf.heap[i] < pf.heap[j]);

const swap = (pf: Pathfinder, i: number, j: number): void => {
  const h = pf.heap,
    f = pf.heapF;
  const a = h[i],
    b = f[i];
  h[i] = h[j];
  f[i] = f[j];
  h[j] = a;
  f[j] = b;
};

const push = (pf: Pathfinder, size: number, node: number, f: number): number => {
  let i = size;
  pf.heap[i] = node;
  pf.heapF[i] = f;
  while (i > 0) {
    const up = (i - 1) >> 1;
    if (!less(pf, i, up)) break;
    swap(pf, i, up);
    i = up;
  }
  return size + 1;
};

const pop = (pf: Pathfinder, size: number): number => {
  const top = pf.heap[0];
  size--;
  pf.heap[0] = pf.heap[size];
  pf.heapF[0] = pf.heapF[size];
  let i = 0;
  for (;;) {
    const l = 2 * i + 1,
      r = l + 1;
    let m = i;
    if (l < size && less(pf, l, m)) m = l;
    if (r < size && less(pf, r, m)) m = r;
    if (m === i) break;
    swap(pf, i, m);
    i = m;
  }
  return top;
};

const octile = (ax: number, ay: number, bx: number, by: number): number => {
  const dx = Math.abs(ax - bx),
    dy = Math.abs(ay - by);
  return dx > dy ? dx + (SQRT2 - 1) * dy : dy + (SQRT2 - 1) * dx;
};

/** Nearest free cell to (cx, cy) within `radius` cells (ring by ring, fixed order), or -1. */
const snap = (pf: Pathfinder, cx: number, cy: number, radius: number): number => {
  const side = pf.side;
  for (let r = 1; r <= radius; r++) {
    let best = -1,
      bestD = Infinity;
    for (let y = cy - r; y <= cy + r; y++) {
      for (let x = cx - r; x <= cx + r; x++) {
        if (x < 0 || y < 0 || x >= side || y >= side) continue;
        if (Math.max(Math.abs(x - cx), Math.abs(y - cy)) !== r) continue;
        const c = y * side + x;
        if (pf.blocked[c]) continue;
        const d = (x - cx) ** 2 + (y - cy) ** 2;
        if (d < bestD) {
          bestD = d;
          best = c;
        }
      }
    }
    if (best >= 0) return best;
  }
  return -1;
};

/**
 * Find a path from (sx, sy) to (gx, gy) (world units), expanding at most `maxExpansions` cells.
 * Never throws on bad coordinates: they give `out-of-bounds`.
 */
export const findPath = (
  pf: Pathfinder,
  sx: number,
  sy: number,
  gx: number,
  gy: number,
  maxExpansions = 4096,
  snapRadius = 4,
): PathResult => {
  const b = pf.bounds,
    side = pf.side,
    cell = pf.cell;
  const inside = (x: number, y: number): boolean =>
    Number.isFinite(x) && Number.isFinite(y) && x >= b.minX && x <= b.maxX && y >= b.minY && y <= b.maxY;
  if (!inside(sx, sy) || !inside(gx, gy)) return { outcome: 'out-of-bounds', path: [], expansions: 0, startSnapped: false };
  const toCell = (v: number, min: number): number => Math.min(side - 1, Math.floor((v - min) / cell));
  const scx = toCell(sx, b.minX),
    scy = toCell(sy, b.minY),
    gcx = toCell(gx, b.minX),
    gcy = toCell(gy, b.minY);
  const goal = gcy * side + gcx;
  if (pf.blocked[goal]) return { outcome: 'goal-blocked', path: [], expansions: 0, startSnapped: false };
  let start = scy * side + scx;
  let startSnapped = false;
  if (pf.blocked[start]) {
    start = snap(pf, scx, scy, snapRadius);
    if (start < 0) return { outcome: 'start-blocked', path: [], expansions: 0, startSnapped: false };
    startSnapped = true;
  }
  const gen = ++pf.gen;
  const { g, parent, seen, closed, blocked } = pf;
  seen[start] = gen;
  g[start] = 0;
  parent[start] = -1;
  let size = push(pf, 0, start, octile(start % side, (start / side) | 0, gcx, gcy));
  let expansions = 0,
    closest = start,
    closestH = Infinity,
    reached = false;
  while (size > 0) {
    const cur = pop(pf, size);
    size--;
    if (closed[cur] === gen) continue;
    closed[cur] = gen;
    const cx = cur % side,
      cy = (cur / side) | 0;
    const h = octile(cx, cy, gcx, gcy);
    if (h < closestH || (h === closestH && cur < closest)) {
      closestH = h;
      closest = cur;
    }
    if (cur === goal) {
      reached = true;
      break;
    }
    if (expansions >= maxExpansions) break;
    expansions++;
    for (let k = 0; k < 8; k++) {
      const nx = cx + DX[k],
        ny = cy + DY[k];
      if (nx < 0 || ny < 0 || nx >= side || ny >= side) continue;
      const nc = ny * side + nx;
      if (blocked[nc] || closed[nc] === gen) continue;
      // Diagonals may not cut a blocked corner.
      if (k >= 4 && (blocked[cy * side + nx] || blocked[ny * side + cx])) continue;
      const ng = g[cur] + (k >= 4 ? SQRT2 : 1);
      if (seen[nc] === gen && ng >= g[nc]) continue;
      seen[nc] = gen;
      g[nc] = ng;
      parent[nc] = cur;
      size = push(pf, size, nc, ng + octile(nx, ny, gcx, gcy));
    }
  }
  if (!reached && size === 0) return { outcome: 'unreachable', path: [], expansions, startSnapped };
  const end = reached ? goal : closest;
  const cells: number[] = [];
  for (let c = end; c >= 0; c = parent[c]) cells.push(c);
  cells.reverse();
  const path: number[] = [];
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i];
    // Keep turning points only (and both ends).
    if (i > 0 && i < cells.length - 1) {
      const a = cells[i - 1],
        z = cells[i + 1];
      if (c - a === z - c) continue;
    }
    path.push(b.minX + ((c % side) + 0.5) * cell, b.minY + (((c / side) | 0) + 0.5) * cell);
  }
  if (reached) {
    path[path.length - 2] = gx;
    path[path.length - 1] = gy;
  }
  return { outcome: reached ? 'found' : 'budget-exceeded', path, expansions, startSnapped };
};
