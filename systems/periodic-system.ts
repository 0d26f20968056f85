import type { System } from '../src/core/phases.js';
import type { World } from 'bitecs';
import type { WorldCore } from '../src/core/world-core.js';
import type { PeriodicSlot } from '../src/periodic/world-periodic.js';

/**
 * Periodic phase: run the world's periodic tasks whose targets have passed
 * (src/periodic/scheduler.ts). World-clock tasks are deterministic; wall-clock tasks are
 * operational only (stats, cleanup) and must not change gameplay state.
 */
export const periodicSystem: System<World<WorldCore & PeriodicSlot>> = (world) => {
  world.periodic.tick();
};
