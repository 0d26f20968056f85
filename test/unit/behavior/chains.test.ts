import { describe, expect, it } from 'vitest';
import { tickTime } from '../../../components/world-time.js';
import { LoopRunner } from '../../../src/loop/loop-runner.js';
import { chainReady, startChain } from '../../../src/behavior/chain-runtime.js';
import { IntentKind, type Intent } from '../../../src/intents/intent-queue.js';
import { createSimWorld, despawnEntity, spawnNpc, spawnPlayer, type SimWorld } from '../../../src/world/sim-world.js';
import { pauseWorld, resumeWorld, runStep, stepWorld } from '../../../src/world/step.js';
import { setBehaviorDefinitions } from '../../../src/tiers/tier-state.js';

/** One player, one NPC next to it (detailed) and one far away (dormant, hourly ticks). */
const chainWorld = (tickIntervalSeconds: number, timeScale: number) => {
  const w = createSimWorld({
    id: 'c',
    capacity: 100,
    size: 2000,
    config: { controller: { enabled: false }, simulation: { tickIntervalSeconds, timeScale, maxCatchUpSteps: 3 } },
  });
  setBehaviorDefinitions(
    w.npcSim,
    [{ name: 'idle', minDurationSeconds: 8e6, utility: { base: 1 } }],
    [{ name: 'two-hours', range: 100, cooldownSeconds: 3600, steps: [{ waitHours: 2, intent: 'talk' }] }],
  );
  const player = spawnPlayer(w, 100, 100);
  const near = spawnNpc(w, 110, 100);
  const far = spawnNpc(w, 1900, 1900);
  runStep(w); // index built, tiers assigned
  return { w, player, near, far };
};

const drainAll = (w: SimWorld): Intent[] => {
  const got: Intent[] = [];
  w.intents.drain(1000, (i) => got.push({ ...i }));
  return got;
};

describe('interaction chains on world time', () => {
  it('a chain with waitHours=2 advances after exactly 2 world hours (detailed and dormant NPCs alike)', () => {
    const { w, player, near, far } = chainWorld(1, 60); // 60 world s per step
    expect(w.stores.Tier.tier[near]).toBe(0);
    expect(w.stores.Tier.tier[far]).toBe(3);
    const t0 = w.clock.now;
    expect(startChain(w, near, 0, player)).toBe(true);
    expect(startChain(w, far, 0, player)).toBe(true);
    pauseWorld(w);
    stepWorld(w, 119);
    expect(w.clock.now).toBe(t0 + 7140);
    expect(w.stores.Interaction.chain[near]).toBe(0);
    expect(w.tierStats.chainsAdvancedTotal).toBe(0);
    expect(drainAll(w)).toEqual([]);
    stepWorld(w, 1);
    expect(w.clock.now).toBe(t0 + 7200);
    expect(w.stores.Interaction.chain[near]).toBe(-1);
    expect(w.stores.Interaction.chain[far]).toBe(-1);
    expect(tickTime(w.stores.Time, w.stores.Interaction.lastInteractionAt[near])).toBe(t0 + 7200);
    expect(tickTime(w.stores.Time, w.stores.Interaction.lastInteractionAt[far])).toBe(t0 + 7200);
    expect(w.tierStats.chainsAdvanced).toBe(2);
    const got = drainAll(w);
    expect(got.map((i) => [i.npc, i.player, i.kind, i.at])).toEqual([
      [near, player, IntentKind.talk, t0 + 7200],
      [far, player, IntentKind.talk, t0 + 7200],
    ]);
  });

  it('regardless of wall time: a loop driven by a wall clock that stalls for hours still advances at 2 world hours', () => {
    const { w, player, near } = chainWorld(1, 60);
    const t0 = w.clock.now;
    startChain(w, near, 0, player);
    let wall = 0;
    const runner = new LoopRunner({ now: () => wall });
    runner.add(w);
    let stepsAtAdvance = -1;
    for (let i = 0; i < 400 && stepsAtAdvance < 0; i++) {
      wall += i % 7 === 3 ? 3 * 3600 * 1000 : 1000; // sometimes a 3-hour wall stall (catch-up capped at 3 steps)
      runner.runDue(wall);
      if (w.stores.Interaction.chain[near] === -1) stepsAtAdvance = w.clock.step;
    }
    expect(tickTime(w.stores.Time, w.stores.Interaction.lastInteractionAt[near])).toBe(t0 + 7200);
    expect(stepsAtAdvance).toBe(1 + 120);
    expect(w.counters.droppedSteps).toBeGreaterThan(0); // the stalls really happened
  });

  it('timeScale sets how fast chains and cooldowns expire; pausing freezes them', () => {
    const stepsUntil = (timeScale: number) => {
      const { w, player, near } = chainWorld(1, timeScale);
      startChain(w, near, 0, player);
      pauseWorld(w);
      let n = 0;
      while (w.stores.Interaction.chain[near] !== -1) {
        stepWorld(w, 1);
        n++;
      }
      let c = 0;
      while (!chainReady(w, near, 0)) {
        stepWorld(w, 1);
        c++;
      } // 1 h chain cooldown (and the 15 min gap)
      return [n, c];
    };
    expect(stepsUntil(60)).toEqual([120, 60]);
    expect(stepsUntil(120)).toEqual([60, 30]);
    expect(stepsUntil(240)).toEqual([30, 15]);

    const { w, player, near } = chainWorld(1, 60);
    startChain(w, near, 0, player);
    let wall = 0;
    const runner = new LoopRunner({ now: () => wall });
    runner.add(w);
    pauseWorld(w);
    const frozenAt = w.clock.now;
    for (let i = 0; i < 50; i++) {
      wall += 3600 * 1000;
      runner.runDue(wall);
    } // 50 wall hours, paused
    expect(w.clock.now).toBe(frozenAt);
    expect(w.stores.Interaction.chain[near]).toBe(0);
    resumeWorld(w);
    for (let i = 0; i < 200 && w.stores.Interaction.chain[near] !== -1; i++) {
      wall += 1000;
      runner.runDue(wall);
    }
    expect(tickTime(w.stores.Time, w.stores.Interaction.lastInteractionAt[near])).toBe(frozenAt + 7200);
  });

  it('a chain whose target player left is aborted at the NPC’s next tick and its cooldowns start', () => {
    const { w, player, near } = chainWorld(1, 60);
    startChain(w, near, 0, player);
    despawnEntity(w, player);
    runStep(w);
    const I = w.stores.Interaction;
    expect(I.chain[near]).toBe(-1);
    expect(I.target[near]).toBe(-1);
    expect(tickTime(w.stores.Time, w.stores.ChainTimers.cooldown0[I.timerRow[near]])).toBe(w.clock.now + 3600);
    expect(chainReady(w, near, 0)).toBe(false);
    expect(drainAll(w)).toEqual([]);
  });
});
