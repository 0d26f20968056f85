/**
 * The world's spatial index: two typed-array uniform grids — NPCs (rebuilt on the tiering
 * cadence) and players (rebuilt every step).
 *
 * Why grids for the moving set: re-indexing 100k moving points does not fit in rbush (bulk
 * load ≈ 70–110 ms); a counting-sort grid rebuild is O(n) in ~1–3 ms (bench suite `tiers`
 * compares both). rbush holds what it is good at — few, variably sized, rarely changing boxes —
 * and drives the tier zones (src/tiers/tier-zones.ts), which the tiering pass queries. (An
 * rbush of the players' interest boxes used to be rebuilt on every pass here and was never
 * queried at run time; it is gone.) Each grid stores, per slot, the entity id and its position at the
 * rebuild, in cell order, so scans read memory sequentially:
 *
 *   cellStart: [0, 0, 2, 2, 5, ...]   slots of cell c = cellStart[c] .. cellStart[c+1]
 *   items:     [e7, e3, e9, e1, e4, ...]   itemX / itemY: their positions at the rebuild
 *
 * A query keeps slots whose rebuild position is within r + margin, then checks the entity's
 * CURRENT position (Position store) against r exactly. The NPC margin is the fastest NPC speed
 * seen at the rebuild (or the behavior table's fastest walk, if higher) × simulation seconds
 * since the rebuild, one step ahead (physics runs after tiering). Players are re-gridded every
 * step, so a player's jump between steps is never missed.
 */
import { commitRemovals, query } from 'bitecs';
import type { CoreWorld } from '../core/world-core.js';
import {
  type CellRange,
  buildGrid,
  cellRange,
  createGridBuild,
  type Grid,
  GridBuildPhase,
  type GridBuild,
  type GridSlots,
  stepGridBuild,
  swapGridBuild,
} from './grid-build.js';

/** One uniform grid over a set of entities (cell-ordered slots); defined in src/tiers/grid-build.ts. */
export type { Grid } from './grid-build.js';

/** What other modules may ask the index (the contract for interest management). */
export interface SpatialIndex {
  /**
   * Clear `out`, fill it with the ids of entities (NPCs and players) whose current position is
   * within `r` world units of (x, y), and return the count. NPCs spawned since the last NPC
   * rebuild appear at the next tiering pass (a change in the NPC count forces one next step).
   */
  queryRadius(x: number, y: number, r: number, out: number[]): number;
  /**
   * Rebuild the NPC grid from current positions (tiering passes). `speedBound` in units per sim
   * second; `lagSeconds`: most simulation seconds of movement an NPC may catch up at once after
   * the rebuild (coarse movement, src/tiers/coarse-movement.ts), so the margin starts at
   * speed × lagSeconds instead of 0.
   */
  rebuildNpcs(world: CoreWorld, speedBound: number, lagSeconds?: number): void;
  /**
   * Start rebuilding the NPC grid over several steps (src/tiers/grid-build.ts); the live grid
   * answers queries meanwhile. Same arguments as {@link SpatialIndex.rebuildNpcs}. The NPC set
   * must be the one of the last whole rebuild (kind tags are kept).
   */
  beginNpcBuild(world: CoreWorld, speedBound: number, lagSeconds?: number): void;
  /**
   * One slice of the running build (`parts` slices per sliced phase). Returns true when it is
   * ready to swap; false while building (or none runs). A change in the NPC count aborts it.
   */
  stepNpcBuild(world: CoreWorld, parts: number): boolean;
  /** Swap a ready build in (its margin and speed bound become the grid's). No-op otherwise. */
  swapNpcBuild(): void;
  /** A sliced build is running (started and not swapped or aborted). */
  npcBuilding(): boolean;
  /** Rebuild the player grid (every step) and grow the NPC margin by one step of movement. */
  rebuildPlayers(world: CoreWorld, stepSeconds: number): void;
  /**
   * 1 for an NPC, 2 for a player, 3 for a spectator (a player with the `Spectator` tag: a camera,
   * components/player.ts), 0 otherwise, as of the last rebuilds (indexed by entity id).
   */
  readonly kindOf: Uint8Array;
  /** The NPC grid (read by the tiering pass). */
  readonly npcGrid: Grid;
  /** Number of players in the player grid. */
  playerCount(): number;
  /** Grid cell size (world units). */
  readonly cellSize: number;
  /** Current NPC query margin (world units). */
  margin(): number;
  /** Bytes of the grids' arrays (and of a running sliced build's). */
  bytes(): number;
  /**
   * Copy everything a continuation depends on (NPC grid as of the last rebuild, player grid
   * members, kind tags, margins) — for checkpoints (src/persist/). Copies, never views.
   */
  exportState(): SpatialState;
  /** Load what {@link SpatialIndex.exportState} gave, into an index of the same capacity and bounds, for `world`. */
  importState(world: CoreWorld, state: SpatialState): void;
}

