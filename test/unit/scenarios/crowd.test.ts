import { describe, expect, it } from 'vitest';
import { crowdBotMove, CROWD, createCrowdWorld } from '../../../src/scenarios/crowd.js';
import { crowdRange, crowdUnit } from '../../../src/scenarios/crowd-random.js';
import { stepWorld } from '../../../src/world/step.js';
import { hashWorldState } from '../../../src/world/state-hash.js';

const f = Math.fround;

/**
 * NPC i of the crowd, recomputed from the scenario's definition alone (docs/SCENARIOS.md):
 * draws 0..3 → x, y in [0, 1000), vx, vy in [-50, 50); at step s, when (s + i) mod 40 = 0,
 * velocity re-rolled from draws 4 + 2s, 5 + 2s; then x += vx × 0.05 with reflection at 0 and
 * 1000 (position mirrored, that velocity component negated). Stores are float32.
 */
const expectedNpc = (seed: number, i: number, steps: number) => {
  let x = f(crowdRange(seed, i, 0, 0, 1000)),
    y = f(crowdRange(seed, i, 1, 0, 1000));
  let vx = f(crowdRange(seed, i, 2, -50, 50)),
    vy = f(crowdRange(seed, i, 3, -50, 50));
  let rerolls = 0,
    reflections = 0;
  const axis = (p: number, v: number): [number, number] => {
    let n = p + v * 0.05;
    if (n < 0) {
      n = -n;
      v = -v;
      reflections++;
    } else if (n > 1000) {
      n = 2000 - n;
      v = -v;
      reflections++;
    }
    return [f(n), f(v)];
  };
  for (let s = 0; s < steps; s++) {
    if ((s + i) % 40 === 0) {
      vx = f(crowdRange(seed, i, 4 + 2 * s, -50, 50));
      vy = f(crowdRange(seed, i, 5 + 2 * s, -50, 50));
      rerolls++;
    }
    [x, vx] = axis(x, vx);
    [y, vy] = axis(y, vy);
  }
  return { x, y, vx, vy, rerolls, reflections };
};

describe('crowd scenario', () => {
  it('has its own pipeline (no tiers, no behaviour) and 2,000 NPCs in a 1000×1000 area by default', () => {
    const w = createCrowdWorld({ paused: true, playerCapacity: 10 });
    expect(w.pipeline.map((s) => s.name)).toEqual(['ingest', 'time', 'crowd-movement', 'replicate', 'control']);
    expect(w.crowd.npcIds.length).toBe(CROWD.npcs);
    expect(w.bounds).toEqual({ minX: 0, minY: 0, maxX: 1000, maxY: 1000 });
    expect(w.config.simulation.tickIntervalSeconds).toBe(0.05);
    const { Position, Velocity } = w.stores;
    for (const e of w.crowd.npcIds) {
      expect(Position.x[e]).toBeGreaterThanOrEqual(0);
      expect(Position.x[e]).toBeLessThan(1000);
      expect(Velocity.x[e]).toBeGreaterThanOrEqual(-50);
      expect(Velocity.y[e]).toBeLessThan(50);
    }
  });

  it('movement matches its definition over 100 steps, re-rolls and reflections included (recomputed per NPC)', () => {
    const seed = 7;
    const steps = 100;
    const w = createCrowdWorld({ seed, paused: true, playerCapacity: 10 });
    stepWorld(w, steps);
    // NPCs that reflect at least once in the recomputation, plus fixed ones (first, last, stagger edge).
    const reflecting: number[] = [];
    for (let i = 0; i < CROWD.npcs && reflecting.length < 5; i++) if (expectedNpc(seed, i, steps).reflections > 0) reflecting.push(i);
    expect(reflecting.length).toBe(5);
    const { Position, Velocity } = w.stores;
    for (const i of [0, 1, 39, 40, 1999, ...reflecting]) {
      const e = w.crowd.npcIds[i];
      const want = expectedNpc(seed, i, steps);
      expect(want.rerolls, `npc ${i}`).toBeGreaterThanOrEqual(2); // every 40 steps, staggered by id
      expect(Position.x[e], `npc ${i} x`).toBeCloseTo(want.x, 3);
      expect(Position.y[e], `npc ${i} y`).toBeCloseTo(want.y, 3);
      expect(Velocity.x[e], `npc ${i} vx`).toBe(want.vx);
      expect(Velocity.y[e], `npc ${i} vy`).toBe(want.vy);
    }
  });

  it('re-rolls are staggered by id: NPC i changes velocity exactly on steps where (step + i) mod 40 = 0', () => {
    const w = createCrowdWorld({ seed: 3, npcs: 80, paused: true, playerCapacity: 0 });
    const { Velocity } = w.stores;
    const ids = w.crowd.npcIds;
    for (let s = 0; s < 81; s++) {
      const before = Array.from(ids, (e) => [Velocity.x[e], Velocity.y[e]]);
      stepWorld(w, 1);
      for (let i = 0; i < ids.length; i++) {
        const e = ids[i];
        const due = (s + i) % 40 === 0;
        const same = Math.abs(Velocity.x[e]) === Math.abs(before[i][0]) && Math.abs(Velocity.y[e]) === Math.abs(before[i][1]);
        if (!due)
          expect(same, `npc ${i} step ${s}`).toBe(true); // at most a reflection flipped a sign
        else expect(Velocity.x[e]).toBe(f(crowdRange(3, i, 4 + 2 * s, -50, 50)));
      }
    }
  });

  it('is deterministic: same seed → same state hash; another seed → another crowd', () => {
    const a = createCrowdWorld({ seed: 11, paused: true, playerCapacity: 0 });
    const b = createCrowdWorld({ seed: 11, paused: true, playerCapacity: 0 });
    const c = createCrowdWorld({ seed: 12, paused: true, playerCapacity: 0 });
    for (const w of [a, b, c]) stepWorld(w, 60);
    expect(hashWorldState(a)).toBe(hashWorldState(b));
    expect(hashWorldState(a)).not.toBe(hashWorldState(c));
  });

  it('the generator is uniform enough (mean and spread of 100k draws) and bot inputs stay in [-1, 1) per axis', () => {
    let sum = 0,
      sq = 0;
    const n = 100_000;
    for (let k = 0; k < n; k++) {
      const u = crowdUnit(5, k % 997, k);
      sum += u;
      sq += u * u;
    }
    expect(sum / n).toBeCloseTo(0.5, 2);
    expect(sq / n - (sum / n) ** 2).toBeCloseTo(1 / 12, 2);
    const m = { x: 0, y: 0 };
    for (let k = 0; k < 1000; k++) {
      crowdBotMove(1, k % 13, k, m);
      expect(Math.abs(m.x)).toBeLessThanOrEqual(1);
      expect(Math.abs(m.y)).toBeLessThanOrEqual(1);
    }
  });
});
