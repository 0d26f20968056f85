/**
 * Interest queries for replication, behind one seam: the world's spatial index
 * (`world.spatial.queryRadius`, tiers issue) when the world has one, else this module's uniform
 * grid, rebuilt once per replicate phase from current positions.
 *
 *   cellStart: [0, 3, 3, 7, ...]   cellItems: [e12 e4 e9 | e1 e33 e2 e8 | ...]
 *   items of cell c are cellItems[cellStart[c] .. cellStart[c+1])   (counting sort, no objects)
 */
import { query } from 'bitecs';
import type { CoreWorld } from '../core/world-core.js';

/** Same signature as the tiers issue's `world.spatial.queryRadius`. */
export interface SpatialQuery {
  /** Fill `out` with ids of entities within `r` world units of (x, y); returns how many. */
  queryRadius(x: number, y: number, r: number, out: number[]): number;
}

/** A typed-array uniform grid over the world's bounds. */
export interface InterestGrid extends SpatialQuery {
  /** Rebuild from every entity with a Position (call once per step before querying). */
  rebuild(world: CoreWorld): void;
}

/** Grid with square cells of `cellSize` world units. */
export const createInterestGrid = (world: CoreWorld, cellSize: number): InterestGrid => {
  const { minX, minY, maxX, maxY } = world.bounds;
  const size = Math.max(1, cellSize);
  const cols = Math.max(1, Math.ceil((maxX - minX) / size) + 1);
  const rows = Math.max(1, Math.ceil((maxY - minY) / size) + 1);
  const cellStart = new Int32Array(cols * rows + 1);
  const cellFill = new Int32Array(cols * rows);
  let cellItems = new Int32Array(1024);
  let cellOf = new Int32Array(1024);
  const px = world.stores.Position.x;
  const py = world.stores.Position.y;
  const cellIndex = (x: number, y: number): number => {
    let cx = Math.floor((x - minX) / size);
    let cy = Math.floor((y - minY) / size);
    if (cx < 0) cx = 0; else if (cx >= cols) cx = cols - 1;
    if (cy < 0) cy = 0; else if (cy >= rows) cy = rows - 1;
    return cy * cols + cx;
  };
  return {
    rebuild(w) {
      const ents = query(w, [w.stores.Position]);
      const n = ents.length;
      if (cellItems.length < n) {
        cellItems = new Int32Array(n * 2);
        cellOf = new Int32Array(n * 2);
      }
      cellStart.fill(0);
      for (let i = 0; i < n; i++) {
        const c = cellIndex(px[ents[i]!]!, py[ents[i]!]!);
        cellOf[i] = c;
        cellStart[c + 1]!++;
      }
      for (let c = 0; c < cols * rows; c++) cellStart[c + 1]! += cellStart[c]!;
      cellFill.set(cellStart.subarray(0, cols * rows));
      for (let i = 0; i < n; i++) cellItems[cellFill[cellOf[i]!]!++] = ents[i]!;
    },
    queryRadius(x, y, r, out) {
      const r2 = r * r;
      const c0 = cellIndex(x - r, y - r);
      const c1 = cellIndex(x + r, y + r);
      const x0 = c0 % cols, y0 = (c0 - x0) / cols;
      const x1 = c1 % cols, y1 = (c1 - x1) / cols;
      let n = 0;
      for (let cy = y0; cy <= y1; cy++) {
        for (let cx = x0; cx <= x1; cx++) {
          const c = cy * cols + cx;
          for (let k = cellStart[c]!, end = cellStart[c + 1]!; k < end; k++) {
            const e = cellItems[k]!;
            const dx = px[e]! - x, dy = py[e]! - y;
            if (dx * dx + dy * dy <= r2) out[n++] = e;
          }
        }
      }
      return n;
    },
  };
};

/**
 * The world's own spatial index (tiers issue) when it has one AND its pipeline has a tiering
 * phase that rebuilds it every step; else null (use the fallback grid).
 */
export const worldSpatial = (world: CoreWorld & { readonly spatial?: SpatialQuery }): SpatialQuery | null => {
  const s = world.spatial;
  if (!s) return null;
  for (let i = 0; i < world.pipeline.length; i++) if (world.pipeline[i]!.phase === 'tiering') return s;
  return null;
};
