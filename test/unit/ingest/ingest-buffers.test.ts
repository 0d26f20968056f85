import { playerRow } from '../../../components/player-table.js';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/errors.js';
import { createSimWorld, spawnPlayer, type SimWorld } from '../../../src/world/sim-world.js';
import { runStep } from '../../../src/world/step.js';

const world = (): SimWorld => createSimWorld({ id: 'ing', capacity: 64 });
const code = (c: string) => expect.objectContaining({ code: c });

describe('ingest buffers', () => {
  it('latestByKey coalesces one fact per key and applies the newest in first-arrival order', () => {
    const w = world();
    const applied: Array<[number, unknown]> = [];
    w.ingest.define('move', { mode: 'latestByKey', capacity: 8, apply: (_w, k, f) => applied.push([k, f]) });
    expect(w.ingest.push('move', 5, 'a')).toBe('accepted');
    expect(w.ingest.push('move', 3, 'b')).toBe('accepted');
    expect(w.ingest.push('move', 5, 'c')).toBe('coalesced');
    expect(w.ingest.stats()[0]).toMatchObject({ pending: 2, accepted: 2, coalesced: 1, dropped: 0 });
    runStep(w);
    expect(applied).toEqual([
      [5, 'c'],
      [3, 'b'],
    ]);
    expect(w.ingest.stats()[0]).toMatchObject({ pending: 0, drainedLastStep: 2, drained: 2 });
  });

  it('the input type sets player velocity and lastInputSeq inside the step', () => {
    const w = world();
    const p = spawnPlayer(w, 10, 10);
    w.ingest.define('input', {
      mode: 'latestByKey',
      capacity: 16,
      apply: (wd, key, fact) => {
        const f = fact as { seq: number; vx: number; vy: number };
        wd.stores.Velocity.x[key] = f.vx;
        wd.stores.Velocity.y[key] = f.vy;
        wd.stores.Player.lastInputSeq[playerRow(wd.stores, key)] = f.seq;
      },
    });
    w.ingest.push('input', p, { seq: 1, vx: 1, vy: 0 });
    w.ingest.push('input', p, { seq: 2, vx: 0, vy: 2 });
    expect(w.stores.Player.lastInputSeq[playerRow(w.stores, p)]).toBe(0); // nothing changes between steps
    w.ctx.budgets.ingestDrain = 0; // input is a floor lane: the budget cannot cut it
    runStep(w);
    expect(w.stores.Player.lastInputSeq[playerRow(w.stores, p)]).toBe(2);
    expect(w.stores.Velocity.y[p]).toBe(2);
    expect(w.ingest.stats()[0]).toMatchObject({ lane: 'input', coalesced: 1 });
  });

  it('dropOldest evicts the oldest and counts; rejectNewest refuses and counts', () => {
    const w = world();
    const got: unknown[] = [];
    w.ingest.define('q', { mode: 'queue', capacity: 3, apply: (_w, _k, f) => got.push(f) });
    w.ingest.define('r', { mode: 'queue', capacity: 2, dropPolicy: 'rejectNewest', apply: (_w, _k, f) => got.push(f) });
    expect([1, 2, 3, 4, 5].map((i) => w.ingest.push('q', 0, i))).toEqual(['accepted', 'accepted', 'accepted', 'dropped', 'dropped']);
    expect([1, 2, 3].map((i) => w.ingest.push('r', 0, `r${i}`))).toEqual(['accepted', 'accepted', 'rejected']);
    const [q, r] = w.ingest.stats();
    expect(q).toMatchObject({ pending: 3, fill: 1, accepted: 5, dropped: 2, rejected: 0 });
    expect(r).toMatchObject({ pending: 2, accepted: 2, dropped: 0, rejected: 1 });
    runStep(w);
    expect(got).toEqual([3, 4, 5, 'r1', 'r2']);
  });

  it('latestByKey at capacity drops the oldest key', () => {
    const w = world();
    const keys: number[] = [];
    w.ingest.define('m', { mode: 'latestByKey', capacity: 2, apply: (_w, k) => keys.push(k) });
    w.ingest.push('m', 1, 0);
    w.ingest.push('m', 2, 0);
    expect(w.ingest.push('m', 2, 1)).toBe('coalesced');
    expect(w.ingest.push('m', 3, 0)).toBe('dropped');
    runStep(w);
    expect(keys).toEqual([2, 3]);
    expect(w.ingest.stats()[0]).toMatchObject({ dropped: 1, coalesced: 1, accepted: 3 });
  });

  it('a critical lane never drops: grows to its hard bound, then rejects with a code', () => {
    const w = world();
    const got: number[] = [];
    w.ingest.define('purchase', { mode: 'queue', capacity: 4, critical: true, hardCapacity: 10, apply: (_w, k) => got.push(k) });
    for (let i = 0; i < 10; i++) {
      // At capacity from the 4th pending fact on (the soft capacity, below the hard bound).
      expect(w.ingest.atCapacity('purchase')).toBe(i >= 4);
      expect(w.ingest.push('purchase', i, null)).toBe('accepted');
    }
    expect(w.ingest.atCapacity('nope')).toBe(false);
    expect(() => w.ingest.push('purchase', 99, null)).toThrowError(code(ErrorCode.INGEST_CRITICAL_FULL));
    expect(w.ingest.stats()[0]).toMatchObject({ pending: 10, fill: 2.5, dropped: 0, rejected: 1, lane: 'critical' });
    w.ctx.budgets.ingestDrain = 0; // never cut by the budget
    runStep(w);
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('budgeted lanes are drained within ingestDrain, shared by weight, leftovers reused', () => {
    const w = world();
    let a = 0,
      b = 0;
    w.ingest.defineLane('bulk', { weight: 3 });
    w.ingest.define('a', { mode: 'queue', capacity: 100, lane: 'bulk', apply: () => void a++ });
    w.ingest.define('b', { mode: 'queue', capacity: 100, apply: () => void b++ });
    for (let i = 0; i < 100; i++) {
      w.ingest.push('a', i, 0);
      w.ingest.push('b', i, 0);
    }
    w.ctx.budgets.ingestDrain = 40;
    runStep(w);
    expect([a, b]).toEqual([30, 10]);
    expect(w.ingest.summary()).toMatchObject({ drainedLastStep: 40, pendingBudgeted: 160, cutLastStep: true });
    // Leftovers: lane b empty -> a gets the whole budget.
    for (let s = 0; s < 10 && b < 100; s++) runStep(w);
    const before = a;
    w.ctx.budgets.ingestDrain = 25;
    runStep(w);
    expect(b).toBe(100);
    expect(a - before).toBe(Math.min(25, 100 - before));
  });

  it('bad input is a coded error that changes nothing', () => {
    const w = world();
    w.ingest.define('m', {
      mode: 'queue',
      capacity: 2,
      apply: () => {
        throw new Error('bad fact');
      },
    });
    expect(() => w.ingest.push('nope', 1, {})).toThrowError(code(ErrorCode.INGEST_UNKNOWN_TYPE));
    expect(() => w.ingest.push('m', -1, {})).toThrowError(code(ErrorCode.INGEST_BAD_FACT));
    expect(() => w.ingest.push('m', 1.5, {})).toThrowError(code(ErrorCode.INGEST_BAD_FACT));
    expect(() => w.ingest.define('m', { mode: 'queue', capacity: 2, apply: () => {} })).toThrowError(code(ErrorCode.INGEST_TYPE_EXISTS));
    expect(() => w.ingest.define('x', { mode: 'fifo' as 'queue', capacity: 0, apply: () => {} })).toThrowError(
      /mode must be latestByKey or queue; capacity must be an integer/,
    );
    expect(w.ingest.stats()[0]).toMatchObject({ pending: 0, invalid: 2, accepted: 0 });
    // A throwing apply is counted; the world is not faulted.
    w.ingest.push('m', 1, {});
    runStep(w);
    expect(w.ingest.stats()[0]).toMatchObject({ applyErrors: 1, pending: 0 });
    expect(w.fault).toBeNull();
  });

  it('ratePerSecond follows arrivals per simulation second', () => {
    const w = createSimWorld({ id: 'rate', capacity: 8, config: { simulation: { tickIntervalSeconds: 0.05 } } });
    w.ingest.define('q', { mode: 'queue', capacity: 1000, apply: () => {} });
    for (let s = 0; s < 60; s++) {
      for (let i = 0; i < 5; i++) w.ingest.push('q', i, 0);
      runStep(w);
    }
    expect(w.ingest.stats()[0].ratePerSecond).toBeCloseTo(100, 0);
  });
});
