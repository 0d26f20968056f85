/**
 * The per-step lists of the physics phase that replaced passes over every id: the step's body list
 * with level of detail (liveness from the entity index's counts when no id is dead, a probe per NPC
 * otherwise — src/physics/physics-lod.ts) and the steering list of navigation (`nav.follow`,
 * src/physics/navigation.ts).
 */
import { entityExists } from 'bitecs';
import { describe, expect, it } from 'vitest';
import { despawnEntity } from '../../../src/core/world-core.js';
import { cancelGoal, NavState, requestGoal } from '../../../src/physics/navigation.js';
import { populateNpcs } from '../../../src/world/populate.js';
import { createSimWorld, spawnPlayer, type SimWorld } from '../../../src/world/sim-world.js';
import { stepWorld } from '../../../src/world/step.js';
import { DEFAULT_SYSTEMS } from '../../../systems/index.js';

const systems = DEFAULT_SYSTEMS.filter((e) => ['time', 'tiering', 'movement'].includes(e.name));
const config = {
  controller: { enabled: false },
  simulation: {
    pauseSimulation: true,
    tickIntervalSeconds: 0.05,
    spatialCellSize: 16,
    tiers: { detailed: { maxNpcs: 30, radius: 15 }, active: { maxNpcs: 120, radius: 40 }, ambient: { maxNpcs: 300, radius: 70 } },
  },
};

const lodWorld = (): SimWorld => {
  const w = createSimWorld({ id: 'lodlist', seed: 3, capacity: 1300, size: 300, systems, physics: { shards: 0, mode: 'inline' }, config });
  populateNpcs(w, { count: 1200, movingFraction: 0.9, maxSpeed: 3 });
  spawnPlayer(w, 150, 150, 60);
  w.npcSim.coarseMoveMinNpcs = 500;
  return w;
};

const listed = (w: SimWorld): number[] => {
  const ps = w.physics?.state;
  if (!ps) throw new Error('physics expected');
  return Array.from(ps.shared.ids.subarray(0, w.physics?.lod.lastStepBodies ?? 0));
};

describe('physics phase lists', () => {
  it('the step list holds only live bodies, ids ascending, before and after a despawn of a listed NPC', () => {
    const w = lodWorld();
    stepWorld(w, 12);
    expect(w.physics?.lod.on).toBe(true);
    const before = listed(w);
    expect(before.length).toBeGreaterThan(0);
    expect(before.every((e, i) => i === 0 || before[i - 1] < e)).toBe(true);
    // Despawn two NPCs of the upper tiers (still in the tier list until the next commit).
    const up = Array.from(w.npcSim.upper.subarray(0, w.npcSim.upperCount));
    const gone = [up[0], up[up.length - 1]];
    for (const e of gone) despawnEntity(w, e);
    for (let s = 0; s < 8; s++) {
      stepWorld(w, 1);
      const ids = listed(w);
      for (const e of gone) expect(ids).not.toContain(e);
      expect(ids.every((e) => entityExists(w, e))).toBe(true);
      expect(ids.every((e, i) => i === 0 || ids[i - 1] < e)).toBe(true);
    }
    // A new entity reuses a despawned id: the index has no dead id again; the list stays live.
    spawnPlayer(w, 20, 20, 60);
    spawnPlayer(w, 40, 40, 60);
    stepWorld(w, 6);
    expect(listed(w).every((e) => entityExists(w, e))).toBe(true);
  });

  it('steering follows the NPCs with a path, in id order, and drops those that stopped', () => {
    const w = createSimWorld({
      id: 'navlist',
      seed: 4,
      capacity: 200,
      size: 200,
      physics: { shards: 0, mode: 'inline' },
      config: { controller: { enabled: false }, simulation: { pauseSimulation: true } },
    });
    populateNpcs(w, { count: 150, movingFraction: 0, maxSpeed: 1 });
    const nav = w.physics?.nav;
    if (!nav) throw new Error('physics expected');
    // Requested in descending id order: steering still runs in ascending order (the list is sorted).
    const walkers = [140, 90, 33, 7];
    for (const e of walkers) expect(requestGoal(nav, e, 100, 100)).toBe(true);
    stepWorld(w, 1);
    expect(Array.from(nav.follow.subarray(0, nav.followCount))).toEqual([7, 33, 90, 140]);
    for (const e of walkers) expect(nav.state[e]).toBe(NavState.following);
    cancelGoal(nav, 33);
    stepWorld(w, 1);
    expect(Array.from(nav.follow.subarray(0, nav.followCount))).toEqual([7, 90, 140]);
    expect(nav.inFollow[33]).toBe(0);
    for (let i = 0; i < 2000 && walkers.some((e) => e !== 33 && nav.state[e] === NavState.following); i++) stepWorld(w, 1);
    for (const e of [7, 90, 140]) expect(nav.state[e]).toBe(NavState.arrived);
    stepWorld(w, 1);
    expect(nav.followCount).toBe(0);
  });
});
