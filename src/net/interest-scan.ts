/**
 * The interest query of the replicate phase, answered in grid-slot order so that the per-entity
 * cache rows a session touches are contiguous (issue 12 follow-up: at 100k NPCs the rows of the
 * ~50 entities a session sees were scattered over megabytes, one cache miss each).
 *
 * Same answer as `world.spatial.queryRadius` (src/tiers/spatial-index.ts): NPCs of the world's
 * NPC grid (as of its last rebuild) and every player, whose CURRENT position is within r — the
 * NPC grid's slot positions prefilter with the index's margin, the exact test uses the current
 * position. Players are counting-sorted into a replication-owned grid once per replicate run
 * (current positions, so no margin); a player that does not fit the slot rows goes to its
 * fallback row (see below).
 *
 * Rows of `WorldNet.ent`: slot rows [0, slotRows) — NPC grid slot j is row j, player slot k is
 * row npcGrid.n + k — and fallback rows `slotRows + e` keyed by entity id, used where an entity
 * is reached without a slot (re-query refresh, dense-area selection, own player). An entity may
 * get both rows in one run; both hold the same values (positions do not change during the phase).
 */
import { KIND_SPECTATOR, type Grid } from '../tiers/spatial-index.js';

/** The replication-owned player grid (same cells as the NPC grid). */
export interface PlayerGrid {
  cellStart: Int32Array;
  fill: Int32Array;
  items: Int32Array;
  x: Float32Array;
  y: Float32Array;
  cellOf: Int32Array;
  n: number;
}

/** An empty player grid for `cells` cells. */
export const createPlayerGrid = (cells: number): PlayerGrid => ({
  cellStart: new Int32Array(cells + 1),
  fill: new Int32Array(cells),
  items: new Int32Array(16),
  x: new Float32Array(16),
  y: new Float32Array(16),
  cellOf: new Int32Array(16),
  n: 0,
});

const cellIndex = (g: Grid, x: number, y: number): number => {
  let cx = Math.floor((x - g.minX) * g.inv);
  let cy = Math.floor((y - g.minY) * g.inv);
  if (cx < 0) cx = 0;
  else if (cx >= g.cols) cx = g.cols - 1;
  if (cy < 0) cy = 0;
  else if (cy >= g.rows) cy = g.rows - 1;
  return cy * g.cols + cx;
};

/**
 * Counting-sort `players` into `pg` on the cells of `g`, by their current positions, leaving out
 * the spectators (`kindOf` {@link KIND_SPECTATOR}: cameras, replicated to no other session — their
 * own session's view adds them as its own player). Returns `pg` (regrown if needed).
 */
export const buildPlayerGrid = (
  pg: PlayerGrid,
  g: Grid,
  players: ArrayLike<number>,
  px: Float32Array,
  py: Float32Array,
  kindOf: Uint8Array | null = null,
): PlayerGrid => {
  const cells = g.cols * g.rows;
  let out = pg;
  if (out.fill.length !== cells) out = createPlayerGrid(cells);
  const n = players.length;
  if (out.items.length < n) {
    let size = out.items.length;
    while (size < n) size *= 2;
    out.items = new Int32Array(size);
    out.x = new Float32Array(size);
    out.y = new Float32Array(size);
    out.cellOf = new Int32Array(size);
  }
  const { cellStart, fill, items, x, y, cellOf } = out;
  cellStart.fill(0);
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const e = players[i];
    if (kindOf !== null && kindOf[e] === KIND_SPECTATOR) {
      cellOf[i] = -1;
      continue;
    }
    kept++;
    const c = cellIndex(g, px[e], py[e]);
    cellOf[i] = c;
    cellStart[c + 1]++;
  }
  for (let c = 0; c < cells; c++) {
    cellStart[c + 1] += cellStart[c];
    fill[c] = cellStart[c];
  }
  for (let i = 0; i < n; i++) {
    if (cellOf[i] < 0) continue;
    const e = players[i];
    const j = fill[cellOf[i]]++;
    items[j] = e;
    x[j] = px[e];
    y[j] = py[e];
  }
  out.n = kept;
  return out;
};
