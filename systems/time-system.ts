import { maintainStoresTime } from '../components/index.js';
import type { System } from '../src/core/phases.js';
import type { CoreWorld } from '../src/core/world-core.js';

/**
 * Advance world time by this step's world seconds (`stepSeconds × timeScale`), computed from the
 * clock's origin so it does not drift (WorldClock). The loop never
 * steps a paused world, so time does not move while paused; an explicit `step(n)` does. Moves the
 * stores' time base when world time leaves its window (an O(N) pass once per ~48.5 world days)
 * and, every 256 steps, frees the chain-timer rows whose timers have all passed.
 */
export const timeSystem: System<CoreWorld> = (world, ctx) => {
  const c = world.clock,
    dt = ctx.dtWorld;
  // now = origin + steps × dt (one rounding, no drift; WorldClock). A new dt, or a now/step set from
  // outside (restore, an old checkpoint without an origin), starts a new origin at the current time.
  if (dt !== c.originDt || c.originNow + (c.step - c.originStep) * dt !== c.now) {
    c.originNow = c.now;
    c.originStep = c.step;
    c.originDt = dt;
  }
  c.now = c.originNow + (c.step + 1 - c.originStep) * dt;
  // Per-NPC time fields are ticks from a time base that must follow world time (components/world-time.ts).
  maintainStoresTime(world.stores, world.clock.now, world.clock.step, world.capacity + 1);
};
