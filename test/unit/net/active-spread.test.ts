import { describe, expect, it } from 'vitest';
import {
  createActiveSpread,
  maxSpread,
  measureActiveCost,
  spreadLevel,
  spreadNeeded,
  spreadTarget,
  updateActiveSpread,
} from '../../../src/net/active-spread.js';
import { resolveNetConfig } from '../../../src/net/net-config.js';
import { createOverloadState, updateOverload } from '../../../src/net/session-priority.js';

const cfg = resolveNetConfig({ overloadExitSteps: 5 });
const TICK = 50;

describe('active-player spread under overload', () => {
  it('options: defaults 10 Hz and half the step, validated', () => {
    const d = resolveNetConfig();
    expect(d.overloadActivePlayerMinHz).toBe(10);
    expect(d.overloadActiveShare).toBe(0.5);
    expect(() => resolveNetConfig({ overloadActiveShare: 1.5 })).toThrow(/net\.overloadActiveShare/);
    expect(() => resolveNetConfig({ overloadActivePlayerMinHz: 0 })).toThrow(/net\.overloadActivePlayerMinHz/);
  });

  it('the floor bounds the spread: 20 Hz step, 10 Hz floor → 2 steps; 5 Hz → 4; 60 Hz step sent every 3rd → 2', () => {
    expect(maxSpread(0.05, 1, 10)).toBe(2);
    expect(maxSpread(0.05, 1, 5)).toBe(4);
    expect(maxSpread(0.05, 1, 20)).toBe(1);
    expect(maxSpread(0.05, 1, 10_000)).toBe(1);
    expect(maxSpread(1 / 60, 3, 10)).toBe(2);
  });

  it('active players are spread first, players in crowded regions last, never past the floor', () => {
    // Fits: nothing spread.
    expect(spreadTarget(10, 10, 25, 4)).toEqual({ active: 1, crowd: 1 });
    // Active players' own work over the budget: priority 3 spread (2 steps, then 3), crowd untouched.
    expect(spreadTarget(20, 10, 25, 4)).toEqual({ active: 2, crowd: 1 });
    expect(spreadTarget(40, 10, 25, 4)).toEqual({ active: 3, crowd: 1 });
    // Priority 3 at its floor and still over: only then the crowded ones.
    expect(spreadTarget(40, 20, 25, 4)).toEqual({ active: 4, crowd: 2 });
    // Nothing fits: both at the floor (the loop runs late; latency grows).
    expect(spreadTarget(400, 400, 25, 2)).toEqual({ active: 2, crowd: 2 });
    // Only crowded players: they are spread (there is nobody of lower priority left to spread).
    expect(spreadTarget(0, 40, 25, 2)).toEqual({ active: 2, crowd: 2 });
    expect([spreadLevel(1, 1), spreadLevel(2, 1), spreadLevel(2, 2), spreadLevel(4, 3)]).toEqual([0, 1, 2, 5]);
  });

  it('rises at once under overload, falls one level after overloadExitSteps calm runs, off with overload', () => {
    const o = createActiveSpread();
    // No estimate yet: nothing spread. Small samples accumulate until there are 16 snapshots.
    expect(updateActiveSpread(o, cfg, true, 2000, 500, 1, TICK)).toBe(0);
    measureActiveCost(o, 3, 0.048);
    expect(o.usPerSnapshot).toBe(0);
    // 16 µs per snapshot: 2,000 + 500 active players = 40 ms of a 50 ms step (budget 25 ms).
    measureActiveCost(o, 997, 15.952);
    expect(o.usPerSnapshot).toBeCloseTo(16);
    // Out of overload: never spread.
    expect(updateActiveSpread(o, cfg, false, 2000, 500, 1, TICK)).toBe(0);
    expect([o.active, o.crowd]).toEqual([1, 1]);
    // Overload: 32 ms + 8 ms → active players over 2 steps (16 + 8 = 24 ≤ 25), crowded ones not.
    expect(updateActiveSpread(o, cfg, true, 2000, 500, 1, TICK)).toBe(1);
    expect([o.active, o.crowd]).toEqual([2, 1]);
    expect(spreadNeeded(o, cfg, 2000, 500, 1, TICK)).toBe(true);
    // More crowded players: they are spread too.
    expect(updateActiveSpread(o, cfg, true, 2000, 1500, 1, TICK)).toBe(1);
    expect([o.active, o.crowd]).toEqual([2, 2]);
    expect(o.raised).toBe(2);
    // Load falls to 1,000 + 500: 24 ms unspread (over 0.8 × 25 = 20), 8 + 8 = 16 with only the active
    // players spread → the crowded players recover first, after 5 calm runs.
    for (let i = 0; i < 4; i++) expect(updateActiveSpread(o, cfg, true, 1000, 500, 1, TICK)).toBe(0);
    expect(updateActiveSpread(o, cfg, true, 1000, 500, 1, TICK)).toBe(-1);
    expect([o.active, o.crowd]).toEqual([2, 1]);
    // Unspread does not fit with the margin: it stays.
    for (let i = 0; i < 10; i++) expect(updateActiveSpread(o, cfg, true, 1000, 500, 1, TICK)).toBe(0);
    expect([o.active, o.crowd]).toEqual([2, 1]);
    // 1,000 + 200: 16 + 3.2 = 19.2 ≤ 20 → after 5 calm runs, no spread.
    for (let i = 0; i < 4; i++) expect(updateActiveSpread(o, cfg, true, 1000, 200, 1, TICK)).toBe(0);
    expect(updateActiveSpread(o, cfg, true, 1000, 200, 1, TICK)).toBe(-1);
    expect([o.active, o.crowd]).toEqual([1, 1]);
    // Overload off turns it off at once.
    updateActiveSpread(o, cfg, true, 3000, 3000, 1, TICK);
    expect(spreadLevel(o.active, o.crowd)).toBe(2);
    expect(updateActiveSpread(o, cfg, false, 3000, 3000, 1, TICK)).toBe(-1);
    expect([o.active, o.crowd]).toEqual([1, 1]);
  });

  it('a floor at or above the step rate turns it off', () => {
    const o = createActiveSpread();
    measureActiveCost(o, 1000, 100);
    const off = resolveNetConfig({ overloadActivePlayerMinHz: 20 });
    expect(updateActiveSpread(o, off, true, 5000, 5000, 1, TICK)).toBe(0);
    expect([o.active, o.crowd]).toEqual([1, 1]);
  });

  it('while the spread is needed, overload holds even when the loop is on time and the controller calm', () => {
    const c = { overloadLateFactor: 1.1, overloadEnterSteps: 2, overloadExitSteps: 3 };
    const ov = createOverloadState();
    let t = 0,
      step = 0;
    const run = (interval: number, pressure: number, hold: boolean): number => {
      t += interval;
      return updateOverload(ov, c, t, step++, TICK, pressure, hold);
    };
    for (let i = 0; i < 4; i++) run(80, 4, false);
    expect(ov.on).toBe(true);
    // On time, controller degraded: calm runs — but held while the spread is needed.
    for (let i = 0; i < 50; i++) run(50, 2, true);
    expect(ov.on).toBe(true);
    // Not needed any more: 3 calm runs turn it off.
    for (let i = 0; i < 3; i++) run(50, 2, false);
    expect(ov.on).toBe(false);
  });
});
