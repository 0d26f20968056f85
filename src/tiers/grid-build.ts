/**
 * The NPC grid rebuilt over several steps (src/tiers/spatial-index.ts uses it), so no step pays
 * for re-sorting a million NPCs: the live grid keeps answering queries while a second set of
 * slot arrays is filled, then the two are swapped between steps.
 *
 *   count   ×C slices   cell of each NPC (query order) from its current position → cellOf[i], counts
 *   prefix  ×C/8 slices counts → cell starts (a running sum: each slice carries on from the last)
 *   scatter ×S slices   ids and positions into the new slots (cell order, stable)
 *   ready               swap when the caller allows it (no near pass holds slot indexes)
 *
 * A slot's cell comes from the NPC's position at its count slice and its stored position from its
 * scatter slice, both later than the build's start: the new grid's margin starts when the build
 * starts (at speed × lag, as a whole rebuild) and grows by one step of movement per step, like
 * the live one, so queries on it are exact once swapped. Page faults: fresh typed arrays are
 * zero pages until first written, and the scatter writes the slot arrays at random, so the count
 * slices also write their share of the slot arrays in order (and the build's cell starts are
 * written at its start): otherwise the first scatter slice would fault in all 12 MB at once. Memory: the second slot arrays (ids and
 * positions, 12 B per NPC, plus the cell starts) are kept after a swap (they hold the retired
 * grid) and reused by the next build, so a build allocates nothing once the first one ran.
 */
/** Clamp a cell index into 0..n-1 (positions outside the bounds live in the edge cells). */
export const clampCell = (c: number, n: number): number => (c < 0 ? 0 : c >= n ? n - 1 : c);

/** One uniform grid over a set of entities (cell-ordered slots). */
export interface Grid {
  cols: number;
  rows: number;
  minX: number;
  minY: number;
  /** 1 / cell size. */
  inv: number;
  cellStart: Int32Array;
  fill: Int32Array;
  items: Int32Array;
  itemX: Float32Array;
  itemY: Float32Array;
  cellOf: Int32Array;
  /** Slots in use. */
  n: number;
}

/** Build phases. */
export const GridBuildPhase = { count: 0, prefix: 1, scatter: 2, ready: 3 } as const;

/** A running sliced build of the NPC grid. */
export interface GridBuild {
  phase: number;
  cursor: number;
  /** NPCs being gridded (the query's length at the start: a change aborts the build). */
  n: number;
  cellStart: Int32Array;
  items: Int32Array;
  itemX: Float32Array;
  itemY: Float32Array;
  /** Margin of the new grid (world units) and the largest squared NPC speed seen by the count slices. */
  margin: number;
  speed2: number;
}

/** The second slot arrays of a build (kept between builds for the next one). */
export type GridSlots = Pick<GridBuild, 'cellStart' | 'items' | 'itemX' | 'itemY'>;

/**
 * Start a build of `n` NPCs for grid `g` in the slot arrays `spare` (a finished or abandoned
 * build's) when they fit `g`, else in new ones. No per-build allocation in the steady state.
 */
export const createGridBuild = (g: Grid, n: number, margin: number, spare: GridSlots | null = null): GridBuild => {
  const fits = spare !== null && spare.cellStart.length === g.cellStart.length && spare.items.length === g.items.length;
  return {
    phase: GridBuildPhase.count,
    cursor: 0,
    n,
    cellStart: fits ? spare.cellStart.fill(0) : new Int32Array(g.cellStart.length).fill(0), // written now: see the module comment
    items: fits ? spare.items : new Int32Array(g.items.length),
    itemX: fits ? spare.itemX : new Float32Array(g.itemX.length),
    itemY: fits ? spare.itemY : new Float32Array(g.itemY.length),
    margin,
    speed2: 0,
  };
};

/** Write the slot arrays' share [from, to) of `n` (scaled to their length) so their pages are in. */
const touchSlots = (b: GridBuild, from: number, to: number, n: number): void => {
  const len = b.items.length;
  const lo = Math.floor((from * len) / Math.max(1, n)),
    hi = to >= n ? len : Math.floor((to * len) / Math.max(1, n));
  b.items.fill(0, lo, hi);
  b.itemX.fill(0, lo, hi);
  b.itemY.fill(0, lo, hi);
};

/** Slices of the prefix phase per `parts` slices of a sliced phase. */
const PREFIX_SHARE = 8;

/**
 * One slice of build `b` over `npcs` (the NPC query, same length as at the start) with `parts`
 * slices per sliced phase; `g` is the live grid (its `cellOf` and `fill` are build scratch: the
 * live grid's queries never read them). Returns true when the build is ready to swap.
 */
export const stepGridBuild = (
  b: GridBuild,
  g: Grid,
  npcs: ArrayLike<number>,
  px: Float32Array,
  py: Float32Array,
  vx: Float32Array,
  vy: Float32Array,
  parts: number,
): boolean => {
  const { cols, rows, minX, minY, inv, cellOf, fill } = g;
  const n = b.n;
  const per = Math.max(1, Math.ceil(n / Math.max(1, parts)));
  const cellStart = b.cellStart;
  if (b.phase === GridBuildPhase.count) {
    const end = Math.min(n, b.cursor + per);
    let v2 = b.speed2;
    for (let i = b.cursor; i < end; i++) {
      const e = npcs[i];
      let cx = Math.floor((px[e] - minX) * inv);
      let cy = Math.floor((py[e] - minY) * inv);
      if (cx < 0) cx = 0;
      else if (cx >= cols) cx = cols - 1;
      if (cy < 0) cy = 0;
      else if (cy >= rows) cy = rows - 1;
      const c = cy * cols + cx;
      cellOf[i] = c;
      cellStart[c + 1]++;
      const s2 = vx[e] * vx[e] + vy[e] * vy[e];
      if (s2 > v2) v2 = s2;
    }
    b.speed2 = v2;
    touchSlots(b, b.cursor, end, n);
    b.cursor = end;
    if (end >= n) {
      b.phase = GridBuildPhase.prefix;
      b.cursor = 0;
    }
  } else if (b.phase === GridBuildPhase.prefix) {
    const cells = cols * rows;
    const end = Math.min(cells, b.cursor + Math.max(1, Math.ceil((cells * PREFIX_SHARE) / Math.max(1, parts))));
    for (let c = b.cursor; c < end; c++) {
      cellStart[c + 1] += cellStart[c];
      fill[c] = cellStart[c];
    }
    b.cursor = end;
    if (end >= cells) {
      b.phase = GridBuildPhase.scatter;
      b.cursor = 0;
    }
  } else if (b.phase === GridBuildPhase.scatter) {
    const end = Math.min(n, b.cursor + per);
    const { items, itemX, itemY } = b;
    for (let i = b.cursor; i < end; i++) {
      const e = npcs[i];
      const j = fill[cellOf[i]]++;
      items[j] = e;
      itemX[j] = px[e];
      itemY[j] = py[e];
    }
    b.cursor = end;
    if (end >= n) b.phase = GridBuildPhase.ready;
  }
  return b.phase === GridBuildPhase.ready;
};

/** Swap the built slots into `g` (the caller then drops `b`: its arrays now hold the old slots). */
export const swapGridBuild = (b: GridBuild, g: Grid): void => {
  const cs = g.cellStart,
    it = g.items,
    ix = g.itemX,
    iy = g.itemY;
  g.cellStart = b.cellStart;
  g.items = b.items;
  g.itemX = b.itemX;
  g.itemY = b.itemY;
  g.n = b.n;
  b.cellStart = cs;
  b.items = it;
  b.itemX = ix;
  b.itemY = iy;
};
