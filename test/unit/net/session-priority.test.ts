import { describe, expect, it } from 'vitest';
import { resolveNetConfig } from '../../../src/net/net-config.js';
import {
  classFromToken,
  cooldownOf,
  createOverloadState,
  deferFloors,
  loadLevel,
  pressureOf,
  SessionClass,
  sessionPriority,
  updateLadder,
  updateOverload,
} from '../../../src/net/session-priority.js';
import { deferLimit } from '../../../src/net/replicate-phase.js';
import { createConn, createSession } from '../../../src/net/session.js';

const cfg = resolveNetConfig({ ladderDownBytes: 1000, ladderHoldSteps: 3, ladderUpSteps: 2, activeInputMs: 1000, crowdPlayers: 5 });
const mk = (cls: number) => createSession(createConn(1, 0, 1), 'w', 1, 'n', 't', 80, cls);

describe('session priority', () => {
  it('classes come from the token by default', () => {
    expect(classFromToken('')).toBe('player');
    expect(classFromToken('abc')).toBe('player');
    expect(classFromToken('spectator')).toBe('spectator');
    expect(classFromToken('bot:42')).toBe('bot');
    expect(classFromToken('observer:x:y')).toBe('observer');
    expect(classFromToken('spectators')).toBe('player');
  });

  it('orders bots/observers < spectators < idle players < active players < active players in a crowd', () => {
    const now = 10_000;
    const bot = mk(SessionClass.bot),
      obs = mk(SessionClass.observer),
      spec = mk(SessionClass.spectator);
    const idle = mk(SessionClass.player),
      active = mk(SessionClass.player),
      crowded = mk(SessionClass.player);
    idle.lastInputAt = now - 5000;
    active.lastInputAt = now - 100;
    crowded.lastInputAt = now - 100;
    crowded.crowd = 5;
    const p = [bot, obs, spec, idle, active, crowded].map((s) => sessionPriority(s, cfg, now));
    expect(p).toEqual([0, 0, 1, 2, 3, 4]);
    // Degradation under pressure: lowest priority first, players never past level 2 (no cooldown).
    expect(pressureOf(0)).toBe(0);
    expect(pressureOf(1)).toBe(2);
    expect(pressureOf(3)).toBe(4);
    const at = (pressure: number) =>
      [bot, spec, idle, active, crowded].map((s) => loadLevel(s.cls, sessionPriority(s, cfg, now), pressure));
    expect(at(0)).toEqual([0, 0, 0, 0, 0]);
    expect(at(2)).toEqual([2, 1, 0, 0, 0]);
    expect(at(4)).toEqual([4, 3, 2, 1, 0]);
    expect([0, 1, 2, 3, 4].map(cooldownOf)).toEqual([1, 1, 1, 2, 4]);
  });

  it('the ladder steps down on backpressure (held between moves) and up after clean sends', () => {
    const s = mk(SessionClass.player);
    expect(updateLadder(s, cfg, 5000, 10)).toBe(-1);
    expect(s.ladder).toBe(1);
    expect(updateLadder(s, cfg, 5000, 11)).toBe(0); // held
    expect(updateLadder(s, cfg, 5000, 13)).toBe(-1);
    expect(s.ladder).toBe(2);
    expect(updateLadder(s, cfg, 500, 14)).toBe(0); // some buffered: no climb
    expect(updateLadder(s, cfg, 0, 15)).toBe(0);
    expect(updateLadder(s, cfg, 0, 16)).toBe(1);
    expect(s.ladder).toBe(1);
    expect(updateLadder(s, cfg, 0, 17)).toBe(0);
    expect(updateLadder(s, cfg, 0, 18)).toBe(1);
    expect(s.ladder).toBe(0);
    expect(updateLadder(s, cfg, 0, 19)).toBe(0);
  });
});

