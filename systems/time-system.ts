import type { System } from './types.js';

/**
 * Advance world time by this step's world seconds (`stepSeconds × timeScale`). The loop never
 * steps a paused world, so time does not move while paused; an explicit `step(n)` does.
 */
export const timeSystem: System = (world, ctx) => {
  world.clock.now += ctx.dtWorld;
};
