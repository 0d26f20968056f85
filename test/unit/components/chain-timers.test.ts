import { describe, expect, it } from 'vitest';
import { CHAIN_TIMER_SWEEP_STEPS, chainTimerTableRows, tickTime } from '../../../components/index.js';
import { chainReady, startChain } from '../../../src/behavior/chain-runtime.js';
import { createSimWorld, despawnEntity, spawnNpc, spawnPlayer, type SimWorld } from '../../../src/world/sim-world.js';
import { hashWorldState } from '../../../src/world/state-hash.js';
import { pauseWorld, runStep, stepWorld } from '../../../src/world/step.js';
import { setBehaviorDefinitions } from '../../../src/tiers/tier-state.js';
import { captureWorld, encodeCapture, restoreWorld } from '../../../src/persist/world-snapshot.js';

/** 60 world seconds per step; a one-step chain with a one-hour wait and a one-hour cooldown. */
const content = (w: SimWorld): void =>
  setBehaviorDefinitions(
    w.npcSim,
    [{ name: 'idle', minDurationSeconds: 8e6, utility: { base: 1 } }],
    [{ name: 'hour', range: 100, cooldownSeconds: 3600, steps: [{ waitHours: 1, intent: 'talk' }] }],
  );

const build = () => {
  const w = createSimWorld({
    id: 'ct',
    capacity: 64,
    config: { controller: { enabled: false }, simulation: { tickIntervalSeconds: 1, timeScale: 60 } },
  });
  content(w);
  const player = spawnPlayer(w, 100, 100);
  const npcs = [spawnNpc(w, 110, 100), spawnNpc(w, 120, 100), spawnNpc(w, 130, 100)];
  runStep(w);
  pauseWorld(w);
  return { w, player, npcs };
};

describe('chain-timer table (per-NPC chain waits and cooldowns, only while they matter)', () => {
  it('an NPC takes a row when its chain starts, keeps it through its cooldowns, and the sweep frees it after', () => {
    const { w, player, npcs } = build();
    const [a, b, c] = npcs;
    const I = w.stores.Interaction;
    expect([I.timerRow[a], I.timerRow[b], I.timerRow[c]]).toEqual([0, 0, 0]);
    expect(startChain(w, b, 0, player)).toBe(true);
    expect(startChain(w, a, 0, player)).toBe(true);
    expect([I.timerRow[b], I.timerRow[a], I.timerRow[c]]).toEqual([1, 2, 0]); // lowest free row, in start order
    stepWorld(w, 60); // the wait (1 h) passes: the chain acts and ends, cooldowns start
    expect(I.chain[a]).toBe(-1);
    expect(I.timerRow[a]).toBe(2);
    const T = w.stores.ChainTimers;
    const endsAt = tickTime(w.stores.Time, T.cooldown0[I.timerRow[a]]);
    expect(endsAt).toBe(tickTime(w.stores.Time, I.lastInteractionAt[a]) + 3600);
    expect(chainReady(w, a, 0)).toBe(false);
    // Cooldowns pass (1 h); rows stay until the next sweep, and read the same either way.
    while (w.clock.now < endsAt) stepWorld(w, 1);
    expect(chainReady(w, a, 0)).toBe(true);
    expect(I.timerRow[a]).toBe(2);
    while (w.clock.step % CHAIN_TIMER_SWEEP_STEPS !== 0) stepWorld(w, 1);
    stepWorld(w, 1); // the time system of this step sweeps
    expect([I.timerRow[a], I.timerRow[b]]).toEqual([0, 0]);
    expect(chainTimerTableRows(w.stores)).toBe(1);
    expect(chainReady(w, a, 0)).toBe(true);
    // A despawned NPC's row is freed at once.
    expect(startChain(w, c, 0, player)).toBe(true);
    expect(I.timerRow[c]).toBe(1);
    despawnEntity(w, c);
    expect(chainTimerTableRows(w.stores)).toBe(1);
  });

  it('a checkpoint taken mid-chain and mid-cooldown restores the rows: the same hash, then the same future', async () => {
    const { w, player, npcs } = build();
    startChain(w, npcs[0], 0, player);
    stepWorld(w, 30);
    startChain(w, npcs[2], 0, player);
    stepWorld(w, 40); // npcs[0] cooling down, npcs[2] waiting
    const r = await restoreWorld(await encodeCapture(captureWorld(w)));
    content(r); // content definitions are not part of a checkpoint
    expect(hashWorldState(r)).toBe(hashWorldState(w));
    expect(Array.from(npcs, (e) => r.stores.Interaction.timerRow[e])).toEqual(Array.from(npcs, (e) => w.stores.Interaction.timerRow[e]));
    for (const x of [w, r]) {
      stepWorld(x, 300);
      startChain(x, npcs[1], 0, player);
      stepWorld(x, 100);
    }
    expect(hashWorldState(r)).toBe(hashWorldState(w));
  });
});
