import { describe, expect, it } from 'vitest';
import { TierCode } from '../../../components/tier.js';
import { populateNpcs } from '../../../src/world/populate.js';
import { spawnNpc, spawnPlayer, type SimWorld } from '../../../src/world/sim-world.js';
import { runStep } from '../../../src/world/step.js';
import { setBehaviorDefinitions } from '../../../src/tiers/tier-state.js';
import { tierForDistance } from '../../../src/tiers/tier-assign.js';
import { tierWorld } from './helpers.js';

/** Only a standing-still activity, so NPCs stay where a test puts them. */
const still = (w: SimWorld) => setBehaviorDefinitions(w.npcSim, [{ name: 'idle', minDurationSeconds: 60, utility: { base: 1 } }], []);

describe('tier assignment', () => {
  it('tiers match distance to the nearest player (radii 50/150/400)', () => {
    const w = tierWorld({ sim: { tieringIntervalSteps: 1, tiers: { ambient: { radius: 400 } } } });
    still(w);
    const p1 = spawnPlayer(w, 1000, 1000);
    const p2 = spawnPlayer(w, 1900, 1900);
    const cases: Array<[number, number]> = [
      [10, 0],
      [49, 0],
      [51, 1],
      [100, 1],
      [149, 1],
      [151, 2],
      [300, 2],
      [394, 2],
      [401, 3],
      [900, 3],
    ]; // 394: a new NPC starts dormant, so it must be inside 400 - hysteresis
    const ids = cases.map(([d]) => spawnNpc(w, 1000 - d, 1000));
    const nearOther = spawnNpc(w, 1890, 1900); // 10 from the second player
    runStep(w);
    const T = w.stores.Tier;
    cases.forEach(([d, tier], i) => {
      expect(T.tier[ids[i]], `distance ${d}`).toBe(tier);
      if (d <= 405) expect(T.dist[ids[i]]).toBeCloseTo(d, 3);
    });
    expect(T.tier[nearOther]).toBe(TierCode.detailed);
    expect(T.nearest[nearOther]).toBe(p2);
    expect(T.nearest[ids[0]]).toBe(p1);
    expect(T.nearest[ids[9]]).toBe(-1);
    expect(Array.from(w.tierStats.npcsPerTier)).toEqual([3, 3, 3, 2]);
  });

  it('hysteresis: an NPC near a boundary keeps its tier until it crosses the margin', () => {
    const w = tierWorld({ sim: { tieringIntervalSteps: 1, tierHysteresis: 5 } });
    still(w);
    spawnPlayer(w, 1000, 1000);
    const e = spawnNpc(w, 1045, 1000);
    const at = (d: number) => {
      w.stores.Position.x[e] = 1000 + d;
      runStep(w);
      return w.stores.Tier.tier[e];
    };
    expect(at(45)).toBe(0);
    expect(at(53)).toBe(0); // beyond 50 but within 50 + 5
    expect(at(50.5)).toBe(0);
    expect(at(54.9)).toBe(0);
    expect(at(56)).toBe(1); // crossed 55
    expect(at(48)).toBe(1); // back inside 50, not past 45
    expect(at(46)).toBe(1);
    expect(at(44)).toBe(0);
    // and the pure rule
    expect(tierForDistance(152, 1, 50, 150, 400, 5)).toBe(1);
    expect(tierForDistance(156, 1, 50, 150, 400, 5)).toBe(2);
    expect(tierForDistance(147, 2, 50, 150, 400, 5)).toBe(2);
    expect(tierForDistance(144, 2, 50, 150, 400, 5)).toBe(1);
    expect(tierForDistance(Infinity, 2, 50, 150, 400, 5)).toBe(3);
  });

  it('caps demote the farthest first, cascading down the tiers', () => {
    const w = tierWorld({ sim: { tieringIntervalSteps: 1, tiers: { detailed: { maxNpcs: 3 }, active: { maxNpcs: 2 } } } });
    still(w);
    spawnPlayer(w, 1000, 1000);
    // Six NPCs inside the detailed radius, spawned in a scrambled order of distance.
    const dists = [30, 5, 25, 10, 20, 15];
    const ids = dists.map((d) => spawnNpc(w, 1000, 1000 + d));
    const far = spawnNpc(w, 1000, 1100); // natural active, 100 away
    runStep(w);
    const T = w.stores.Tier;
    const tierOf = (d: number) => T.tier[ids[dists.indexOf(d)]];
    expect([5, 10, 15].map(tierOf)).toEqual([0, 0, 0]);
    expect([20, 25].map(tierOf)).toEqual([1, 1]); // demoted detailed, nearer than the natural active one
    expect(tierOf(30)).toBe(2);
    expect(T.tier[far]).toBe(2);
    expect(Array.from(w.tierStats.npcsPerTier)).toEqual([3, 2, 2, 0]);
  });

  it('the dormant cap freezes the rest in a rotating window; every NPC is in rotation within ceil(N/cap) dormant periods', () => {
    // Dormant period 30 world s = 10 steps of 3 s; 20 far NPCs, cap 5 → 4 windows.
    const w = tierWorld({ sim: { tieringIntervalSteps: 1, tiers: { dormant: { maxNpcs: 5, tickSeconds: 30 } } } });
    still(w);
    spawnPlayer(w, 10, 10);
    const ids: number[] = [];
    for (let i = 0; i < 20; i++) ids.push(spawnNpc(w, 1000 + i * 40, 1500));
    const ticked = new Set<number>();
    const T = w.stores.Tier;
    for (let s = 0; s < 4 * 10 + 2; s++) {
      runStep(w);
      expect(w.tierStats.npcsPerTier[3]).toBe(5);
      expect(w.tierStats.frozen).toBe(15);
      for (const e of ids) {
        if (T.lastTickedAt[e] === w.clock.now) {
          expect(T.frozen[e], 'a frozen NPC is never ticked').toBe(0);
          ticked.add(e);
        }
      }
    }
    expect(ticked.size).toBe(20);
  });

  it("the original design's caps (20/100/500/5000) work: caps hold, the rest are frozen, 50 ticks per step at most", () => {
    const w = tierWorld({
      capacity: 7000,
      size: 4000,
      sim: {
        maxNpcTicksPerStep: 50,
        tiers: { detailed: { maxNpcs: 20 }, active: { maxNpcs: 100 }, ambient: { maxNpcs: 500 }, dormant: { maxNpcs: 5000 } },
      },
    });
    populateNpcs(w, { count: 6000 });
    for (let i = 0; i < 10; i++) spawnPlayer(w, 200 + i * 380, 2000);
    for (let s = 0; s < 30; s++) {
      runStep(w);
      const st = w.tierStats;
      expect(st.npcsPerTier[0]).toBeLessThanOrEqual(20);
      expect(st.npcsPerTier[1]).toBeLessThanOrEqual(100);
      expect(st.npcsPerTier[2]).toBeLessThanOrEqual(500);
      expect(st.npcsPerTier[3]).toBeLessThanOrEqual(5000);
      expect(st.npcsPerTier.reduce((a, b) => a + b, 0) + st.frozen).toBe(6000);
      expect(st.ticksPerTier.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(50);
    }
    expect(w.tierStats.npcsPerTier[0]).toBe(20);
    expect(w.tierStats.frozen).toBe(6000 - 20 - 100 - 500 - 5000);
  });
  it('a scheduled pass (grid + scans in one step, assignment in the next) gives the same tiers; a player jump triggers one early', () => {
    const build = (interval: number) => {
      const w = tierWorld({ capacity: 3000, seed: 9, sim: { tieringIntervalSteps: interval } });
      still(w);
      populateNpcs(w, { count: 2000, movingFraction: 0 });
      const p = spawnPlayer(w, 500, 500);
      spawnPlayer(w, 1500, 1200);
      return { w, p };
    };
    const a = build(1),
      b = build(50);
    for (let s = 0; s < 3; s++) {
      runStep(a.w);
      runStep(b.w);
    }
    expect(Array.from(b.w.stores.Tier.tier)).toEqual(Array.from(a.w.stores.Tier.tier));
    // The player jumps 300 units: b (interval 50) re-tiers within two steps anyway.
    for (const { w, p } of [a, b]) {
      w.stores.Position.x[p] = 800;
      w.stores.Position.y[p] = 800;
    }
    runStep(a.w);
    runStep(b.w);
    expect(b.w.tierStats.tieringPasses).toBe(1); // step A ran (grid + scans), step B not yet
    runStep(a.w);
    runStep(b.w);
    expect(b.w.tierStats.tieringPasses).toBe(2);
    expect(Array.from(b.w.stores.Tier.tier)).toEqual(Array.from(a.w.stores.Tier.tier));
    expect(Array.from(b.w.tierStats.npcsPerTier)).toEqual(Array.from(a.w.tierStats.npcsPerTier));
  });
});
