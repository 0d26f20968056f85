import type { System } from '../src/core/phases.js';
import type { CoreWorld } from '../src/core/world-core.js';

/**
 * Advance world time by this step's world seconds (`stepSeconds × timeScale`). The loop never
 * steps a paused world, so time does not move while paused; an explicit `step(n)` does.
 */
export const timeSystem: System<CoreWorld> = (world, ctx) => {
  world.clock.now += ctx.dtWorld;
};
