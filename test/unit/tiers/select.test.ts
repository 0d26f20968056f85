import { describe, expect, it } from 'vitest';
import { spawnNpc, spawnPlayer, type SimWorld } from '../../../src/world/sim-world.js';
import { runStep } from '../../../src/world/step.js';
import { computeQuotas } from '../../../src/tiers/select.js';
import { setBehaviorDefinitions } from '../../../src/tiers/tier-state.js';
import { tierWorld } from './helpers.js';

const still = (w: SimWorld) => setBehaviorDefinitions(w.npcSim, [{ name: 'idle', minDurationSeconds: 60, utility: { base: 1 } }], []);

/** NPCs in rings around one player at (1000, 1000): per tier, `counts[t]` NPCs. */
const ringWorld = (counts: [number, number, number, number], sim: Record<string, unknown>) => {
  const sim2 = { tieringIntervalSteps: 1, ...sim } as Record<string, unknown> & { tiers?: Record<string, unknown> };
  sim2.tiers = { ...(sim2.tiers ?? {}), ambient: { radius: 400, ...((sim2.tiers?.ambient as object) ?? {}) } };
  const w = tierWorld({ capacity: 4000, sim: sim2 });
  still(w);
  spawnPlayer(w, 1000, 1000);
  const radii: Array<[number, number]> = [
    [1, 45],
    [60, 140],
    [160, 390],
    [600, 900],
  ];
  const byTier: number[][] = [[], [], [], []];
  counts.forEach((n, t) => {
    const [r0, r1] = radii[t];
    for (let i = 0; i < n; i++) {
      const a = (i / n) * Math.PI * 2,
        r = r0 + ((r1 - r0) * ((i * 7) % n)) / n;
      byTier[t].push(spawnNpc(w, 1000 + Math.cos(a) * r, 1000 + Math.sin(a) * r));
    }
  });
  return { w, byTier };
};

describe('budgeted, fair selection', () => {
  it('quotas: detailed first with its floor, a guaranteed share per lower tier, never above the budget', () => {
    const q = new Int32Array(4);
    // B 40, F 10, m 4
    expect(computeQuotas([5, 100, 100, 100], 40, 40, 0.25, 0.1, q)).toBe(40);
    expect(Array.from(q)).toEqual([5, 27, 4, 4]); // each lower tier gets m = 4, the rest goes highest tier first
    // the controller cuts B to 2: detailed keeps its floor of 10
    expect(computeQuotas([30, 100, 0, 0], 2, 40, 0.25, 0.1, q)).toBe(10);
    expect(Array.from(q)).toEqual([10, 0, 0, 0]);
    // lots of detailed demand: lower tiers still get m each
    expect(computeQuotas([100, 100, 100, 100], 40, 40, 0.25, 0.1, q)).toBe(40);
    expect(Array.from(q)).toEqual([28, 4, 4, 4]);
    // a budget above the ceiling is clamped to maxNpcTicksPerStep
    expect(computeQuotas([0, 1000, 0, 0], 1e9, 40, 0.25, 0.1, q)).toBe(40);
  });

  it('never exceeds the per-step budget, whatever the controller sets; detailed keeps its floor', () => {
    const { w } = ringWorld([8, 300, 300, 300], {
      maxNpcTicksPerStep: 40,
      detailedReserve: 0.25,
      tiers: { active: { tickSeconds: 3 }, ambient: { tickSeconds: 6 }, dormant: { tickSeconds: 9 } },
    });
    const budgets = [40, 40, 25, 3, 0, 17, 1000, 12, 9, 40];
    for (let s = 0; s < 120; s++) {
      const b = budgets[s % budgets.length];
      w.ctx.budgets.npcTicks = b; // what the controller would do
      runStep(w);
      const total = w.tierStats.ticksPerTier.reduce((a, x) => a + x, 0);
      expect(total).toBeLessThanOrEqual(40);
      expect(total).toBeLessThanOrEqual(Math.max(Math.min(b, 40), 10));
      expect(w.tierStats.ticksPerTier[0]).toBe(8); // 8 detailed ≤ floor 10: ticked every step
    }
  });

  it('detailed NPCs under the cap are ticked every step even when demand exceeds the budget', () => {
    const { w, byTier } = ringWorld([15, 400, 400, 0], {
      maxNpcTicksPerStep: 50,
      tiers: { detailed: { maxNpcs: 20 }, active: { tickSeconds: 3 }, ambient: { tickSeconds: 3 } },
    });
    for (let s = 0; s < 50; s++) {
      runStep(w);
      for (const e of byTier[0]) expect(w.stores.Tier.lastTickedAt[e]).toBe(w.clock.now);
      if (s > 2) expect(w.tierStats.overduePerTier[1] + w.tierStats.overduePerTier[2]).toBeGreaterThan(0);
    }
  });

  it('fairness: with demand far above budget every due NPC is ticked within ceil(K_t / m) steps', () => {
    // B = 40, F = 10, m = floor(0.1 × 40) = 4; F + 3m = 22 ≤ 40, so the bound holds.
    const counts: [number, number, number, number] = [5, 200, 300, 500];
    const { w, byTier } = ringWorld(counts, {
      maxNpcTicksPerStep: 40,
      detailedReserve: 0.25,
      tierMinShare: 0.1,
      tiers: { active: { tickSeconds: 3 }, ambient: { tickSeconds: 6 }, dormant: { tickSeconds: 9 } },
    });
    const m = 4;
    const T = w.stores.Tier;
    const dueSince = new Map<number, number>();
    const maxWait = [0, 0, 0, 0];
    const tickCount = new Map<number, number>();
    for (let s = 0; s < 400; s++) {
      runStep(w);
      const now = w.clock.now;
      byTier.forEach((ids, t) => {
        for (const e of ids) {
          if (T.lastTickedAt[e] === now) {
            const since = dueSince.get(e);
            if (since !== undefined) maxWait[t] = Math.max(maxWait[t], s - since);
            dueSince.delete(e);
            tickCount.set(e, (tickCount.get(e) ?? 0) + 1);
          } else if (T.nextTickAt[e] <= now && !dueSince.has(e)) dueSince.set(e, s);
        }
      });
      expect(w.tierStats.ticksPerTier.reduce((a, x) => a + x, 0)).toBeLessThanOrEqual(40);
    }
    expect(maxWait[0]).toBe(0);
    for (let t = 1; t < 4; t++) {
      expect(maxWait[t], `tier ${t}`).toBeLessThanOrEqual(Math.ceil(counts[t] / m));
      for (const e of byTier[t]) expect(tickCount.get(e) ?? 0, `NPC ${e} of tier ${t} starved`).toBeGreaterThanOrEqual(2);
    }
    // demand really exceeded the budget
    expect(maxWait[1]).toBeGreaterThan(1);
  });
});
