import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/errors.js';
import { HOUR, DAY } from '../../../src/behavior/activities.js';
import { populateNpcs } from '../../../src/world/populate.js';
import { createSimWorld, spawnNpc, spawnPlayer } from '../../../src/world/sim-world.js';
import { hashWorldState } from '../../../src/world/state-hash.js';
import { runStep } from '../../../src/world/step.js';
import { setBehaviorDefinitions } from '../../../src/tiers/tier-state.js';
import { nextRange } from '../../../src/world/prng.js';

const world = (sim: Record<string, unknown> = {}, seed = 1) =>
  createSimWorld({
    id: 'b',
    capacity: 4000,
    size: 2000,
    seed,
    config: { controller: { enabled: false }, simulation: { tickIntervalSeconds: 1, timeScale: 60, ...sim } },
  });

describe('behavior', () => {
  it('dormant catch-up applies the activity effects for the world time elapsed since the last tick', () => {
    const w = world({ tiers: { dormant: { tickSeconds: 3600 } } });
    const rate = 0.1 / HOUR;
    setBehaviorDefinitions(w.npcSim, [{ name: 'idle', minDurationSeconds: 8e6, effects: { hunger: rate }, utility: { base: 1 } }], []);
    spawnPlayer(w, 10, 10);
    const e = spawnNpc(w, 1900, 1900);
    w.stores.Behavior.hunger[e] = 0.2;
    const T = w.stores.Tier;
    const ticks: Array<[number, number]> = [];
    let last = -1;
    for (let s = 0; s < 200; s++) {
      runStep(w);
      if (T.lastTickedAt[e] !== last) {
        last = T.lastTickedAt[e];
        ticks.push([last, w.stores.Behavior.hunger[e]]);
      }
    }
    expect(T.tier[e]).toBe(3);
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < ticks.length; i++) {
      const [t1, h1] = ticks[i],
        [t0, h0] = ticks[i - 1];
      expect(t1 - t0).toBe(3600); // hourly at 60 world s per step
      expect(h1 - h0).toBeCloseTo(rate * (t1 - t0), 5);
    }
  });

  it('a frozen NPC (beyond the dormant cap) gets the whole elapsed time when a player comes near', () => {
    const w = world({ tieringIntervalSteps: 1, tiers: { dormant: { maxNpcs: 0 } } });
    const rate = 0.05 / HOUR;
    setBehaviorDefinitions(w.npcSim, [{ name: 'idle', minDurationSeconds: 8e6, effects: { hunger: rate }, utility: { base: 1 } }], []);
    const p = spawnPlayer(w, 10, 10);
    const e = spawnNpc(w, 1500, 1500);
    for (let s = 0; s < 300; s++) runStep(w); // 5 world hours frozen
    expect(w.stores.Tier.frozen[e]).toBe(1);
    expect(w.stores.Behavior.hunger[e]).toBe(0);
    w.stores.Position.x[p] = 1490;
    w.stores.Position.y[p] = 1500;
    runStep(w);
    expect(w.stores.Tier.tier[e]).toBe(0);
    expect(w.stores.Tier.lastTickedAt[e]).toBe(w.clock.now);
    expect(w.stores.Behavior.hunger[e]).toBeCloseTo(rate * w.clock.now, 5);
  });

  it('decisions follow time-of-day and day-of-week windows and need thresholds', () => {
    const chosen = (at: number, energy: number, hunger: number) => {
      const w = world();
      w.clock.now = at;
      const e = spawnNpc(w, 100, 100);
      w.stores.Behavior.energy[e] = energy;
      w.stores.Behavior.hunger[e] = hunger;
      runStep(w);
      return w.npcSim.activities.names[w.stores.Behavior.activity[e]];
    };
    expect(chosen(9 * HOUR, 0.9, 0.1)).toBe('work'); // weekday 0, 09:00
    expect(chosen(5 * DAY + 9 * HOUR, 0.9, 0.1)).not.toBe('work'); // day 5: no work
    expect(chosen(20 * HOUR, 0.9, 0.1)).not.toBe('work'); // after hours
    expect(chosen(23 * HOUR, 0.15, 0.1)).toBe('sleep');
    expect(chosen(13 * HOUR, 0.9, 0.9)).toBe('eat');
  });

  it('bad definitions are refused with every problem listed, and change nothing', () => {
    const w = world();
    const before = w.npcSim.activities;
    let err: unknown;
    try {
      setBehaviorDefinitions(
        w.npcSim,
        [{ name: 'Bad Name', minDurationSeconds: -1, utility: { base: 1 }, hours: [3, 30], chain: 'nope' }],
        [{ name: 'c', range: 10, cooldownSeconds: 5, steps: [{ waitHours: -2, intent: 'dance' as 'talk' }] }],
      );
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: ErrorCode.BEHAVIOR_INVALID });
    const msg = (err as Error).message;
    expect(msg).toContain('chains[0].steps[0].waitHours must be a number >= 0');
    expect(msg).toContain('chains[0].steps[0].intent must be one of');
    expect(w.npcSim.activities).toBe(before);
  });

  it('determinism: same seed, same hash with tiering, selection, behavior and chains on', () => {
    const run = (seed: number) => {
      const w = world({ tickIntervalSeconds: 0.05, timeScale: 60, maxNpcTicksPerStep: 300 }, seed);
      w.clock.now = 10 * HOUR; // daytime: work and socialize offer chains
      populateNpcs(w, { count: 3000 });
      const players: number[] = [];
      for (let i = 0; i < 30; i++) {
        const p = spawnPlayer(w, nextRange(w.rng, 0, 2000), nextRange(w.rng, 0, 2000));
        w.stores.Velocity.x[p] = nextRange(w.rng, -4, 4);
        w.stores.Velocity.y[p] = nextRange(w.rng, -4, 4);
        players.push(p);
      }
      for (let s = 0; s < 400; s++) runStep(w);
      return {
        hash: hashWorldState(w),
        chains: w.tierStats.chainsAdvancedTotal,
        intents: w.intents.counters.enqueued,
        ticks: w.tierStats.ticksTotalPerTier.reduce((a, b) => a + b, 0),
      };
    };
    const a = run(5);
    expect(run(5)).toEqual(a);
    expect(run(6).hash).not.toBe(a.hash);
    expect(a.chains).toBeGreaterThan(0);
    expect(a.intents).toBeGreaterThan(0);
    expect(a.ticks).toBeGreaterThan(0);
  });
});
