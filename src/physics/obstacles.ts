/**
 * Static obstacles: walls, buildings and zones as axis-aligned rectangles, loaded once with a
 * world (a map file or the world config). They live in rbush — static boxes queried many
 * times is what rbush is good at — and are flattened at load into two typed-array tables the
 * kernels read on any thread:
 *
 *   cell table (collision grid, `cellSize`):   obsStart[cell] .. obsStart[cell+1]  → obsItems[k] = rect index
 *   nav raster (pathfinding grid, `navCellSize`): blocked[ny * navSide + nx] = 1 when a rect covers the cell
 *
 * Both are on SharedArrayBuffer, so shard workers get them without copying.
 */
import RBush from 'rbush';
import { configInvalid } from '../errors.js';
import type { Bounds } from './physics-types.js';

/** An obstacle rectangle in world units (`minX < maxX`, `minY < maxY`). `kind` is content-defined. */
export interface ObstacleRect {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
  kind?: number;
}

interface IndexedRect extends ObstacleRect {
  index: number;
}

/** Most obstacles a world may load. */
export const MAX_OBSTACLES = 100_000;

/** The loaded obstacle set: rbush index plus the flattened shared tables. */
export interface Obstacles {
  readonly count: number;
  /** rbush over the rectangles (main thread: box queries, line-of-sight checks by callers). */
  readonly tree: RBush<IndexedRect>;
  /** Rect i at [4i .. 4i+3] = minX, minY, maxX, maxY. */
  readonly rects: Float64Array;
  /** Collision cell table (see module doc); side = collision grid side. */
  readonly obsStart: Int32Array;
  readonly obsItems: Int32Array;
  /**
   * One bit per collision cell (bit `c & 31` of word `c >> 5`): the cell lists a rect. 1/32 of
   * `obsStart`'s size, so a test of many random cells (the dormant catch-ups' reach test) stays in
   * cache where `obsStart` would miss.
   */
  readonly obsBits: Uint32Array;
  /** Navigation raster. */
  readonly blocked: Uint8Array;
  readonly navSide: number;
  readonly navCellSize: number;
}

const sabI32 = (n: number): Int32Array => new Int32Array(new SharedArrayBuffer(Math.max(1, n) * 4));
const sabF64 = (n: number): Float64Array => new Float64Array(new SharedArrayBuffer(Math.max(1, n) * 8));

/**
 * Validate a list of obstacle rectangles (from a map file or config: untrusted). Throws
 * `WT_ERR_CONFIG_INVALID` naming every bad entry by path; returns clean copies.
 */
export const validateObstacles = (input: unknown, path = 'obstacles'): ObstacleRect[] => {
  const p: string[] = [];
  if (!Array.isArray(input)) throw configInvalid([`${path} must be an array of {minX, minY, maxX, maxY}`]);
  if (input.length > MAX_OBSTACLES) throw configInvalid([`${path} has ${input.length} entries (at most ${MAX_OBSTACLES})`]);
  const out: ObstacleRect[] = [];
  for (let i = 0; i < input.length; i++) {
    const r = input[i] as Record<string, unknown> | null;
    if (typeof r !== 'object' || r === null) {
      p.push(`${path}[${i}] must be an object`);
      continue;
    }
    const { minX, minY, maxX, maxY, kind } = r;
    let ok = true;
    for (const [k, v] of [
      ['minX', minX],
      ['minY', minY],
      ['maxX', maxX],
      ['maxY', maxY],
    ] as const) {
      if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > 1e9) {
        p.push(`${path}[${i}].${k} must be a finite number`);
        ok = false;
      }
    }
    if (kind !== undefined && (typeof kind !== 'number' || !Number.isInteger(kind) || kind < 0 || kind > 65535)) {
      p.push(`${path}[${i}].kind must be an integer between 0 and 65535`);
      ok = false;
    }
    if (!ok) continue;
    if (!((minX as number) < (maxX as number)) || !((minY as number) < (maxY as number))) {
      p.push(`${path}[${i}] must have minX < maxX and minY < maxY`);
      continue;
    }
    out.push({
      minX: minX as number,
      minY: minY as number,
      maxX: maxX as number,
      maxY: maxY as number,
      kind: (kind as number | undefined) ?? 0,
    });
  }
  if (p.length) throw configInvalid(p);
  return out;
};

