/** Bare physics over real SharedArrayBuffer stores (no bitecs world): tests and benches. */
import { createStores } from '../../../components/index.js';
import { TierCode } from '../../../components/tier.js';
import { commitStep, createPhysics, prepareStep, type PhysicsState } from '../../../src/physics/physics-state.js';
import type { PhysicsOptions } from '../../../src/physics/physics-config.js';
import type { ObstacleRect } from '../../../src/physics/obstacles.js';
import { BodyKind } from '../../../src/physics/physics-types.js';
import { stepRows } from '../../../src/physics/collide-kernel.js';

export interface Fixture {
  ps: PhysicsState;
  stores: ReturnType<typeof createStores>;
}

/** `n` bodies (ids 1..n), all NPCs of tier `tier` unless changed. */
export const makeFixture = (
  n: number,
  size: number,
  physics: PhysicsOptions = {},
  obstacles: ObstacleRect[] = [],
  tier: number = TierCode.detailed,
): Fixture => {
  const stores = createStores(n);
  const ps = createPhysics({ capacity: n, bounds: { minX: 0, minY: 0, maxX: size, maxY: size }, stores, physics, obstacles });
  for (let e = 1; e <= n; e++) {
    ps.shared.kind[e] = BodyKind.npc;
    stores.Tier.tier[e] = tier;
  }
  ps.maxEid = n;
  return { ps, stores };
};

/** Small deterministic PRNG (mulberry32). */
export const rng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/** One inline step (optionally split into `bands` partitions run in the given order). */
export const stepInline = (ps: PhysicsState, step: number, dt: number, bands = 1, reverse = false): void => {
  prepareStep(ps, step, dt);
  const side = ps.side;
  const order = Array.from({ length: bands }, (_, i) => i);
  if (reverse) order.reverse();
  for (const b of order) stepRows(ps.shared, Math.floor((side * b) / bands), Math.floor((side * (b + 1)) / bands), b);
  commitStep(ps, bands);
};
