import type { System } from './types.js';

/**
 * Periodic phase: run the world's periodic tasks whose targets have passed
 * (src/periodic/scheduler.ts). World-clock tasks are deterministic; wall-clock tasks are
 * operational only (stats, cleanup) and must not change gameplay state.
 */
export const periodicSystem: System = (world) => {
  world.periodic.tick();
};
