import { describe, expect, it } from 'vitest';
import { autoNext, autoRecord, createAutoState, type AutoState } from '../../../src/shards/auto-mode.js';

/** Run `steps` steps where a step costs `cost(sharded, i)` wall ms; returns the modes used. */
const drive = (a: AutoState, steps: number, cost: (sharded: boolean, i: number) => number): boolean[] => {
  const used: boolean[] = [];
  for (let i = 0; i < steps; i++) {
    const sh = autoNext(a);
    used.push(sh);
    autoRecord(a, cost(sh, i));
  }
  return used;
};

describe('auto mode choice', () => {
  it('switches to the cheaper mode only after two winning probes, each after one warm step', () => {
    const a = createAutoState(4, 64);
    // Sharded 8 ms, inline 10 ms: 20 % cheaper.
    const used = drive(a, 40, (sh) => (sh ? 8 : 10));
    // 4 inline (reference), 5 sharded (warm + 4), 1 skipped + 4 inline, 5 sharded: switch.
    expect(used.slice(0, 4)).toEqual([false, false, false, false]);
    expect(used.slice(4, 9)).toEqual([true, true, true, true, true]);
    expect(used.slice(9, 14)).toEqual([false, false, false, false, false]);
    expect(used.slice(14, 19)).toEqual([true, true, true, true, true]);
    expect(a.sharded).toBe(true);
    expect(a.switches).toBe(1);
    expect(used.slice(19)).toEqual(new Array(21).fill(true));
  });

  it('stays put when the other mode is not better by the margin', () => {
    const a = createAutoState(4, 16);
    drive(a, 400, (sh) => (sh ? 9.5 : 10)); // 5 % cheaper: under the 10 % margin
    expect(a.sharded).toBe(false);
    expect(a.probes).toBeGreaterThan(5);
    expect(a.switches).toBe(0);
  });

  it('compares windows of the same step mix and ignores the cold warm step', () => {
    const a = createAutoState(4, 16);
    // Every 4th step is 4× as expensive (ambient collision); sharded costs 0.8× but its first step
    // after a pause costs 100 ms. A one-step comparison would flap; windows pick sharded.
    let last = false;
    drive(a, 200, (sh, i) => {
      const cold = sh && !last;
      last = sh;
      const base = i % 4 === 0 ? 20 : 5;
      return cold ? 100 : sh ? base * 0.8 : base;
    });
    expect(a.sharded).toBe(true);
    expect(a.switches).toBe(1);
  });

  it('switches back when the mode in use becomes the slower one', () => {
    const a = createAutoState(4, 16);
    drive(a, 100, (sh) => (sh ? 8 : 10));
    expect(a.sharded).toBe(true);
    drive(a, 200, (sh) => (sh ? 14 : 10)); // e.g. other phases now compete for the second core
    expect(a.sharded).toBe(false);
    expect(a.switches).toBe(2);
  });
});
