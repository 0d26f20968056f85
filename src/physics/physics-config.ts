/**
 * Physics options: one {@link PHYSICS_DEFAULTS} constant, validated once at construction
 * (never in the hot loop). Distances are world units; speeds world units per simulation
 * second (unscaled by timeScale, like `Velocity`).
 */
import { optionInvalid } from '../errors.js';

/** Physics options (all optional; see {@link PHYSICS_DEFAULTS}). */
export interface PhysicsOptions {
  /** Grid cell side (world units). Must be >= 2 × the largest body radius. */
  cellSize?: number;
  /** Radius of an NPC body. */
  npcRadius?: number;
  /** Radius of a player body. */
  playerRadius?: number;
  /** Speeds above this are clamped (and counted). */
  maxSpeed?: number;
  /** Perception radius of detailed NPCs. */
  perceptionRadius?: number;
  /** Most neighbour ids kept per perceiving NPC (the total count is always exact). */
  perceptionListSize?: number;
  /** Most bodies of one cell examined as neighbours of a body (work cap for pile-ups). */
  maxPerCell?: number;
  /** Neighbours examined per cell for active-tier NPCs (coarser level of detail). */
  activeMaxPerCell?: number;
  /** Ambient NPCs resolve collisions every N steps (staggered by id); dormant never. */
  ambientCollideEvery?: number;
  /** Side of a navigation-grid cell for pathfinding (world units). */
  navCellSize?: number;
}

/** Resolved physics options. */
export type PhysicsConfig = Required<PhysicsOptions>;

/** Defaults. */
export const PHYSICS_DEFAULTS: PhysicsConfig = Object.freeze({
  cellSize: 4,
  npcRadius: 1,
  playerRadius: 1,
  maxSpeed: 50,
  perceptionRadius: 12,
  perceptionListSize: 16,
  maxPerCell: 32,
  activeMaxPerCell: 8,
  ambientCollideEvery: 4,
  navCellSize: 4,
});

const num = (p: string[], name: string, v: unknown, min: number, max: number): void => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
    p.push(`physics.${name} must be a number between ${min} and ${max}`);
};
const int = (p: string[], name: string, v: unknown, min: number, max: number): void => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    p.push(`physics.${name} must be an integer between ${min} and ${max}`);
};

/** Merge `opts` over the defaults and validate; throws `WT_ERR_OPTION_INVALID` listing every problem. */
export const resolvePhysicsConfig = (opts: PhysicsOptions = {}): PhysicsConfig => {
  const c: PhysicsConfig = { ...PHYSICS_DEFAULTS, ...opts };
  const p: string[] = [];
  num(p, 'cellSize', c.cellSize, 0.01, 1e6);
  num(p, 'npcRadius', c.npcRadius, 0, 1e5);
  num(p, 'playerRadius', c.playerRadius, 0, 1e5);
  num(p, 'maxSpeed', c.maxSpeed, 0, 1e7);
  num(p, 'perceptionRadius', c.perceptionRadius, 0, 1e6);
  int(p, 'perceptionListSize', c.perceptionListSize, 0, 1024);
  int(p, 'maxPerCell', c.maxPerCell, 1, 1_000_000);
  int(p, 'activeMaxPerCell', c.activeMaxPerCell, 1, 1_000_000);
  int(p, 'ambientCollideEvery', c.ambientCollideEvery, 1, 1_000_000);
  num(p, 'navCellSize', c.navCellSize, 0.01, 1e6);
  if (!p.length && c.cellSize < 2 * Math.max(c.npcRadius, c.playerRadius))
    p.push(`physics.cellSize ${c.cellSize} must be >= 2 × the largest body radius (${2 * Math.max(c.npcRadius, c.playerRadius)})`);
  if (p.length) throw optionInvalid(p);
  return c;
};

/**
 * Most cells of a world's collision grid (`cellSize`): 2048 × 2048, as the spatial grid (`simulation.spatialCellSize`).
 * It is allocated whole when the world is made (~8 bytes a cell) and every step passes over its rows.
 */
export const MAX_PHYSICS_GRID_CELLS = 2048 * 2048;

/**
 * Most cells of a world's navigation raster (`navCellSize`): 8192 × 8192. With the pathfinder's arrays a cell costs
 * ~117 bytes, allocated when the world is made: ~29 MB for the default 2,000-unit world (500 × 500), ~1.1 GB for the
 * million bench's 50,000-unit world at `navCellSize` 16 (3,125 × 3,125), ~7.8 GB at this bound. Past ~23,000 × 23,000
 * the allocation itself fails (a typed array over 2^32 elements).
 */
export const MAX_NAV_RASTER_CELLS = 8192 * 8192;

/**
 * Problems of physics cell sizes on a world whose side is `extent` world units: a collision grid over
 * {@link MAX_PHYSICS_GRID_CELLS} or a navigation raster over {@link MAX_NAV_RASTER_CELLS}, each named
 * `${where}.cellSize` / `${where}.navCellSize` with the smallest size that fits. Empty when both fit. Before this check a
 * world of size 100,000 with the default 4-unit cells asked for 625 million of each and failed with a RangeError.
 */
export const physicsGridProblems = (
  extent: number,
  cells: { readonly cellSize: number; readonly navCellSize: number },
  where = 'physics.tuning',
): string[] => {
  const out: string[] = [];
  for (const [key, cell, what, maxSide] of [
    ['cellSize', cells.cellSize, 'collision grid', Math.sqrt(MAX_PHYSICS_GRID_CELLS)],
    ['navCellSize', cells.navCellSize, 'navigation raster', Math.sqrt(MAX_NAV_RASTER_CELLS)],
  ] as const) {
    const side = Math.max(1, Math.ceil(extent / cell));
    if (side > maxSide)
      out.push(
        `${where}.${key} ${cell} gives ${side}×${side} ${what} cells for a world of size ${extent} (at most ${maxSide}×${maxSide}: use ${key} >= ${Math.ceil(extent / maxSide)})`,
      );
  }
  return out;
};