/** The index's state as plain data (see {@link SpatialIndex.exportState}). */
export interface SpatialState {
  /** NPC grid: `cellStart` (cells + 1) and slots `items`, `itemX`, `itemY`, `cellOf` (length n). */
  npcCellStart: Int32Array;
  npcItems: Int32Array;
  npcItemX: Float32Array;
  npcItemY: Float32Array;
  npcCellOf: Int32Array;
  /** Player grid members (length n) and the grid's slot capacity. */
  playerItems: Int32Array;
  playerCapacity: number;
  /** `kindOf` up to the highest id tagged (indexes beyond are 0). */
  kindOf: Uint8Array;
  speed: number;
  margin: number;
  playerMargin: number;
  /** The stores were bound (a rebuild happened). */
  bound: boolean;
}

const createGrid = (capacity: number, minX: number, minY: number, maxX: number, maxY: number, cellSize: number): Grid => {
  const cols = Math.max(1, Math.ceil((maxX - minX) / cellSize));
  const rows = Math.max(1, Math.ceil((maxY - minY) / cellSize));
  const n = capacity + 1;
  return {
    cols,
    rows,
    minX,
    minY,
    inv: 1 / cellSize,
    cellStart: new Int32Array(cols * rows + 1),
    fill: new Int32Array(cols * rows),
    items: new Int32Array(n),
    itemX: new Float32Array(n),
    itemY: new Float32Array(n),
    cellOf: new Int32Array(n),
    n: 0,
  };
};

const slotBytes = (b: GridSlots | null): number =>
  b
    ? b.cellStart.byteLength +
      b.items.byteLength +
      b.itemX.byteLength +
      b.itemY.byteLength +
      b.rowFill.byteLength +
      b.rowStart.byteLength +
      b.colCount.byteLength +
      b.rowTmp.byteLength +
      b.rowTmpX.byteLength +
      b.rowTmpY.byteLength
    : 0;

const gridBytes = (g: Grid): number =>
  g.cellStart.byteLength + g.fill.byteLength + g.items.byteLength + g.itemX.byteLength + g.itemY.byteLength + g.cellOf.byteLength;

/**
 * Fewest NPCs for which a whole NPC-grid rebuild runs through the sliced build's code
 * (src/tiers/grid-build.ts) instead of {@link buildGrid}: the near passes' minimum (tier-near.ts
 * `NEAR_MIN_NPCS`), i.e. the worlds that rebuild in slices and keep the second slot arrays anyway.
 */
const WHOLE_VIA_BUILD_MIN = 20_000;

/** Append to `out` the entities of `g` within r of (x, y): slot filter with `margin`, exact on current positions. */
const scanGrid = (
  g: Grid,
  x: number,
  y: number,
  r: number,
  margin: number,
  px: Float32Array,
  py: Float32Array,
  out: number[],
  range: CellRange,
): void => {
  const { cols, cellStart, items, itemX, itemY } = g;
  const R = r + margin,
    R2 = R * R,
    r2 = r * r;
  // Entities outside the bounds live in the edge cells: clamp the scan into the grid.
  cellRange(g, x, y, R, range);
  const cx0 = range.x0,
    cx1 = range.x1;
  for (let cy = range.y0; cy <= range.y1; cy++) {
    const j0 = cellStart[cy * cols + cx0],
      j1 = cellStart[cy * cols + cx1 + 1]; // a row's cells are contiguous
    for (let j = j0; j < j1; j++) {
      const dx = itemX[j] - x,
        dy = itemY[j] - y;
      if (dx * dx + dy * dy > R2) continue;
      const e = items[j];
      const ex = px[e] - x,
        ey = py[e] - y;
      if (ex * ex + ey * ey <= r2) out.push(e);
    }
  }
};

