import { describe, expect, it } from 'vitest';
import type { ControllerMode } from '../../../src/controller/controller.js';
import { ErrorCode } from '../../../src/errors.js';
import { EventBus } from '../../../src/periodic/event-bus.js';
import { PeriodicScheduler, type SchedulerTopics, type TaskRun } from '../../../src/periodic/scheduler.js';
import { createWorldScheduler } from '../../../src/periodic/world-periodic.js';
import { createSimWorld } from '../../../src/world/sim-world.js';
import { runStep } from '../../../src/world/step.js';

const setup = (o: { seed?: number; heartbeatSeconds?: number } = {}) => {
  const clock = { world: 0, wallMs: 0, mode: 'normal' as ControllerMode };
  const bus = new EventBus<SchedulerTopics>({ historySize: 64 });
  const s = new PeriodicScheduler({
    bus,
    worldNow: () => clock.world,
    wallNowMs: () => clock.wallMs,
    mode: () => clock.mode,
    seed: o.seed ?? 1,
    heartbeatSeconds: o.heartbeatSeconds ?? 0,
  });
  return { clock, bus, s };
};

describe('periodic scheduler', () => {
  it('is drift-free over 10,000 intervals: run k is at start + k·interval, late by less than one step', () => {
    const { clock, s } = setup();
    const runs: TaskRun[] = [];
    s.add('t', { intervalSeconds: 7, run: (r) => void runs.push(r) });
    const dt = 3; // world seconds per step, not a divisor of the interval
    while (runs.length < 10_000) {
      clock.world += dt;
      s.tick();
    }
    for (let k = 0; k < runs.length; k++) {
      const r = runs[k];
      expect(Math.abs(r.target - 7 * (k + 1))).toBeLessThan(1e-6);
      expect(r.now - r.target).toBeGreaterThanOrEqual(0);
      expect(r.now - r.target).toBeLessThan(dt);
      expect(r.missed).toBe(0);
    }
    expect(s.status().find((t) => t.name === 't')).toMatchObject({ runs: 10_000, missed: 0 });
  });

  it('counts missed runs after a stall instead of bunching them', () => {
    const { clock, s } = setup();
    const runs: TaskRun[] = [];
    s.add('w', { intervalSeconds: 1, clock: 'wall', run: (r) => void runs.push(r) });
    clock.wallMs = 1000;
    s.tick();
    clock.wallMs = 6500; // targets 2,3,4,5,6 passed
    s.tick();
    expect(runs.map((r) => [r.target, r.missed])).toEqual([
      [1, 0],
      [2, 4],
    ]);
    s.tick();
    expect(runs.length).toBe(2);
    clock.wallMs = 7000;
    s.tick();
    expect(runs.map((r) => r.target)).toEqual([1, 2, 7]);
    expect(s.status()[0]).toMatchObject({ runs: 3, missed: 4 });
  });

  it('jitter is seeded, deterministic and within [0, jitter·interval] of the drift-free target', () => {
    const targets = (seed: number) => {
      const { clock, s } = setup({ seed });
      const out: number[] = [];
      s.add('j', { intervalSeconds: 10, jitter: 0.2, run: (r) => void out.push(r.target) });
      for (let i = 0; i < 5000; i++) {
        clock.world += 1;
        s.tick();
      }
      return out;
    };
    const a = targets(1);
    expect(a.length).toBeGreaterThan(450);
    a.forEach((t, k) => {
      const off = t - 10 * (k + 1);
      expect(off).toBeGreaterThanOrEqual(0);
      expect(off).toBeLessThanOrEqual(2);
    });
    expect(new Set(a.map((t, k) => Math.round((t - 10 * (k + 1)) * 100))).size).toBeGreaterThan(50);
    expect(targets(1)).toEqual(a);
    expect(targets(2)).not.toEqual(a);
  });

  it('staggers tasks of equal interval onto different steps; priority orders tasks due together', () => {
    const { clock, s } = setup();
    const fired: Array<[string, number]> = [];
    for (const n of ['a', 'b', 'c', 'd']) s.add(n, { intervalSeconds: 10, run: () => void fired.push([n, clock.world]) });
    for (let i = 0; i < 20; i++) {
      clock.world += 1;
      s.tick();
    }
    fired.splice(4); // the first run of each
    expect(fired.map((f) => f[0]).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(new Set(fired.map((f) => f[1])).size).toBe(4);
    const order: string[] = [];
    s.add('low', { intervalSeconds: 5, stagger: false, priority: 1, run: () => void order.push('low') });
    s.add('high', { intervalSeconds: 5, stagger: false, priority: 9, run: () => void order.push('high') });
    clock.world += 5;
    s.tick();
    expect(order).toEqual(['high', 'low']);
  });

  it('adaptive tasks slow down in degraded mode and pause in emergency unless critical', () => {
    const { clock, s } = setup();
    const n = { a: 0, c: 0, plain: 0 };
    s.add('a', { intervalSeconds: 1, adaptive: true, run: () => void n.a++ });
    s.add('c', { intervalSeconds: 1, adaptive: true, critical: true, stagger: false, run: () => void n.c++ });
    s.add('plain', { intervalSeconds: 1, stagger: false, run: () => void n.plain++ });
    const steps = (k: number) => {
      for (let i = 0; i < k; i++) {
        clock.world += 1;
        s.tick();
      }
    };
    steps(10);
    expect(n).toEqual({ a: 10, c: 10, plain: 10 });
    clock.mode = 'degraded';
    steps(10);
    expect(n).toEqual({ a: 15, c: 20, plain: 20 });
    clock.mode = 'emergency';
    steps(10);
    expect(n).toEqual({ a: 15, c: 30, plain: 30 });
    expect(s.status().find((t) => t.name === 'a')).toMatchObject({ skipped: 15, missed: 0 });
    clock.mode = 'normal';
    steps(1);
    expect(n.a).toBe(16); // no bunched catch-up
  });

  it('maintenance mode holds non-critical tasks; heartbeat proves the scheduler alive', () => {
    const { clock, bus, s } = setup({ heartbeatSeconds: 1 });
    const n = { t: 0, crit: 0 };
    s.add('t', { intervalSeconds: 0.5, clock: 'wall', run: () => void n.t++ });
    s.add('crit', { intervalSeconds: 0.5, clock: 'wall', critical: true, stagger: false, run: () => void n.crit++ });
    const seen: boolean[] = [];
    bus.subscribe('maintenance', (m) => void seen.push(m.on));
    const wall = (ms: number) => {
      for (let t = 0; t < ms; t += 100) {
        clock.wallMs += 100;
        s.tick();
      }
    };
    wall(2000);
    expect(n).toEqual({ t: 4, crit: 4 });
    s.setMaintenance(true);
    wall(2000);
    expect(n).toEqual({ t: 4, crit: 8 });
    s.setMaintenance(false);
    wall(1000);
    expect(n).toEqual({ t: 6, crit: 10 });
    expect(seen).toEqual([true, false]);
    const beats = bus.history('heartbeat');
    expect(beats.map((b) => b.payload.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(beats[2].payload.maintenance).toBe(true);
    expect(s.status().find((t) => t.name === 't')!.held).toBe(4);
  });

  it('every trigger is published; injected triggers reach subscribers; subscriber errors are contained', () => {
    const { clock, bus, s } = setup();
    let runs = 0;
    s.add('x', { intervalSeconds: 2, run: () => void runs++ });
    const got: string[] = [];
    bus.subscribe('task', () => {
      throw new Error('bad subscriber');
    });
    bus.subscribe('task', (t) => void got.push(`${t.name}:${t.outcome}:${t.injected}`));
    s.inject('x');
    clock.world = 2;
    s.tick();
    bus.publish('task', { name: 'fake', clock: 'world', target: 0, now: 0, missed: 0, outcome: 'run', injected: true });
    expect(got).toEqual(['x:run:true', 'x:run:false', 'fake:run:true']);
    expect(runs).toBe(2);
    expect(bus.stats()).toMatchObject({ published: 3, subscriberErrors: 3 });
    expect(() => s.inject('nope')).toThrowError(expect.objectContaining({ code: ErrorCode.TASK_UNKNOWN }));
    expect(() => s.add('x', { intervalSeconds: 1, run: () => {} })).toThrowError(expect.objectContaining({ code: ErrorCode.TASK_EXISTS }));
    expect(() => s.add('y', { intervalSeconds: 0, jitter: 0.9, run: () => {} })).toThrowError(
      /intervalSeconds must be a finite number > 0; jitter must be/,
    );
  });

  it('the history ring is bounded and oldest-first', () => {
    const bus = new EventBus<{ n: number }>({ historySize: 4 });
    for (let i = 1; i <= 10; i++) bus.publish('n', i);
    expect(bus.history().map((e) => e.payload)).toEqual([7, 8, 9, 10]);
    expect(bus.history('n', 2).map((e) => e.seq)).toEqual([9, 10]);
  });

  it('a world runs its runtime tasks in the periodic phase: stats snapshots on the bus', () => {
    const w = createSimWorld({ id: 'per', capacity: 16 });
    let wall = 0;
    w.periodic = createWorldScheduler(w, w.bus, () => wall);
    for (let i = 0; i < 30; i++) {
      wall += 100;
      runStep(w);
    } // stats is staggered 0.618 s after the heartbeat
    const stats = w.bus.history('stats');
    expect(stats.length).toBe(2);
    expect(stats[1].payload).toMatchObject({ mode: 'normal', jobs: { pending: 0 } });
    expect(stats[1].payload.step).toBeGreaterThan(stats[0].payload.step);
    expect(w.bus.history('heartbeat').length).toBe(3);
  });
});
