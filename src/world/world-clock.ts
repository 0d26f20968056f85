/**
 * Setting a fresh world's clock from outside (a world rebuilt from its durable record, docs/DURABILITY.md
 * "Restore at start"): the clock moves to the record's world time and step BEFORE anything is populated
 * or scheduled, so everything created with the world — NPC deadlines, a game's repeating timers (their
 * grid every × k of world time), one-shots set by `populate` / `onWorldCreated` — is relative to the
 * world time the world really continues from, not to 0.
 */
import { rebaseStoresTime } from '../../components/index.js';
import type { SimWorld } from './sim-world.js';

/** A clock a world is built at: world seconds and completed steps. */
export interface WorldClockStart {
  now: number;
  step: number;
}

/**
 * Move a world's clock forward to `start` (never back; non-finite or negative values are ignored)
 * and its time base with it (components/world-time.ts), so per-NPC world-time fields written next
 * are exact. The time system re-anchors its origin at the next step (`now` no longer matches it).
 */
export const startWorldClockAt = (world: SimWorld, start: WorldClockStart): void => {
  const c = world.clock;
  if (Number.isFinite(start.now) && start.now > c.now) c.now = start.now;
  if (Number.isSafeInteger(start.step) && start.step > c.step) c.step = start.step;
  rebaseStoresTime(world.stores, c.now, world.capacity + 1);
};
