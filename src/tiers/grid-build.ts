/**
 * The NPC grid rebuilt over several steps (src/tiers/spatial-index.ts uses it), so no step pays
 * for re-sorting a million NPCs: the live grid keeps answering queries while a second set of
 * slot arrays is filled, then the two are swapped between steps. A two-level counting sort —
 * by row, then by column within each row — so every slice walks memory in order or inside
 * small tables:
 *
 *   count    P/3 slices  cell of each NPC (query order) from its current position → cellOf[i];
 *                        NPCs per row (a rows-long table: stays in cache)
 *   rows     1 slice     row starts (prefix over the rows)
 *   scatter  P/3 slices  each NPC (query order) appended to its row's range of the new slots:
 *                        items[k] = id × cols + column, itemX/itemY = its position (a write
 *                        stream per row; read in query order, so positions are read in order)
 *   finish   P/3 slices  whole rows: sort each row's slots by column (a cols-long table, a row-
 *                        long scratch), write the row's cell starts, ids and positions in order
 *   ready               swap when the caller allows it (no near pass holds slot indexes)
 *
 * Why: a one-level counting sort increments a random cell counter (a 2.4 MB table at 1M NPCs,
 * cold in cache after the rest of the step) per NPC and scatters each NPC to a random slot of
 * three 4 MB arrays: ≈ 150 ns per NPC in slices, where this costs about a third of it (bench
 * `million`). The order is the same: cell order, query order within a cell (both sorts are stable).
 *
 * (P = `npcSim.gridBuildParts`.) When id × cols could overflow an int32 (over ~2.7M slots at
 * 782 columns), the column waits in `itemX`'s bits instead and the finish reads positions by id.
 * A slot's cell comes from the NPC's position at its count slice and its stored position from its
 * scatter (or finish) slice, both later than the build's start: the new grid's margin starts when the build
 * starts (at speed × lag, as a whole rebuild) and grows by one step of movement per step, like
 * the live one, so queries on it are exact once swapped. Page faults: fresh typed arrays are
 * zero pages until first written, and the scatter writes the slot arrays in many streams, so the
 * count slices also write their share of the slot arrays in order: otherwise the first scatter
 * slice would fault in all 12 MB at once. Memory: the second slot arrays (ids and positions, 12 B
 * per NPC, plus the cell starts) and the row tables are kept after a swap (they hold the retired
 * grid) and reused by the next build, so a build allocates nothing once the first one ran (the
 * row scratch grows only if a row holds more NPCs than any before).
 */
/** Clamp a cell index into 0..n-1 (positions outside the bounds live in the edge cells). */
export const clampCell = (c: number, n: number): number => (c < 0 ? 0 : c >= n ? n - 1 : c);

/** Cell range [c0x..c1x] × [c0y..c1y] of the square of half-side R around (x, y), clamped into `g`. */
export interface CellRange {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/** Fill `out` with the clamped cell range of the square of half-side `R` around (x, y) (the scans of the spatial index and of replication). */
export const cellRange = (g: Grid, x: number, y: number, R: number, out: CellRange): void => {
  const { cols, rows, minX, minY, inv } = g;
  let cx0 = Math.floor((x - R - minX) * inv),
    cx1 = Math.floor((x + R - minX) * inv);
  let cy0 = Math.floor((y - R - minY) * inv),
    cy1 = Math.floor((y + R - minY) * inv);
  cx0 = clampCell(cx0, cols);
  cy0 = clampCell(cy0, rows);
  cx1 = clampCell(cx1, cols);
  cy1 = clampCell(cy1, rows);
  out.x0 = cx0;
  out.x1 = cx1;
  out.y0 = cy0;
  out.y1 = cy1;
};

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

/** Build phases (`prefix`: the row starts; `finish`: the per-row column sort). */
export const GridBuildPhase = { count: 0, prefix: 1, scatter: 2, ready: 3, finish: 4 } as const;

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
  /** Int32 view of `itemX`'s buffer: the scatter stashes each slot's cell there until its row is finished. */
  stash: Int32Array;
  /** NPCs per row (count), then the next free slot of each row (scatter); `rows + 1` long. */
  rowFill: Int32Array;
  /** Row starts (`rows + 1`), per-row column counts (`cols + 1`) and the finish's row scratch (ids, positions). */
  rowStart: Int32Array;
  colCount: Int32Array;
  rowTmp: Int32Array;
  rowTmpX: Float32Array;
  rowTmpY: Float32Array;
  /**
   * Ids × cols + column fit an int32 (slots × cols < 2^31): the scatter packs each slot's column
   * into its id and stores positions in query order. Otherwise the column waits in `itemX`'s bits
   * and the finish reads positions by id (same result, more cache misses).
   */
  packed: boolean;
  /** Margin of the new grid (world units) and the largest squared NPC speed seen by the count slices. */
  margin: number;
  speed2: number;
}

