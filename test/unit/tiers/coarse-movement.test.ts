import { describe, expect, it } from 'vitest';
import { query } from 'bitecs';
import { populateNpcs } from '../../../src/world/populate.js';
import { spawnPlayer } from '../../../src/world/sim-world.js';
import { runStep } from '../../../src/world/step.js';
import { hashWorldState } from '../../../src/core/state-hash.js';
import { movementSystem } from '../../../systems/movement-system.js';
import { radixSortIds } from '../../../src/tiers/coarse-movement.js';
import { tierWorld } from './helpers.js';

/** 3,000 NPCs with coarse movement on (the default threshold is 20,000), dormant NPCs move every 4 steps. */
const setup = (seed = 1) => {
  const w = tierWorld({ capacity: 4000, size: 2000, seed, sim: { tieringIntervalSteps: 5 } });
  w.npcSim.coarseMoveMinNpcs = 0;
  w.npcSim.nearMinNpcs = 0;
  w.npcSim.nearMaxShare = 1;
  w.npcSim.dormantMoveSteps = 4;
  populateNpcs(w, { count: 3000, movingFraction: 0.9, maxSpeed: 3 });
  const players: number[] = [];
  for (let i = 0; i < 6; i++) {
    const p = spawnPlayer(w, 150 + 300 * i, 200 + 250 * i);
    w.stores.Velocity.x[p] = 4;
    w.stores.Velocity.y[p] = -2;
    players.push(p);
  }
  return { w, players };
};