describe('deferral floors under load (idlePlayerMinHz, nonPlayerMinHz)', () => {
  it('defaults, validation, and the steps a session may be deferred in a row', () => {
    const d = resolveNetConfig({});
    expect(d.idlePlayerMinHz).toBe(4);
    expect(d.nonPlayerMinHz).toBe(1);
    expect(() => resolveNetConfig({ idlePlayerMinHz: 0 })).toThrow(/net\.idlePlayerMinHz/);
    expect(() => resolveNetConfig({ nonPlayerMinHz: Number.NaN })).toThrow(/net\.nonPlayerMinHz/);
    // 20 Hz step, snapshotHz 20 (every step): 4 Hz → every 5th step, 1 Hz → every 20th.
    expect(deferLimit(0.05, 1, 4, 20)).toBe(4);
    expect(deferLimit(0.05, 1, 1, 20)).toBe(19);
    expect(deferLimit(0.05, 1, 10, 20)).toBe(1);
    // A floor at or above the snapshot rate: never deferred.
    expect(deferLimit(0.05, 1, 20, 20)).toBe(0);
    expect(deferLimit(0.05, 1, 50, 20)).toBe(0);
    // 60 Hz step, snapshotHz 20 (every 3rd step): 4 Hz → a gap of at most 15 steps.
    expect(deferLimit(1 / 60, 3, 4, 20)).toBe(12);
  });
});