/** The second slot arrays of a build (kept between builds for the next one). */
export type GridSlots = Pick<
  GridBuild,
  'cellStart' | 'items' | 'itemX' | 'itemY' | 'rowFill' | 'rowStart' | 'colCount' | 'rowTmp' | 'rowTmpX' | 'rowTmpY'
>;

/** Counting-sort `ents` into `g` by their current positions. */
export const buildGrid = (g: Grid, ents: ArrayLike<number>, px: Float32Array, py: Float32Array): void => {
  const { cols, rows, minX, minY, inv, cellStart, fill, items, itemX, itemY, cellOf } = g;
  const cells = cols * rows;
  cellStart.fill(0);
  for (let i = 0; i < ents.length; i++) {
    const e = ents[i];
    let cx = Math.floor((px[e] - minX) * inv);
    let cy = Math.floor((py[e] - minY) * inv);
    cx = clampCell(cx, cols);
    cy = clampCell(cy, rows);
    const c = cy * cols + cx;
    cellOf[i] = c; // by list index: the player grid's arrays are sized by player count, not entity id
    cellStart[c + 1]++;
  }
  for (let c = 0; c < cells; c++) {
    cellStart[c + 1] += cellStart[c];
    fill[c] = cellStart[c];
  }
  for (let i = 0; i < ents.length; i++) {
    const e = ents[i];
    const j = fill[cellOf[i]]++;
    items[j] = e;
    itemX[j] = px[e];
    itemY[j] = py[e];
  }
  g.n = ents.length;
};

/**
 * Start a build of `n` NPCs for grid `g` in the slot arrays `spare` (a finished or abandoned
 * build's) when they fit `g`, else in new ones. No per-build allocation in the steady state.
 */
