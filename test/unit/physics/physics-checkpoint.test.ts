/**
 * Checkpoints of a world with physics (src/physics/physics-checkpoint.ts): NPCs navigating and a
 * body quarantined after the restore continue bit-exact.
 */
import { describe, expect, it } from 'vitest';
import { requestGoal, NavState } from '../../../src/physics/navigation.js';
import { captureWorld, encodeCapture, restoreWorld } from '../../../src/persist/world-snapshot.js';
import { populateNpcs } from '../../../src/world/populate.js';
import { createSimWorld, type SimWorld } from '../../../src/world/sim-world.js';
import { hashWorldState } from '../../../src/world/state-hash.js';
import { stepWorld } from '../../../src/world/step.js';
import { DEFAULT_SYSTEMS } from '../../../systems/index.js';

const systems = DEFAULT_SYSTEMS.filter((e) => ['time', 'tiering', 'movement'].includes(e.name));
const physics = {
  shards: 0,
  mode: 'inline',
  obstacles: [
    { minX: 100, minY: 60, maxX: 110, maxY: 300 },
    { minX: 180, minY: 0, maxX: 190, maxY: 250 },
  ],
  tuning: { cellSize: 4 },
};
const config = { controller: { enabled: false }, simulation: { pauseSimulation: true, tickIntervalSeconds: 0.05 } };

describe('checkpoint of a world with physics', () => {
  it('NPCs walking a planned path and a body quarantined after the restore continue bit-exact', async () => {
    const w = createSimWorld({ id: 'pck', seed: 5, capacity: 900, size: 330, systems, physics, config });
    populateNpcs(w, { count: 800, movingFraction: 0.9, maxSpeed: 3 });
    stepWorld(w, 30);
    const nav = w.physics!.nav;
    // 60 NPCs walk around the walls; more than the per-step plan budget, so some are still queued.
    for (let e = 1; e <= 60; e++) requestGoal(nav, e, 300, 300 - e);
    stepWorld(w, 2);
    let following = 0;
    for (let e = 1; e <= 60; e++) following += nav.state[e] === NavState.following ? 1 : 0;
    expect(following).toBeGreaterThan(0);
    expect(nav.size).toBeGreaterThan(0);
    const r = await restoreWorld(await encodeCapture(captureWorld(w)), { systems, physics });
    expect(hashWorldState(r)).toBe(hashWorldState(w));
    // A NaN position in the first step after the restore goes back to the body's last good
    // position — the same one in both.
    for (const x of [w, r] as SimWorld[]) x.stores.Position.x[7] = Number.NaN;
    stepWorld(w, 1);
    stepWorld(r, 1);
    expect(Number.isFinite(w.stores.Position.x[7])).toBe(true);
    expect(hashWorldState(r)).toBe(hashWorldState(w));
    for (let k = 0; k < 3; k++) {
      stepWorld(w, 40);
      stepWorld(r, 40);
      expect(hashWorldState(r)).toBe(hashWorldState(w));
    }
  }, 30_000);
});