/** Tag `ids` with `tag` in `kindOf` and return the largest squared speed among them. */
const tagMaxSpeed2 = (ids: ArrayLike<number>, tag: number, kindOf: Uint8Array, vx: Float32Array, vy: Float32Array): number => {
  let v2 = 0;
  for (let i = 0; i < ids.length; i++) {
    const e = ids[i];
    kindOf[e] = tag;
    const s2 = vx[e] * vx[e] + vy[e] * vy[e];
    if (s2 > v2) v2 = s2;
  }
  return v2;
};

/** `kindOf` of a spectator: a player entity tagged `Spectator` (in the player grid, yet a camera). */
export const KIND_SPECTATOR = 3;

/** Re-tag the world's spectators (few: a query over the tag) as {@link KIND_SPECTATOR}. */
const tagSpectators = (world: CoreWorld, kindOf: Uint8Array): void => {
  const { Position, Player, Spectator } = world.stores;
  const sp = query(world, [Position, Player, Spectator]);
  for (let i = 0; i < sp.length; i++) kindOf[sp[i]] = KIND_SPECTATOR;
};

/** Create the spatial index of a world of `capacity` entities over `bounds`, cell size in world units. */
export const createSpatialIndex = (
  capacity: number,
  bounds: { minX: number; minY: number; maxX: number; maxY: number },
  cellSize: number,
): SpatialIndex => {
  const { minX, minY, maxX, maxY } = bounds;
  const npcGrid = createGrid(capacity, minX, minY, maxX, maxY, cellSize);
  // Players are few: a coarser grid keeps its per-step rebuild (cell array clear) cheap.
  // Its slot arrays start small and grow with the number of players.
  let playerGrid = createGrid(15, minX, minY, maxX, maxY, Math.max(cellSize, (maxX - minX) / 256, (maxY - minY) / 256));
  let playerMargin = 0;
  const kindOf = new Uint8Array(capacity + 1);
  let speed = 0;
  let margin = 0;
  let px: Float32Array | null = null;
  let py: Float32Array | null = null;
  let build: GridBuild | null = null;
  // The slot arrays of the last finished or abandoned build, reused by the next one.
  let spare: GridSlots | null = null;
  /** Scratch of the radius query's cell range. */
  const range: CellRange = { x0: 0, x1: 0, y0: 0, y1: 0 };
  const dropBuild = (): void => {
    if (build) spare = build;
    build = null;
  };
  let buildSpeedBound = 0;
  // The players query's live list and its world; the player grid is known to be all empty.
  let playersWorld: CoreWorld | null = null;
  let players: ReturnType<typeof query> = [];
  let playerGridClear = true;

  return {
    kindOf,
    npcGrid,
    cellSize,
    margin: () => margin,
    playerCount: () => playerGrid.n,
    rebuildNpcs(world, speedBound, lagSeconds = 0) {
      dropBuild();
      const { Position, Velocity, Npc } = world.stores;
      px = Position.x;
      py = Position.y;
      const npcs = query(world, [Position, Npc]);
      kindOf.fill(0);
      if (npcs.length >= WHOLE_VIA_BUILD_MIN) {
        // The same grid as buildGrid, through the sliced build's code in one go: its functions are
        // optimized and its second slot arrays faulted in here (an urgent pass), not in the first
        // slices of the first sliced build (4-6 ms once, in the steps near passes keep light).
        const b = createGridBuild(npcGrid, npcs.length, 0, spare);
        spare = null;
        while (!stepGridBuild(b, npcGrid, npcs, px, py, Velocity.x, Velocity.y, 3));
        swapGridBuild(b, npcGrid);
        spare = b;
      } else buildGrid(npcGrid, npcs, px, py);
      speed = Math.max(Math.sqrt(tagMaxSpeed2(npcs, 1, kindOf, Velocity.x, Velocity.y)), speedBound);
      margin = speed * lagSeconds;
      for (let j = 0; j < playerGrid.n; j++) kindOf[playerGrid.items[j]] = 2;
      tagSpectators(world, kindOf);
    },
    rebuildPlayers(world, stepSeconds) {
      const { Position, Player } = world.stores;
      px = Position.x;
      py = Position.y;
      for (let j = 0; j < playerGrid.n; j++) {
        const e = playerGrid.items[j];
        if (kindOf[e] >= 2) kindOf[e] = 0;
      }
      if (playersWorld !== world) [playersWorld, players] = [world, query(world, [Position, Player])];
      else commitRemovals(world); // what query() does first; the list is the query's own live array (src/tiers/tier-queries.ts)
      if (players.length >= playerGrid.items.length) {
        const cell = 1 / playerGrid.inv;
        playerGrid = createGrid(Math.min(capacity, players.length * 2), minX, minY, maxX, maxY, cell);
      }
      // No player now nor at the last build: the grid is empty already (its whole cell array 0), no work.
      if (players.length > 0 || !playerGridClear) buildGrid(playerGrid, players, px, py);
      playerGridClear = players.length === 0;
      const v2 = tagMaxSpeed2(players, 2, kindOf, world.stores.Velocity.x, world.stores.Velocity.y);
      if (players.length > 0) tagSpectators(world, kindOf); // spectators are players
      // Players move once more in this step's physics, after this rebuild.
      playerMargin = Math.sqrt(v2) * stepSeconds + 1e-3;
      // One more step of NPC movement (this step's physics) since the NPC rebuild; + float32 slack.
      margin += speed * stepSeconds + 1e-3;
      // A running build's grid: bounded by the fastest of the old bound and what its count saw so far.
      if (build) build.margin += Math.max(speed, buildSpeedBound, Math.sqrt(build.speed2)) * stepSeconds + 1e-3;
    },
    beginNpcBuild(world, speedBound, lagSeconds = 0) {
      const npcs = query(world, [world.stores.Position, world.stores.Npc]);
      // Until the count slices have seen every velocity, the new grid's speed is the old bound.
      buildSpeedBound = Math.max(speed, speedBound);
      dropBuild();
      build = createGridBuild(npcGrid, npcs.length, buildSpeedBound * lagSeconds, spare);
      spare = null;
    },
    stepNpcBuild(world, parts) {
      if (!build) return false;
      const { Position, Velocity, Npc } = world.stores;
      const npcs = query(world, [Position, Npc]);
      if (npcs.length !== build.n) {
        dropBuild();
        return false;
      }
      return stepGridBuild(build, npcGrid, npcs, Position.x, Position.y, Velocity.x, Velocity.y, parts);
    },
    swapNpcBuild() {
      if (!build || build.phase !== GridBuildPhase.ready) return;
      swapGridBuild(build, npcGrid);
      speed = Math.max(Math.sqrt(build.speed2), buildSpeedBound);
      margin = build.margin;
      dropBuild(); // after the swap its arrays hold the retired grid: the next build's slots
    },
    npcBuilding: () => build !== null,
    queryRadius(x, y, r, out) {
      out.length = 0;
      if (!px || !py || !(r >= 0)) return 0;
      scanGrid(npcGrid, x, y, r, margin, px, py, out, range);
      scanGrid(playerGrid, x, y, r, playerMargin, px, py, out, range);
      return out.length;
    },
    // A running sliced build's second slot arrays count too (≈ 14 B per NPC while it runs).
    bytes: () => gridBytes(npcGrid) + gridBytes(playerGrid) + kindOf.byteLength + slotBytes(build ?? spare),
    exportState() {
      let top = kindOf.length - 1;
      while (top > 0 && kindOf[top] === 0) top--;
      const n = npcGrid.n;
      return {
        npcCellStart: npcGrid.cellStart.slice(),
        npcItems: npcGrid.items.slice(0, n),
        npcItemX: npcGrid.itemX.slice(0, n),
        npcItemY: npcGrid.itemY.slice(0, n),
        npcCellOf: npcGrid.cellOf.slice(0, n),
        playerItems: playerGrid.items.slice(0, playerGrid.n),
        playerCapacity: playerGrid.items.length - 1,
        kindOf: kindOf.slice(0, top + 1),
        speed,
        margin,
        playerMargin,
        bound: px !== null,
      };
    },
    importState(world, st) {
      npcGrid.cellStart.set(st.npcCellStart);
      npcGrid.items.set(st.npcItems);
      npcGrid.itemX.set(st.npcItemX);
      npcGrid.itemY.set(st.npcItemY);
      npcGrid.cellOf.set(st.npcCellOf);
      npcGrid.n = st.npcItems.length;
      if (playerGrid.items.length - 1 !== st.playerCapacity)
        playerGrid = createGrid(st.playerCapacity, minX, minY, maxX, maxY, 1 / playerGrid.inv);
      playerGrid.items.set(st.playerItems);
      playerGrid.n = st.playerItems.length;
      playerGridClear = false;
      kindOf.fill(0);
      kindOf.set(st.kindOf);
      speed = st.speed;
      margin = st.margin;
      playerMargin = st.playerMargin;
      px = st.bound ? world.stores.Position.x : null;
      py = st.bound ? world.stores.Position.y : null;
    },
  };
};
