/**
 * The recipe (src/replay/log-format.ts `WorldRecipe`) a replay test records for a world it built
 * itself: the world's own id, capacity, seed, size and config, with what the test chose for the
 * rest (no physics; NPCs, scenes, the input speed clamp and the game as given).
 */
import type { WorldRecipe } from '../../src/replay/log-format.js';
import type { SimWorld } from '../../src/world/sim-world.js';

/** The recipe of `w` as built by a test: `rest` says what `w` does not (NPC count, scenes, ...). */
export const recipeOfTestWorld = (
  w: SimWorld,
  rest: { npcs: number; scenes: boolean; inputMaxSpeed: number | null; game?: string },
): WorldRecipe => ({
  id: w.id,
  capacity: w.capacity,
  seed: w.seed,
  size: w.bounds.maxX - w.bounds.minX,
  config: structuredClone(w.config),
  physics: null,
  ...rest,
});