describe('coarse movement of dormant NPCs (src/tiers/coarse-movement.ts)', () => {
  it('moves every dormant NPC once per rotation by the steps since its last move; upper tiers and players every step', () => {
    const { w, players } = setup();
    runStep(w); // first tiering pass
    const { x, y } = w.stores.Position;
    const { x: vx, y: vy } = w.stores.Velocity;
    const tier = w.stores.Tier.tier;
    const npcs = Array.from(query(w, [w.stores.Position, w.stores.Npc]));
    const dt = w.ctx.stepSeconds;
    // Bring every NPC to "moved through this step" so lags are known: one full rotation.
    for (let i = 0; i < 4; i++) {
      w.ctx.step++;
      movementSystem(w, w.ctx);
    }
    const x0 = new Map(npcs.map((e) => [e, x[e]]));
    const y0 = new Map(npcs.map((e) => [e, y[e]]));
    const px0 = players.map((p) => x[p]);
    let movedDormant = 0;
    for (let s = 1; s <= 4; s++) {
      w.ctx.step++;
      movementSystem(w, w.ctx);
      for (let i = 0; i < players.length; i++) expect(x[players[i]]).toBeCloseTo(px0[i] + 4 * dt * s, 2);
      let moved = 0;
      for (const e of npcs) {
        if (tier[e] < 3) {
          // Far from the edges in this check: no reflection.
          if (x0.get(e)! > 20 && x0.get(e)! < 1980 && y0.get(e)! > 20 && y0.get(e)! < 1980) {
            expect(x[e]).toBeCloseTo(x0.get(e)! + vx[e] * dt * s, 2);
            expect(y[e]).toBeCloseTo(y0.get(e)! + vy[e] * dt * s, 2);
          }
        } else if (x[e] !== x0.get(e) || y[e] !== y0.get(e)) moved++;
      }
      movedDormant = moved;
      // A quarter of the NPCs per step (ceil): dormant ones among them moved by four steps at once.
      expect(moved).toBeLessThanOrEqual(Math.ceil(npcs.length / 4) * s);
    }
    let dormantMoving = 0;
    for (const e of npcs) {
      if (tier[e] < 3 || (vx[e] === 0 && vy[e] === 0)) continue;
      dormantMoving++;
      if (x0.get(e)! > 20 && x0.get(e)! < 1980 && y0.get(e)! > 20 && y0.get(e)! < 1980) {
        expect(x[e]).toBeCloseTo(x0.get(e)! + vx[e] * dt * 4, 2);
        expect(y[e]).toBeCloseTo(y0.get(e)! + vy[e] * dt * 4, 2);
      }
    }
    expect(movedDormant).toBe(dormantMoving);
  });

  it('keeps dormant NPCs inside the world bounds, reflecting at the edges', () => {
    const { w } = setup();
    runStep(w);
    const npcs = Array.from(query(w, [w.stores.Position, w.stores.Npc]));
    const { x, y } = w.stores.Position;
    const { x: vx } = w.stores.Velocity;
    const e = npcs.find((n) => w.stores.Tier.tier[n] === 3)!;
    x[e] = 1999.9;
    y[e] = 1000;
    vx[e] = 3;
    for (let i = 0; i < 8; i++) {
      w.ctx.step++;
      movementSystem(w, w.ctx);
    }
    expect(x[e]).toBeLessThanOrEqual(2000);
    expect(vx[e]).toBe(-3);
    for (const n of npcs) {
      expect(x[n]).toBeGreaterThanOrEqual(0);
      expect(x[n]).toBeLessThanOrEqual(2000);
      expect(y[n]).toBeGreaterThanOrEqual(0);
      expect(y[n]).toBeLessThanOrEqual(2000);
    }
  });

  it.each([
    ['sliced near passes', 0],
    ['full passes (NPC grid rebuilt every pass)', 1e9],
  ])('queryRadius stays exact on stored positions with coarse movement and %s', (_name, nearMinNpcs) => {
    const { w } = setup();
    w.npcSim.nearMinNpcs = nearMinNpcs;
    const out: number[] = [];
    const { x, y } = w.stores.Position;
    const { x: vx, y: vy } = w.stores.Velocity;
    const npcs = Array.from(query(w, [w.stores.Position, w.stores.Npc]));
    for (let s = 0; s < 40; s++) {
      runStep(w);
      for (let q = 0; q < 12; q++) {
        const qx = (q * 137 + s * 29) % 2000,
          qy = (q * 311 + s * 53) % 2000,
          r = 20 + (q % 5) * 40;
        w.spatial.queryRadius(qx, qy, r, out);
        const want: number[] = [];
        for (let e = 1; e <= 3006; e++) if ((x[e] - qx) ** 2 + (y[e] - qy) ** 2 <= r * r) want.push(e);
        expect([...out].sort((a, b) => a - b)).toEqual(want);
      }
      // Queries whose edge sits just behind moving NPCs along their velocity: an NPC that caught up
      // several steps at once is inside r now but was farther than r + one step of movement at the
      // grid rebuild, so only the lag-aware margin finds it.
      for (let q = 0; q < 60; q++) {
        const e = npcs[(q * 97 + s * 31) % npcs.length];
        const v = Math.hypot(vx[e], vy[e]);
        if (v === 0) continue;
        const r = 30;
        const qx = x[e] + (vx[e] / v) * r * 0.999,
          qy = y[e] + (vy[e] / v) * r * 0.999;
        w.spatial.queryRadius(qx, qy, r, out);
        expect(out).toContain(e);
      }
    }
  });

  it('is deterministic: same seed, same state hash; another seed differs', () => {
    const run = (seed: number) => {
      const { w } = setup(seed);
      for (let s = 0; s < 60; s++) runStep(w);
      return hashWorldState(w);
    };
    const a = run(3);
    expect(run(3)).toBe(a);
    expect(run(4)).not.toBe(a);
  });
});

describe('radixSortIds (the upper list order)', () => {
  it('sorts entity ids like a numeric sort, for id ranges needing 1 to 3 digits', () => {
    for (const maxId of [1000, 3_000_000, 20_000_000]) {
      const n = 5000;
      const a = new Int32Array(n);
      let x = 12345;
      for (let i = 0; i < n; i++) {
        x = (x * 1103515245 + 12345) >>> 0;
        a[i] = x % (maxId + 1);
      }
      const want = Array.from(a).sort((p, q) => p - q);
      radixSortIds(a, new Int32Array(n), n, maxId, new Int32Array(2048));
      expect(Array.from(a)).toEqual(want);
    }
  });
});