export const createGridBuild = (g: Grid, n: number, margin: number, spare: GridSlots | null = null): GridBuild => {
  const fits =
    spare !== null &&
    spare.cellStart.length === g.cellStart.length &&
    spare.items.length === g.items.length &&
    spare.rowStart.length === g.rows + 1 &&
    spare.colCount.length === g.cols + 1;
  const itemX = fits ? spare.itemX : new Float32Array(g.itemX.length);
  return {
    phase: GridBuildPhase.count,
    cursor: 0,
    n,
    cellStart: fits ? spare.cellStart : new Int32Array(g.cellStart.length),
    items: fits ? spare.items : new Int32Array(g.items.length),
    itemX,
    itemY: fits ? spare.itemY : new Float32Array(g.itemY.length),
    stash: new Int32Array(itemX.buffer, itemX.byteOffset, itemX.length),
    rowFill: fits ? spare.rowFill.fill(0) : new Int32Array(g.rows + 1),
    rowStart: fits ? spare.rowStart : new Int32Array(g.rows + 1),
    colCount: fits ? spare.colCount : new Int32Array(g.cols + 1),
    rowTmp: fits ? spare.rowTmp : new Int32Array(1024),
    rowTmpX: fits ? spare.rowTmpX : new Float32Array(1024),
    rowTmpY: fits ? spare.rowTmpY : new Float32Array(1024),
    packed: g.items.length * g.cols < 2 ** 31,
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

/** Count slice: NPCs [b.cursor, end) of the query → their cells (`cellOf`) and the row counts (why one function per phase: each keeps its own type feedback, so the first slice of a phase does not run deoptimized code). */
const countSlice = (
  b: GridBuild,
  g: Grid,
  npcs: ArrayLike<number>,
  px: Float32Array,
  py: Float32Array,
  vx: Float32Array,
  vy: Float32Array,
  end: number,
): void => {
  const { cols, rows, minX, minY, inv, cellOf } = g;
  const rowFill = b.rowFill;
  let v2 = b.speed2;
  for (let i = b.cursor; i < end; i++) {
    const e = npcs[i];
    const cy = clampCell(Math.floor((py[e] - minY) * inv), rows);
    cellOf[i] = cy * cols + clampCell(Math.floor((px[e] - minX) * inv), cols);
    rowFill[cy]++;
    const s2 = vx[e] * vx[e] + vy[e] * vy[e];
    if (s2 > v2) v2 = s2;
  }
  b.speed2 = v2;
  touchSlots(b, b.cursor, end, b.n);
  b.cursor = end;
};

/** Row starts from the row counts; `rowFill` becomes each row's next free slot. */
const rowPrefix = (b: GridBuild, rows: number): void => {
  const { rowStart, rowFill } = b;
  let k = 0;
  for (let r = 0; r < rows; r++) {
    const c = rowFill[r];
    rowStart[r] = k;
    rowFill[r] = k;
    k += c;
  }
  rowStart[rows] = k;
};

/**
 * Scatter slice: NPCs [b.cursor, end) of the query appended to their rows. Packed (`b.packed`):
 * `items[k]` = id × cols + column and the NPC's current position (read in query order, so in
 * memory order); else the id, and the cell stashed in `itemX`'s bits (positions then come at the finish).
 */
const scatterSlice = (b: GridBuild, g: Grid, npcs: ArrayLike<number>, px: Float32Array, py: Float32Array, end: number): void => {
  const { cellOf, cols } = g;
  const { items, itemX, itemY, stash, rowFill } = b;
  if (b.packed) {
    for (let i = b.cursor; i < end; i++) {
      const c = cellOf[i];
      const cy = (c / cols) | 0;
      const k = rowFill[cy]++;
      const e = npcs[i];
      items[k] = e * cols + (c - cy * cols);
      itemX[k] = px[e];
      itemY[k] = py[e];
    }
  } else {
    for (let i = b.cursor; i < end; i++) {
      const c = cellOf[i];
      const k = rowFill[(c / cols) | 0]++;
      items[k] = npcs[i];
      stash[k] = c - ((c / cols) | 0) * cols;
    }
  }
  b.cursor = end;
};

/** Row scratch arrays of at least `len` entries. */
const growRowTmp = (b: GridBuild, len: number): void => {
  if (b.rowTmp.length >= len) return;
  const l = Math.max(len, b.rowTmp.length * 2);
  b.rowTmp = new Int32Array(l);
  b.rowTmpX = new Float32Array(l);
  b.rowTmpY = new Float32Array(l);
};

/**
 * Finish slice: rows from `b.cursor` until at least `budget` slots are done (whole rows): stable
 * sort of each row's slots by column through the row scratch, its cell starts, then ids and
 * positions written back in order.
 */
const finishSlice = (b: GridBuild, g: Grid, px: Float32Array, py: Float32Array, budget: number): void => {
  const { cols, rows } = g;
  const { cellStart, items, itemX, itemY, stash, rowStart, colCount, packed } = b;
  let r = b.cursor,
    done = 0;
  for (; r < rows && done < budget; r++) {
    const a = rowStart[r],
      z = rowStart[r + 1],
      base = r * cols;
    colCount.fill(0);
    if (packed) for (let k = a; k < z; k++) colCount[items[k] - ((items[k] / cols) | 0) * cols + 1]++;
    else for (let k = a; k < z; k++) colCount[stash[k] + 1]++;
    let run = a;
    for (let cx = 0; cx < cols; cx++) {
      cellStart[base + cx] = run;
      const c = colCount[cx + 1];
      colCount[cx + 1] = run - a; // now: next free position of column cx in the row scratch
      run += c;
    }
    growRowTmp(b, z - a);
    const { rowTmp, rowTmpX, rowTmpY } = b;
    if (packed) {
      for (let k = a; k < z; k++) {
        const v = items[k];
        const e = (v / cols) | 0;
        const j = colCount[v - e * cols + 1]++;
        rowTmp[j] = e;
        rowTmpX[j] = itemX[k];
        rowTmpY[j] = itemY[k];
      }
      for (let k = a; k < z; k++) {
        items[k] = rowTmp[k - a];
        itemX[k] = rowTmpX[k - a];
        itemY[k] = rowTmpY[k - a];
      }
    } else {
      for (let k = a; k < z; k++) rowTmp[colCount[stash[k] + 1]++] = items[k];
      for (let k = a; k < z; k++) {
        const e = rowTmp[k - a];
        items[k] = e;
        itemX[k] = px[e];
        itemY[k] = py[e];
      }
    }
    done += z - a;
  }
  if (r >= rows) cellStart[rows * cols] = rowStart[rows];
  b.cursor = r;
};

/**
 * One slice of build `b` over `npcs` (the NPC query, same length as at the start): `parts` slices
 * in all, a third for each sliced phase (count, scatter, finish; the row starts take one more); `g` is the live
 * grid (its `cellOf` is build scratch: the live grid's queries never read it). Returns true when
 * the build is ready to swap.
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
  const n = b.n;
  const per = Math.max(1, Math.ceil(n / Math.max(1, Math.ceil(parts / 3))));
  if (b.phase === GridBuildPhase.count) {
    countSlice(b, g, npcs, px, py, vx, vy, Math.min(n, b.cursor + per));
    if (b.cursor >= n) {
      b.phase = GridBuildPhase.prefix;
      b.cursor = 0;
    }
  } else if (b.phase === GridBuildPhase.prefix) {
    rowPrefix(b, g.rows);
    b.phase = GridBuildPhase.scatter;
  } else if (b.phase === GridBuildPhase.scatter) {
    scatterSlice(b, g, npcs, px, py, Math.min(n, b.cursor + per));
    if (b.cursor >= n) {
      b.phase = GridBuildPhase.finish;
      b.cursor = 0;
    }
  } else if (b.phase === GridBuildPhase.finish) {
    finishSlice(b, g, px, py, per);
    if (b.cursor >= g.rows) b.phase = GridBuildPhase.ready;
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
