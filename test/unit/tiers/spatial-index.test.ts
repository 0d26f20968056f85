import { describe, expect, it } from 'vitest';
import { populateNpcs } from '../../../src/world/populate.js';
import { spawnPlayer } from '../../../src/world/sim-world.js';
import { runStep } from '../../../src/world/step.js';
import { tierWorld } from './helpers.js';

describe('spatial index (world.spatial)', () => {
  it('queryRadius returns exactly the NPCs and players within r of their current positions, also after movement', () => {
    const w = tierWorld({ capacity: 3000, size: 1000, sim: { tieringIntervalSteps: 7 } });
    populateNpcs(w, { count: 2000, movingFraction: 0.8, maxSpeed: 3 });
    const players: number[] = [];
    for (let i = 0; i < 20; i++) {
      const p = spawnPlayer(w, 50 * i, 1000 - 45 * i);
      w.stores.Velocity.x[p] = 5; // players walk: the index must follow them between rebuilds
      players.push(p);
    }
    const out: number[] = [];
    const { x, y } = w.stores.Position;
    for (let s = 0; s < 12; s++) {
      runStep(w); // positions moved by physics after the tiering phase rebuilt the grid
      for (let q = 0; q < 25; q++) {
        const qx = (q * 137) % 1000,
          qy = (q * 311) % 1000,
          r = 20 + (q % 5) * 30;
        const n = w.spatial.queryRadius(qx, qy, r, out);
        const want: number[] = [];
        for (let e = 1; e <= 2020; e++) if ((x[e] - qx) ** 2 + (y[e] - qy) ** 2 <= r * r) want.push(e);
        expect(n).toBe(out.length);
        expect([...out].sort((a, b) => a - b)).toEqual(want);
      }
    }
    expect(w.spatial.queryRadius(x[players[3]], y[players[3]], 1, out)).toBeGreaterThanOrEqual(1);
    expect(out).toContain(players[3]);
  });
});
