import { describe, expect, it } from 'vitest';
import {
  createWorldTime,
  deadlineTick,
  nowTick,
  rebaseWorldTime,
  stampTick,
  TICK_INFINITE,
  TICK_PAST,
  TICKS_PER_EPOCH,
  tickTime,
  TIME_EPOCH_SECONDS,
} from '../../../components/world-time.js';
import { startChain } from '../../../src/behavior/chain-runtime.js';
import { createSimWorld, spawnNpc, spawnPlayer } from '../../../src/world/sim-world.js';
import { hashWorldState } from '../../../src/world/state-hash.js';
import { pauseWorld, runStep, stepWorld } from '../../../src/world/step.js';
import { setBehaviorDefinitions } from '../../../src/tiers/tier-state.js';
import { captureWorld, encodeCapture, restoreWorld } from '../../../src/persist/world-snapshot.js';
import { ErrorCode } from '../../../src/errors.js';

const E = TIME_EPOCH_SECONDS;

describe('world-time ticks', () => {
  it('deadlines round up, stamps and now round down, so a timer never fires before its float64 time', () => {
    const t = createWorldTime();
    expect(t.base[0]).toBe(-E);
    const d = deadlineTick(t, 100.001);
    expect(tickTime(t, d)).toBeGreaterThanOrEqual(100.001);
    expect(tickTime(t, d) - 100.001).toBeLessThan(1 / 256);
    expect(nowTick(t, 100) >= d).toBe(false);
    expect(nowTick(t, 100.001) >= d).toBe(false); // 100.001 is between two ticks: the next tick fires it
    expect(nowTick(t, tickTime(t, d)) >= d).toBe(true);
    expect(tickTime(t, stampTick(t, 100.001))).toBeLessThanOrEqual(100.001);
    expect(tickTime(t, deadlineTick(t, 3600))).toBe(3600); // on the 1/256 s grid: exact
    expect(deadlineTick(t, Infinity)).toBe(TICK_INFINITE);
    expect(tickTime(t, TICK_INFINITE)).toBe(Infinity);
    expect(stampTick(t, -10 * E)).toBe(TICK_PAST);
  });

  it('a rebase moves the base by whole epochs and keeps every time it can still represent', () => {
    const t = createWorldTime();
    const now = 2.5 * E; // base -E: now is 3.5 epochs past it
    const a = new Uint32Array(4);
    a[1] = deadlineTick(t, now + 3600);
    a[2] = stampTick(t, -0.5 * E); // more than an epoch before the new base: clamps
    a[3] = TICK_INFINITE;
    const before1 = tickTime(t, a[1]);
    expect(rebaseWorldTime(t, now, [a], 4)).toBe(2);
    expect(t.base[0]).toBe(E);
    expect(tickTime(t, a[1])).toBe(before1);
    expect(a[2]).toBe(TICK_PAST);
    expect(a[3]).toBe(TICK_INFINITE);
    expect(rebaseWorldTime(t, now, [a], 4)).toBe(0); // now is inside [base + E, base + 2E)
    expect(a[1] - TICKS_PER_EPOCH).toBeGreaterThan(0);
  });

  it('a chain and its cooldown keep exact world-time semantics across time-base rebases (long-running world)', async () => {
    // 1 step = 1 world day: an epoch (2^22 s ≈ 48.5 days) passes every ~49 steps.
    const w = createSimWorld({
      id: 'long',
      capacity: 20,
      config: { controller: { enabled: false }, simulation: { tickIntervalSeconds: 1, timeScale: 86_400 } },
    });
    const content = (world: typeof w) =>
      setBehaviorDefinitions(
        world.npcSim,
        [{ name: 'idle', minDurationSeconds: 3 * 86_400, utility: { base: 1 } }],
        [{ name: 'slow', range: 100, cooldownSeconds: 90 * 86_400, steps: [{ waitDays: 40, intent: 'talk' }] }],
      );
    content(w);
    const player = spawnPlayer(w, 100, 100);
    const npc = spawnNpc(w, 110, 100);
    runStep(w);
    pauseWorld(w);
    const base0 = w.stores.Time.base[0];
    const t0 = w.clock.now;
    expect(startChain(w, npc, 0, player)).toBe(true);
    stepWorld(w, 39);
    expect(w.stores.Interaction.chain[npc]).toBe(0);
    stepWorld(w, 1);
    expect(w.clock.now).toBe(t0 + 40 * 86_400);
    expect(w.stores.Interaction.chain[npc]).toBe(-1);
    const I = w.stores.Interaction;
    expect(tickTime(w.stores.Time, I.lastInteractionAt[npc])).toBe(t0 + 40 * 86_400);
    const cooldownEnds = t0 + 130 * 86_400;
    expect(tickTime(w.stores.Time, w.stores.ChainTimers.cooldown0[I.timerRow[npc]])).toBe(cooldownEnds);
    // Run far past several epochs: the base follows world time and the cooldown still ends on time.
    stepWorld(w, 89);
    expect(w.stores.Time.base[0]).toBeGreaterThan(base0);
    expect(tickTime(w.stores.Time, w.stores.ChainTimers.cooldown0[I.timerRow[npc]])).toBe(cooldownEnds);
    expect(startChain(w, npc, 0, player)).toBe(false); // one world day before the cooldown ends
    stepWorld(w, 1);
    expect(w.clock.now).toBe(cooldownEnds);
    expect(startChain(w, npc, 0, player)).toBe(true);
    // A checkpoint carries the time base: the restored world has the same hash and continues alike.
    const r = await restoreWorld(await encodeCapture(captureWorld(w)));
    content(r); // content definitions are not part of a checkpoint
    expect(r.stores.Time.base[0]).toBe(w.stores.Time.base[0]);
    expect(hashWorldState(r)).toBe(hashWorldState(w));
    stepWorld(w, 200);
    stepWorld(r, 200);
    expect(hashWorldState(r)).toBe(hashWorldState(w));
  });

  it('refuses content durations beyond the timer range, naming the field', () => {
    const w = createSimWorld({ id: 'lim', capacity: 4 });
    expect(() => setBehaviorDefinitions(w.npcSim, [{ name: 'idle', minDurationSeconds: 1e9, utility: { base: 1 } }], [])).toThrow(
      expect.objectContaining({
        code: ErrorCode.BEHAVIOR_INVALID,
        message: expect.stringContaining('activities[0].minDurationSeconds must be <='),
      }),
    );
    expect(() =>
      setBehaviorDefinitions(
        w.npcSim,
        [{ name: 'idle', minDurationSeconds: 60, utility: { base: 1 } }],
        [{ name: 'c', range: 1, cooldownSeconds: 0, steps: [{ waitDays: 100 }] }],
      ),
    ).toThrow(expect.objectContaining({ message: expect.stringContaining('chains[0].steps[0] waits more than') }));
  });
});
