import { maintainStoresTime } from '../components/index.js';
import type { System } from '../src/core/phases.js';
import type { CoreWorld } from '../src/core/world-core.js';

/**
 * Advance world time by this step's world seconds (`stepSeconds × timeScale`). The loop never
 * steps a paused world, so time does not move while paused; an explicit `step(n)` does. Moves the
 * stores' time base when world time leaves its window (an O(N) pass once per ~48.5 world days)
 * and, every 256 steps, frees the chain-timer rows whose timers have all passed.
 */
export const timeSystem: System<CoreWorld> = (world, ctx) => {
  world.clock.now += ctx.dtWorld;
  // Per-NPC time fields are ticks from a time base that must follow world time (components/world-time.ts).
  maintainStoresTime(world.stores, world.clock.now, world.clock.step, world.capacity + 1);
};
