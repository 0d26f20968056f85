import { describe, expect, it } from 'vitest';
import { planBalance, type BalanceInstance, type BalancePlan, type BalanceWorld } from '../../../src/cluster/balancer.js';
import { ErrorCode } from '../../../src/errors.js';

const ids3 = ['a', 'b', 'c'];

/** Instances whose measured load is exactly the sum of their worlds' (plus an optional base). */
const instancesFor = (ids: readonly string[], worlds: readonly BalanceWorld[], base: Record<string, number> = {}): BalanceInstance[] =>
  ids.map((id) => ({ id, load: (base[id] ?? 0) + worlds.filter((w) => w.instanceId === id).reduce((s, w) => s + w.load, 0) }));

const worldsOn = (loads: readonly number[], where: readonly string[]): BalanceWorld[] =>
  loads.map((load, i) => ({ id: `w${String(i).padStart(2, '0')}`, instanceId: where[i], load }));

/** Applies a plan's moves to the input, independently of the plan's own `after`. */
const apply = (
  ids: readonly string[],
  worlds: readonly BalanceWorld[],
  plan: BalancePlan,
  base: Record<string, number> = {},
): Record<string, number> => {
  const at = new Map(worlds.map((w) => [w.id, w.instanceId]));
  for (const m of plan.moves) {
    expect(at.get(m.worldId), `move of ${m.worldId} starts where the world is`).toBe(m.from);
    at.set(m.worldId, m.to);
  }
  expect(new Set(plan.moves.map((m) => m.worldId)).size, 'each world moves at most once').toBe(plan.moves.length);
  const out: Record<string, number> = {};
  for (const id of ids) out[id] = base[id] ?? 0;
  for (const w of worlds) out[at.get(w.id)!] += w.load;
  return out;
};

const withinBand = (loads: Record<string, number>, tolerance = 0.1): boolean => {
  const v = Object.values(loads);
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  return v.every((x) => Math.abs(x - mean) <= mean * tolerance + 1e-9);
};

/** Brute force: can `loads` be split over `n` instances all within ±10 % of the mean? */
const feasible = (loads: readonly number[], n: number): boolean => {
  const mean = loads.reduce((s, x) => s + x, 0) / n;
  const sums = new Array<number>(n).fill(0);
  const rec = (i: number): boolean => {
    if (i === loads.length) return sums.every((s) => Math.abs(s - mean) <= mean * 0.1 + 1e-9);
    for (let k = 0; k < n; k++) {
      if (sums[k] + loads[i] > mean * 1.1 + 1e-9) continue;
      sums[k] += loads[i];
      if (rec(i + 1)) return true;
      sums[k] -= loads[i];
      if (sums[k] === 0) break; // empty instances are interchangeable
    }
    return false;
  };
  return rec(0);
};

const rng = (seed: number): (() => number) => {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
};