describe('overload floors (sustained overload: emergency while the loop runs late)', () => {
  it('defaults and validation of the overload options', () => {
    const d = resolveNetConfig({});
    expect(d.overloadIdlePlayerMinHz).toBe(1);
    expect(d.overloadNonPlayerMinHz).toBe(0.25);
    expect(d.overloadReplicateBudgetMs).toBe(0);
    expect(() => resolveNetConfig({ overloadReplicateBudgetMs: -1 })).toThrow(/net\.overloadReplicateBudgetMs/);
    expect(d.overloadLateFactor).toBe(1.1);
    expect(d.overloadEnterSteps).toBe(20);
    expect(d.overloadExitSteps).toBe(100);
    expect(() => resolveNetConfig({ overloadIdlePlayerMinHz: 0 })).toThrow(/net\.overloadIdlePlayerMinHz/);
    expect(() => resolveNetConfig({ overloadNonPlayerMinHz: -1 })).toThrow(/net\.overloadNonPlayerMinHz/);
    expect(() => resolveNetConfig({ overloadLateFactor: Number.NaN })).toThrow(/net\.overloadLateFactor/);
    expect(() => resolveNetConfig({ overloadEnterSteps: 0 })).toThrow(/net\.overloadEnterSteps/);
    expect(() => resolveNetConfig({ overloadExitSteps: 1.5 })).toThrow(/net\.overloadExitSteps/);
  });

  it('the floors in effect: normal, overload (the lower applies), non-players never above idle players', () => {
    const d = resolveNetConfig({});
    expect(deferFloors(d, false)).toEqual({ idleHz: 4, otherHz: 1 });
    expect(deferFloors(d, true)).toEqual({ idleHz: 1, otherHz: 0.25 });
    // 20 Hz step: idle every 20th step, non-players every 80th under overload.
    expect(deferLimit(0.05, 1, deferFloors(d, true).idleHz, 20)).toBe(19);
    expect(deferLimit(0.05, 1, deferFloors(d, true).otherHz, 20)).toBe(79);
    // An overload floor above the normal one never raises it.
    expect(deferFloors(resolveNetConfig({ overloadIdlePlayerMinHz: 10, overloadNonPlayerMinHz: 10 }), true)).toEqual({
      idleHz: 4,
      otherHz: 1,
    });
    // Non-players are capped by the idle players' floor in effect.
    expect(deferFloors(resolveNetConfig({ overloadIdlePlayerMinHz: 0.5, overloadNonPlayerMinHz: 2 }), true)).toEqual({
      idleHz: 0.5,
      otherHz: 0.5,
    });
  });

  it('enters after overloadEnterSteps late emergency runs, leaves after overloadExitSteps calm ones, holds longer on re-entry', () => {
    const c = resolveNetConfig({ overloadEnterSteps: 3, overloadExitSteps: 4 });
    const o = createOverloadState();
    let t = 0,
      step = 0;
    // Runs every `gap` ms at a 50 ms nominal step under `pressure`; returns the transitions.
    const run = (n: number, gap: number, pressure: number): number[] => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        t += gap;
        out.push(updateOverload(o, c, t, step++, 50, pressure));
      }
      return out;
    };
    // On time in emergency: never overloaded (the loop keeps its rate).
    run(40, 50, 4);
    expect(o.on).toBe(false);
    // Late (80 ms steps) but only degraded: not overloaded.
    run(60, 80, 2);
    expect(o.on).toBe(false);
    expect(o.meanIntervalMs).toBeGreaterThan(55);
    // Late and in emergency: on at the 2nd run (two 80 ms steps last longer than 3 nominal ones).
    expect(run(2, 80, 4)).toEqual([0, 1]);
    expect(o.on).toBe(true);
    // A calm run resets nothing while on until 4 calm runs in a row: emergency ends.
    expect(run(3, 80, 2)).toEqual([0, 0, 0]);
    expect(run(1, 80, 4)).toEqual([0]);
    expect(run(4, 80, 2)).toEqual([0, 0, 0, -1]);
    expect(o.on).toBe(false);
    // Back within 4 × the hold: the exit hold doubles (8 calm runs).
    expect(run(2, 80, 4)).toEqual([0, 1]);
    expect(o.exitSteps).toBe(8);
    expect(run(8, 80, 2)).toEqual([0, 0, 0, 0, 0, 0, 0, -1]);
    // Long calm since: a clean entry resets the hold.
    run(200, 50, 0);
    run(20, 80, 2); // late again, but not in emergency: still off
    expect(o.on).toBe(false);
    expect(run(2, 80, 4)).toEqual([0, 1]);
    expect(o.exitSteps).toBe(4);
    // Runs 40 ms apart (late by the mean, which the 80 ms steps before hold up; 120 ms in all): the count decides, on at the 3rd.
    run(200, 50, 0);
    run(40, 80, 2);
    expect(run(3, 40, 4)).toEqual([0, 0, 1]);
  });

  it('enters after overloadEnterSteps runs or their nominal wall time, whichever comes first; a stall counts 4 steps at most', () => {
    const c = resolveNetConfig({}); // 20 steps to enter: 1,000 ms at a 50 ms step
    expect(c.overloadEnterSteps).toBe(20);
    const runs = (gap: number, pressures: number[]): number[] => {
      const o = createOverloadState();
      let t = 0;
      updateOverload(o, c, t, 0, 50, 0); // the first run has no interval yet
      return pressures.map((p, i) => updateOverload(o, c, (t += gap), i + 1, 50, p));
    };
    const on = (xs: number[]): number => xs.indexOf(1) + 1; // the run (1-based) that turned overload on; 0 = never
    // 200 ms steps: five of them are 1,000 ms.
    expect(on(runs(200, Array(20).fill(4)))).toBe(5);
    // A 2 s stall is counted 200 ms: still five runs, never one.
    expect(on(runs(2000, Array(20).fill(4)))).toBe(5);
    // 60 ms steps: 17 of them pass 1,000 ms before the 20th run.
    expect(on(runs(60, Array(20).fill(4)))).toBe(17);
    // A calm run (not in emergency) starts the count and the time again.
    expect(on(runs(200, [4, 4, 4, 4, 2, 4, 4, 4, 4, 4]))).toBe(10);
  });

  it('lateFactor 0: emergency alone is overload; a pause does not hold the mean up', () => {
    const o = createOverloadState();
    const c = resolveNetConfig({ overloadLateFactor: 0, overloadEnterSteps: 2, overloadExitSteps: 2 });
    expect(updateOverload(o, c, 0, 0, 50, 4)).toBe(0);
    expect(updateOverload(o, c, 1, 1, 50, 4)).toBe(1);
    const p = createOverloadState();
    const d = resolveNetConfig({});
    updateOverload(p, d, 0, 0, 50, 0);
    updateOverload(p, d, 50, 1, 50, 0);
    updateOverload(p, d, 60_050, 2, 50, 0);
    expect(p.meanIntervalMs).toBeLessThanOrEqual(50 + 0.05 * 150 + 1e-9);
  });
});