/**
 * Build the obstacle set for a world. `cellSize`/`side` describe the collision grid over
 * `bounds`; every rect is listed in each collision cell its box, grown by `margin` (the largest
 * body radius), touches. `navCellSize` sets the pathfinding raster.
 */
export const buildObstacles = (
  rects: readonly ObstacleRect[],
  bounds: Bounds,
  cellSize: number,
  side: number,
  margin: number,
  navCellSize: number,
): Obstacles => {
  const tree = new RBush<IndexedRect>();
  const items = rects.map((r, index) => ({ ...r, index }));
  tree.load(items);
  const flat = sabF64(rects.length * 4);
  for (let i = 0; i < rects.length; i++) {
    const r = rects[i];
    flat[4 * i] = r.minX;
    flat[4 * i + 1] = r.minY;
    flat[4 * i + 2] = r.maxX;
    flat[4 * i + 3] = r.maxY;
  }
  // Collision cell table: query rbush once per cell (load time only).
  const cells = side * side;
  const obsStart = sabI32(cells + 1);
  const lists: number[] = [];
  const box = { minX: 0, minY: 0, maxX: 0, maxY: 0 };
  if (rects.length) {
    for (let cy = 0; cy < side; cy++) {
      for (let cx = 0; cx < side; cx++) {
        const c = cy * side + cx;
        obsStart[c] = lists.length;
        box.minX = bounds.minX + cx * cellSize - margin;
        box.minY = bounds.minY + cy * cellSize - margin;
        box.maxX = box.minX + cellSize + 2 * margin;
        box.maxY = box.minY + cellSize + 2 * margin;
        const hits = tree.search(box);
        hits.sort((a, b) => a.index - b.index); // canonical order
        for (const h of hits) lists.push(h.index);
      }
    }
  }
  obsStart[cells] = lists.length;
  const obsBits = new Uint32Array(new SharedArrayBuffer(Math.max(1, (cells + 31) >> 5) * 4));
  for (let c = 0; c < cells; c++) if (obsStart[c] < obsStart[c + 1]) obsBits[c >> 5] |= 1 << (c & 31);
  const obsItems = sabI32(lists.length);
  obsItems.set(lists);
  // Navigation raster: a nav cell is blocked when any rect overlaps its interior.
  const extent = Math.max(bounds.maxX - bounds.minX, bounds.maxY - bounds.minY);
  const navSide = Math.max(1, Math.ceil(extent / navCellSize));
  const blocked = new Uint8Array(new SharedArrayBuffer(navSide * navSide));
  for (const r of rects) {
    const x0 = Math.max(0, Math.floor((r.minX - bounds.minX) / navCellSize));
    const y0 = Math.max(0, Math.floor((r.minY - bounds.minY) / navCellSize));
    const x1 = Math.min(navSide - 1, Math.ceil((r.maxX - bounds.minX) / navCellSize) - 1);
    const y1 = Math.min(navSide - 1, Math.ceil((r.maxY - bounds.minY) / navCellSize) - 1);
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) blocked[y * navSide + x] = 1;
  }
  return { count: rects.length, tree, rects: flat, obsStart, obsItems, obsBits, blocked, navSide, navCellSize };
};

/** Rectangles overlapping a box (rbush search), as indices in load order. */
export const obstaclesInBox = (obs: Obstacles, minX: number, minY: number, maxX: number, maxY: number): number[] =>
  obs.tree
    .search({ minX, minY, maxX, maxY })
    .map((r) => r.index)
    .sort((a, b) => a - b);
