import { describe, expect, it } from 'vitest';
import { query } from 'bitecs';
import { countDue, createDueHeap, type DueIndex, heapPush, popDue } from '../../../src/tiers/due-heap.js';
import { selectDue } from '../../../src/tiers/select.js';
import { populateNpcs } from '../../../src/world/populate.js';
import { spawnPlayer } from '../../../src/world/sim-world.js';
import { runStep } from '../../../src/world/step.js';
import { tierWorld } from './helpers.js';

/** A tier-1 heap over 400 entities with dead entries (other tier, frozen, stale key) and duplicates. */
const heapCase = (seed: number) => {
  let r = seed >>> 0;
  const rnd = (): number => {
    r = (Math.imul(r, 1664525) + 1013904223) >>> 0;
    return r / 2 ** 32;
  };
  const n = 400;
  const T = { tier: new Uint8Array(n + 1), frozen: new Uint8Array(n + 1), nextTickAt: new Float64Array(n + 1) };
  const x: DueIndex = {
    dueHeap: [createDueHeap(), createDueHeap(), createDueHeap(), createDueHeap()],
    rescheduled: new Int32Array(8),
    rescheduledCount: 0,
    selected: new Int32Array(8),
    selectedCount: 0,
    selectedPending: false,
    heapsBuilt: true,
    dueMark: new Uint8Array(n + 1),
    dueStack: new Int32Array(64),
    duePopped: new Uint8Array(4),
  };
  const h = x.dueHeap[1];
  for (let e = 1; e <= n; e++) {
    T.tier[e] = 1;
    T.nextTickAt[e] = Math.floor(rnd() * 50); // ties: ordered by id
    heapPush(h, e, T.nextTickAt[e]);
    if (rnd() < 0.15) heapPush(h, e, T.nextTickAt[e]); // duplicate
    if (rnd() < 0.2) heapPush(h, e, Math.floor(rnd() * 50)); // stale key (dead unless equal)
  }
  for (let e = 1; e <= n; e++) {
    const u = rnd();
    if (u < 0.1)
      T.tier[e] = 2; // left the tier
    else if (u < 0.15) T.frozen[e] = 1;
  }
  return { x, T, h };
};

const copyOf = (x: DueIndex): DueIndex => ({
  ...x,
  dueHeap: x.dueHeap.map((h) => ({ ids: h.ids.slice(), keys: h.keys.slice(), size: h.size })),
});

describe('counting due NPCs in place (src/tiers/due-heap.ts countDue)', () => {
  it('counts what popping would return, leaves the heap and the marks untouched, and gives up past maxVisits', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { x, T, h } = heapCase(seed);
      for (const now of [-1, 0, 7, 25, 49, 100])
        for (const limit of [0, 1, 5, 40, 150, 1000]) {
          const size = h.size;
          const out = new Int32Array(2000);
          const c = countDue(x, T, 1, now, limit, 1 << 30, x.dueMark, x.dueStack, out, 3);
          expect(h.size).toBe(size);
          expect(x.dueMark.every((m) => m === 0)).toBe(true);
          const y = copyOf(x);
          const popped = new Int32Array(2000);
          const p = popDue(y, T, 1, now, limit, popped);
          expect(c, `seed ${seed} now ${now} limit ${limit}`).toBe(p);
          // Below the limit the counted ids are the popped ones (in another order).
          if (c < limit)
            expect(Array.from(out.subarray(3, 3 + c)).sort((a, b) => a - b)).toEqual(
              Array.from(popped.subarray(0, p)).sort((a, b) => a - b),
            );
          // Popping only c after counting takes the same first ones.
          const z = copyOf(x);
          const first = new Int32Array(2000);
          expect(popDue(z, T, 1, now, Math.min(c, 3), first, 5)).toBe(Math.min(c, 3));
          expect(Array.from(first.subarray(5, 5 + Math.min(c, 3)))).toEqual(Array.from(popped.subarray(0, Math.min(c, 3))));
        }
      expect(countDue(x, T, 1, 100, 1000, 10, x.dueMark, x.dueStack, new Int32Array(2000), 0)).toBe(-1);
      expect(x.dueMark.every((m) => m === 0)).toBe(true);
    }
  });

  it('the selection reports the backlog a pop-everything selection would (overduePerTier = min(L, due) − taken)', () => {
    const w = tierWorld({ capacity: 5000, size: 3000, sim: { tiers: { detailed: { maxNpcs: 300 }, active: { maxNpcs: 900 } } } });
    populateNpcs(w, { count: 4000 });
    for (let i = 0; i < 12; i++) spawnPlayer(w, 200 + (i % 4) * 800, 300 + Math.floor(i / 4) * 1000);
    w.config.simulation.maxNpcTicksPerStep = 200;
    w.ctx.budgets.npcTicks = 200;
    let backlogged = 0;
    for (let step = 0; step < 60; step++) {
      runStep(w);
      const T = w.stores.Tier;
      const now = w.clock.now;
      const due = [0, 0, 0, 0];
      for (const e of query(w, [w.stores.Position, w.stores.Npc])) if (T.frozen[e] === 0 && T.nextTickAt[e] <= now) due[T.tier[e]]++;
      selectDue(w, w.ctx);
      const sim = w.config.simulation;
      const L = Math.max(200, Math.ceil(sim.detailedReserve * sim.maxNpcTicksPerStep));
      for (let t = 0; t < 4; t++) {
        const q = w.tierStats.ticksPerTier[t];
        expect(w.tierStats.overduePerTier[t], `step ${step} tier ${t}`).toBe(Math.min(L, due[t]) - q);
        if (due[t] > q) backlogged++;
      }
      w.npcSim.selectedPending = true; // the next step's own selection redoes the bookkeeping
    }
    expect(backlogged).toBeGreaterThan(0);
  });
});