describe('planBalance', () => {
  it('12 worlds of unequal load all on one instance end within 10 % of the mean on 3 instances', () => {
    const loads = [10, 9, 8, 7, 6, 5, 5, 4, 3, 2, 1, 1];
    const worlds = worldsOn(
      loads,
      loads.map(() => 'a'),
    );
    const plan = planBalance(instancesFor(ids3, worlds), worlds, { now: 0 });
    expect(plan.status).toBe('balanced');
    expect(plan.mean).toBeCloseTo(61 / 3);
    const after = apply(ids3, worlds, plan);
    expect(after).toEqual(plan.after);
    expect(withinBand(after)).toBe(true);
    expect(plan.moves.every((m) => m.from === 'a')).toBe(true);
  });

  it('12 worlds spread 8/3/1 end within 10 % of the mean, moving few worlds', () => {
    const loads = [12, 3, 7, 9, 2, 6, 4, 8, 5, 11, 1, 10];
    const where = ['a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'b', 'b', 'b', 'c'];
    const worlds = worldsOn(loads, where);
    const plan = planBalance(instancesFor(ids3, worlds), worlds, { now: 0 });
    expect(plan.status).toBe('balanced');
    expect(withinBand(apply(ids3, worlds, plan))).toBe(true);
    expect(plan.moves.length).toBeLessThanOrEqual(4);
  });

  it('seeded random 12-world, 3-instance cases: balanced whenever brute force says it is possible, and then within 10 %', () => {
    const next = rng(42);
    let possible = 0;
    for (let trial = 0; trial < 150; trial++) {
      const loads = Array.from({ length: 12 }, () => 1 + Math.floor(next() * 20));
      const where = loads.map(() => ids3[Math.floor(next() * 3)]);
      const worlds = worldsOn(loads, where);
      const plan = planBalance(instancesFor(ids3, worlds), worlds, { now: 0 });
      if (plan.status === 'idle') continue;
      const ok = feasible(loads, 3);
      if (ok) possible++;
      expect(plan.status, `trial ${trial}: ${JSON.stringify({ loads, where })}`).toBe(ok ? 'balanced' : 'unbalanced');
      if (ok) expect(withinBand(apply(ids3, worlds, plan))).toBe(true);
    }
    expect(possible).toBeGreaterThan(100);
  });

  it('one world heavier than the mean: a clear unbalanced result naming it; other worlds leave its instance', () => {
    const worlds = worldsOn([50, 5, 5, 5, 5, 5, 5], ['a', 'a', 'a', 'b', 'b', 'c', 'c']);
    const plan = planBalance(instancesFor(ids3, worlds), worlds, { now: 0 });
    expect(plan.status).toBe('unbalanced');
    expect(plan.blockers).toContainEqual({ kind: 'world-too-heavy', worldId: 'w00', load: 50, high: expect.any(Number) });
    const after = apply(ids3, worlds, plan);
    expect(after.a).toBe(50);
    expect(plan.moves.map((m) => m.worldId).sort()).toEqual(['w01', 'w02']);
    // Stable: planning again from the result moves nothing more.
    const moved = worlds.map((w) => ({ ...w, instanceId: plan.moves.find((m) => m.worldId === w.id)?.to ?? w.instanceId }));
    const again = planBalance(instancesFor(ids3, moved), moved, { now: 0 });
    expect(again.status).toBe('unbalanced');
    expect(again.moves).toEqual([]);
  });

  it('hysteresis: nothing moves unless an instance exceeds the mean by more than 10 %', () => {
    // mean 100: a is 9 % over, c is 12 % under — no instance exceeds the band's top.
    const worlds = worldsOn([60, 49, 50, 53, 38, 50], ['a', 'a', 'b', 'b', 'c', 'c']);
    const plan = planBalance(instancesFor(ids3, worlds), worlds, { now: 0 });
    expect(plan.before).toEqual({ a: 109, b: 103, c: 88 });
    expect(plan).toMatchObject({ status: 'idle', moves: [], blockers: [] });
    // 11 % over: it acts.
    const w2 = worldsOn([60, 51, 50, 51, 38, 50], ['a', 'a', 'b', 'b', 'c', 'c']);
    const p2 = planBalance(instancesFor(ids3, w2), w2, { now: 0 });
    expect(p2.before.a).toBe(111);
    expect(p2.moves.length).toBeGreaterThan(0);
  });

  it('cooldown: a world just moved is never moved back (or anywhere) until the cooldown passes', () => {
    const now = 1_000_000;
    // w00 came from b to a 10 s ago; a is now overloaded because of it.
    const worlds: BalanceWorld[] = [
      { id: 'w00', instanceId: 'a', load: 30, lastMovedAt: now - 10_000 },
      { id: 'w01', instanceId: 'a', load: 30, lastMovedAt: now - 10_000 },
      { id: 'w02', instanceId: 'b', load: 20 },
      { id: 'w03', instanceId: 'c', load: 10 },
    ];
    const ids = ['a', 'b', 'c'];
    const plan = planBalance(instancesFor(ids, worlds), worlds, { now, cooldownMs: 60_000 });
    expect(plan.moves.filter((m) => m.worldId === 'w00' || m.worldId === 'w01')).toEqual([]);
    expect(plan.status).toBe('unbalanced');
    expect(plan.blockers).toContainEqual({ kind: 'cooldown', worldId: 'w00', instanceId: 'a' });
    const later = planBalance(instancesFor(ids, worlds), worlds, { now: now + 60_000, cooldownMs: 60_000 });
    expect(later.status).toBe('balanced');
    expect(later.moves.map((m) => m.worldId)).toContain('w00');
  });

  it('an instance base load (not explained by its worlds) stays; moves work around it', () => {
    const worlds = worldsOn([10, 10, 10, 10, 10, 10], ['a', 'a', 'a', 'a', 'a', 'a']);
    const base = { b: 30 };
    const plan = planBalance(instancesFor(ids3, worlds, base), worlds, { now: 0 });
    expect(plan.status).toBe('balanced');
    expect(apply(ids3, worlds, plan, base)).toEqual({ a: 30, b: 30, c: 30 });
  });

  it('deterministic, independent of input order; orphan worlds are reported, not moved', () => {
    const loads = [7, 3, 9, 1, 4, 8, 2, 6];
    const worlds = [
      ...worldsOn(
        loads,
        loads.map(() => 'a'),
      ),
      { id: 'lost', instanceId: 'gone', load: 5 },
    ];
    const inst = instancesFor(ids3, worlds);
    const p1 = planBalance(inst, worlds, { now: 0 });
    const p2 = planBalance([...inst].reverse(), [...worlds].reverse(), { now: 0 });
    expect(p2).toEqual(p1);
    expect(p1.orphanWorlds).toEqual(['lost']);
    expect(p1.moves.some((m) => m.worldId === 'lost')).toBe(false);
  });

  it('respects maxMoves and says so', () => {
    const worlds = worldsOn([1, 1, 1, 1, 1, 1, 1, 1, 1], Array(9).fill('a'));
    const plan = planBalance(instancesFor(ids3, worlds), worlds, { now: 0, maxMoves: 2 });
    expect(plan.moves).toHaveLength(2);
    expect(plan.status).toBe('unbalanced');
    expect(plan.blockers).toContainEqual({ kind: 'move-limit', maxMoves: 2 });
  });

  it('refuses bad input with every problem listed', () => {
    expect(() =>
      planBalance(
        [
          { id: 'a', load: -1 },
          { id: 'a', load: 0 },
        ],
        [{ id: 'w', instanceId: 'a', load: Number.NaN }],
        { tolerance: 2, maxMoves: -1 },
      ),
    ).toThrow(
      expect.objectContaining({
        code: ErrorCode.OPTION_INVALID,
        details: {
          problems: ['tolerance must be a number in (0, 1)', 'maxMoves must be an integer >= 0'],
        },
      }),
    );
    expect(() =>
      planBalance(
        [
          { id: 'a', load: -1 },
          { id: 'a', load: 0 },
        ],
        [{ id: 'w', instanceId: 'a', load: Number.NaN }],
      ),
    ).toThrow(
      expect.objectContaining({
        details: {
          problems: ['instance ids must be unique', 'instances[0].load must be a number >= 0', 'worlds[0].load must be a number >= 0'],
        },
      }),
    );
  });

  it('one instance or no load: idle', () => {
    expect(planBalance([{ id: 'a', load: 5 }], [{ id: 'w', instanceId: 'a', load: 5 }]).status).toBe('idle');
    expect(planBalance(instancesFor(ids3, []), []).status).toBe('idle');
  });
});
