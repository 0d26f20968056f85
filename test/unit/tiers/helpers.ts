import { createSimWorld, type SimWorld } from '../../../src/world/sim-world.js';

/**
 * A world for tier tests: the adaptive controller off (its budgets follow wall-clock cost,
 * which tests must not depend on), world time steps of `dtWorld` world seconds.
 */
export const tierWorld = (
  opts: { capacity?: number; size?: number; seed?: number; sim?: Record<string, unknown>; dtWorld?: number } = {},
): SimWorld =>
  createSimWorld({
    id: 't',
    capacity: opts.capacity ?? 1000,
    size: opts.size ?? 2000,
    seed: opts.seed ?? 1,
    config: {
      controller: { enabled: false },
      simulation: { tickIntervalSeconds: 0.05, timeScale: (opts.dtWorld ?? 3) / 0.05, ...(opts.sim ?? {}) },
    },
  });
