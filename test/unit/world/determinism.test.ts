import { describe, expect, it } from 'vitest';
import { populateNpcs } from '../../../src/world/populate.js';
import { createSimWorld, despawnEntity, spawnNpc, spawnPlayer } from '../../../src/world/sim-world.js';
import { hashWorldState } from '../../../src/world/state-hash.js';
import { runStep } from '../../../src/world/step.js';
import { ErrorCode } from '../../../src/errors.js';

const run = (seed: number, steps: number, inputs: Array<[number, number, number]> = []) => {
  // The adaptive controller turns wall-clock costs into budgets (an input like any other);
  // bit-exact replays run with it off (docs/ADAPTIVE.md, "Determinism").
  const w = createSimWorld({ id: 'd', seed, capacity: 3000, config: { controller: { enabled: false } } });
  populateNpcs(w, { count: 2000 });
  const p = spawnPlayer(w, 500, 500);
  for (let s = 0; s < steps; s++) {
    for (const [at, vx, vy] of inputs)
      if (at === s) {
        w.stores.Velocity.x[p] = vx;
        w.stores.Velocity.y[p] = vy;
      }
    runStep(w);
  }
  return hashWorldState(w);
};

describe('determinism and state hash', () => {
  it('same seed and inputs give the same hash; a different seed or input does not', () => {
    const inputs: Array<[number, number, number]> = [
      [3, 2, 0],
      [40, -1, 5],
    ];
    const a = run(42, 120, inputs);
    expect(run(42, 120, inputs)).toBe(a);
    expect(run(43, 120, inputs)).not.toBe(a);
    expect(
      run(42, 120, [
        [3, 2, 0],
        [40, -1, 6],
      ]),
    ).not.toBe(a);
    expect(run(42, 121, inputs)).not.toBe(a);
  });

  it('capacity overflow is a clear error and leaves the world usable', () => {
    const w = createSimWorld({ id: 'cap', capacity: 3 });
    const a = spawnNpc(w, 1, 1);
    spawnNpc(w, 2, 2);
    spawnNpc(w, 3, 3);
    expect(() => spawnNpc(w, 4, 4)).toThrowError(expect.objectContaining({ code: ErrorCode.CAPACITY_EXCEEDED }));
    expect(() => spawnNpc(w, 4, 4)).toThrowError(/world cap is full: capacity is 3 entities/);
    despawnEntity(w, a);
    const b = spawnNpc(w, 9, 9);
    expect(w.stores.Position.x[b]).toBe(9);
    expect(w.stores.Position.x.length).toBe(4);
  });

  it('a recycled id starts from store defaults', () => {
    const w = createSimWorld({ id: 'r', capacity: 4 });
    const a = spawnNpc(w, 1, 1);
    w.stores.Behavior.mood[a] = 0.01;
    w.stores.Interaction.chain[a] = 3;
    despawnEntity(w, a);
    const b = spawnNpc(w, 2, 2);
    expect(b).toBe(a);
    expect(w.stores.Behavior.mood[b]).toBeCloseTo(0.5);
    expect(w.stores.Interaction.chain[b]).toBe(-1);
  });

  it('stores live on SharedArrayBuffer', () => {
    const w = createSimWorld({ id: 's', capacity: 10 });
    expect(w.stores.Position.x.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(w.stores.Tier.nextTickAt.buffer).toBeInstanceOf(SharedArrayBuffer);
  });
});
