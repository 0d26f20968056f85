/**
 * The slot the tiered NPC simulation adds to a world: the spatial index, per-step tier
 * statistics and the internal tier/selection/behavior state; and the world slice tier code runs on.
 */
import type { World } from 'bitecs';
import { configInvalid } from '../errors.js';
import type { WorldCore } from '../core/world-core.js';
import { createSpatialIndex, type SpatialIndex } from './spatial-index.js';
import { createNpcSimState, type NpcSimState } from './tier-state.js';
import { createTierStats, type TierStats } from './tier-stats.js';

/** The tiers slot of a world. */
export interface TiersSlot {
  /** Spatial index of all positioned entities (`queryRadius`), rebuilt in the tiering phase. */
  spatial: SpatialIndex;
  /** Per-step tier statistics. */
  tierStats: TierStats;
  /** Internal state of the tiered NPC simulation: tier lists, selection, behavior tables. */
  npcSim: NpcSimState;
}

/** A world with the tiers slot (what tier assignment, selection and the tier systems read). */
export type TiersWorld = World<WorldCore & TiersSlot>;

/** Most spatial-grid cells a world may have (2048²; the grid holds two Int32Arrays of this size). */
export const MAX_SPATIAL_CELLS = 2048 * 2048;

/** A world `size` wide with cells `cellSize` wide must not need a giant grid (was a raw RangeError or GBs). */
const checkGridSize = (size: number, cellSize: number): void => {
  const side = Math.ceil(size / cellSize);
  if (side * side > MAX_SPATIAL_CELLS)
    throw configInvalid([
      `simulation.spatialCellSize ${cellSize} gives ${side}×${side} spatial grid cells for a world of size ${size} (at most ${MAX_SPATIAL_CELLS}: use spatialCellSize >= ${Math.ceil(size / 2048)})`,
    ]);
};

/** A world's tiers slot, sized by its capacity and bounds. Throws `WT_ERR_CONFIG_INVALID` on a giant grid. */
export const createTiersSlot = (core: WorldCore): TiersSlot => {
  const { bounds, capacity } = core;
  const cellSize = core.config.simulation.spatialCellSize;
  checkGridSize(bounds.maxX - bounds.minX, cellSize);
  return {
    spatial: createSpatialIndex(capacity, { minX: bounds.minX, minY: bounds.minY, maxX: bounds.maxX, maxY: bounds.maxY }, cellSize),
    tierStats: createTierStats(),
    npcSim: createNpcSimState(capacity),
  };
};
