import { describe, expect, it } from 'vitest';
import { ErrorCode, type WorldtickError } from '../../../src/errors.js';
import { JobQueue, type JobQueueOptions } from '../../../src/jobs/job-queue.js';
import { createSimWorld, spawnNpc, type SimWorld } from '../../../src/world/sim-world.js';
import { runStep } from '../../../src/world/step.js';

/** Manual wall clock + timers: tests advance time, nothing sleeps. */
const fakeTime = () => {
  const t = { now: 0, timers: [] as Array<{ at: number; fn: () => void; live: boolean }> };
  return {
    t,
    opts: {
      now: () => t.now,
      setTimer: (fn: () => void, ms: number) => {
        const h = { at: t.now + ms, fn, live: true };
        t.timers.push(h);
        return h;
      },
      clearTimer: (h: unknown) => void ((h as { live: boolean }).live = false),
    } satisfies JobQueueOptions,
    advance(ms: number) {
      t.now += ms;
      for (const h of t.timers.filter((x) => x.live && x.at <= t.now).sort((a, b) => a.at - b.at)) {
        h.live = false;
        h.fn();
      }
      t.timers = t.timers.filter((x) => x.live);
    },
  };
};
const flush = () => new Promise<void>((r) => setImmediate(r));
const deferred = <T>() => {
  let resolve!: (v: T) => void, reject!: (e: unknown) => void;
  const p = new Promise<T>((a, b) => {
    resolve = a;
    reject = b;
  });
  return { p, resolve, reject };
};
/** A world whose queue has the options `q`; its caps go through the world's `jobs` config (the jobs phase applies it). */
const mkWorld = (jobOps: number, q: JobQueueOptions): SimWorld => {
  const jobs = { perWorldConcurrency: q.perWorldConcurrency ?? 8, perUserConcurrency: q.perUserConcurrency ?? 2 };
  const w = createSimWorld({
    id: 'jobs',
    capacity: 64,
    config: { simulation: { maxJobOpsPerStep: jobOps }, controller: { enabled: false }, jobs },
  });
  w.jobs = new JobQueue(q);
  return w;
};

describe('job queue', () => {
  it('starts at most maxJobOpsPerStep jobs per step, within the world cap', async () => {
    const ft = fakeTime();
    const w = mkWorld(3, { ...ft.opts, perWorldConcurrency: 100, perUserConcurrency: 100 });
    const gates: Array<ReturnType<typeof deferred<number>>> = [];
    w.jobs.register('gen', {
      handler: () => {
        const d = deferred<number>();
        gates.push(d);
        return d.p;
      },
    });
    for (let i = 0; i < 20; i++) w.jobs.submit('gen', i, { user: `u${i}` });
    const perStep: number[] = [];
    for (let s = 0; s < 8; s++) {
      runStep(w);
      perStep.push(w.jobs.stats().startedLastStep);
    }
    expect(perStep).toEqual([3, 3, 3, 3, 3, 3, 2, 0]);
    expect(gates.length).toBe(20);
    const cap = mkWorld(10, { ...ft.opts, perWorldConcurrency: 4 });
    cap.jobs.register('gen', { handler: () => new Promise(() => {}) });
    for (let i = 0; i < 10; i++) cap.jobs.submit('gen', i, { user: `u${i}` });
    runStep(cap);
    runStep(cap);
    expect(cap.jobs.stats()).toMatchObject({ running: 4, pending: 6 });
  });

  it('per-user concurrency cap: a busy user waits, others go ahead', () => {
    const ft = fakeTime();
    const w = mkWorld(10, { ...ft.opts, perUserConcurrency: 2 });
    const started: string[] = [];
    w.jobs.register('gen', {
      handler: (p: string) => {
        started.push(p);
        return new Promise(() => {});
      },
    });
    for (let i = 0; i < 4; i++) w.jobs.submit('gen', `a${i}`, { user: 'a' });
    w.jobs.submit('gen', 'b0', { user: 'b' });
    runStep(w);
    runStep(w);
    expect(started).toEqual(['a0', 'a1', 'b0']);
    expect(w.jobs.stats()).toMatchObject({ running: 3, pending: 2 });
  });

  it('retries with exponential backoff on wall time, then fails with a code applied in a step', async () => {
    const ft = fakeTime();
    const w = mkWorld(10, { ...ft.opts, maxAttempts: 4, backoffBaseMs: 100, backoffMaxMs: 300 });
    const attemptsAt: number[] = [];
    const failures: WorldtickError[] = [];
    w.jobs.register('flaky', {
      handler: async () => {
        attemptsAt.push(ft.t.now);
        throw new Error('boom');
      },
      fail: (_w, _job, err) => void failures.push(err),
    });
    w.jobs.submit('flaky', null);
    for (let i = 0; i < 100; i++) {
      runStep(w);
      await flush();
      ft.advance(10);
    }
    expect(attemptsAt).toEqual([0, 100, 300, 600]); // backoff 100, 200, then capped at 300
    expect(failures.length).toBe(1);
    expect(failures[0].code).toBe(ErrorCode.JOB_FAILED);
    expect(w.jobs.stats()).toMatchObject({ started: 4, retried: 3, failed: 1, completed: 0, pending: 0, running: 0 });
  });

  it('times out an attempt on wall time (timeout shrunk by option), aborts its signal, ignores its late result', async () => {
    const ft = fakeTime();
    const w = mkWorld(10, { ...ft.opts, timeoutMs: 50, maxAttempts: 2, backoffBaseMs: 10 });
    const signals: AbortSignal[] = [];
    const results: unknown[] = [];
    const failures: string[] = [];
    const gates: Array<ReturnType<typeof deferred<string>>> = [];
    w.jobs.register('slow', {
      handler: (_p, ctx) => {
        signals.push(ctx.signal);
        const d = deferred<string>();
        gates.push(d);
        return d.p;
      },
      apply: (_w, _j, r) => void results.push(r),
      fail: (_w, _j, e) => void failures.push(e.code),
    });
    w.jobs.submit('slow', null);
    runStep(w);
    ft.advance(50);
    expect(signals[0].aborted).toBe(true);
    gates[0].resolve('late'); // a result after the timeout must not count
    await flush();
    ft.advance(10);
    runStep(w);
    ft.advance(50);
    runStep(w);
    expect(results).toEqual([]);
    expect(failures).toEqual([ErrorCode.JOB_TIMEOUT]);
    expect(w.jobs.stats()).toMatchObject({ timedOut: 2, failed: 1, started: 2 });
  });

  it('applies completions inside a later step, in job-id order, to components', async () => {
    const ft = fakeTime();
    const w = mkWorld(10, { ...ft.opts, perUserConcurrency: 10 });
    const npcs = [1, 2, 3, 4, 5].map((i) => spawnNpc(w, i, i));
    const gates = new Map<number, ReturnType<typeof deferred<number>>>();
    const order: number[] = [];
    w.jobs.register('scene', {
      handler: (_p: null, ctx) => {
        const d = deferred<number>();
        gates.set(ctx.jobId, d);
        return d.p;
      },
      apply: (wd, job, result) => {
        order.push(job.id);
        wd.stores.Behavior.activity[job.key] = result;
      },
    });
    const ids = npcs.map((e) => w.jobs.submit('scene', null, { key: e }));
    runStep(w);
    for (const id of [...ids].reverse()) gates.get(id)!.resolve(7); // finish in reverse order
    await flush();
    expect(w.stores.Behavior.activity[npcs[0]]).toBe(0); // nothing touches the world between steps
    runStep(w);
    expect(order).toEqual(ids);
    for (const e of npcs) expect(w.stores.Behavior.activity[e]).toBe(7);
    expect(w.jobs.stats()).toMatchObject({ completed: 5, running: 0, awaitingApply: 0 });
  });

  it('a full pending queue rejects with a code; saturation makes trySubmit defer', () => {
    const w = mkWorld(0, { maxPending: 4, saturateAt: 0.5 });
    w.jobs.register('gen', { handler: async () => 1 });
    expect(w.jobs.saturated).toBe(false);
    expect(w.jobs.trySubmit('gen', 0)).toBe(1);
    expect(w.jobs.trySubmit('gen', 0)).toBe(2);
    expect(w.jobs.saturated).toBe(true);
    expect(w.jobs.trySubmit('gen', 0)).toBe(-1);
    w.jobs.submit('gen', 0);
    w.jobs.submit('gen', 0);
    expect(() => w.jobs.submit('gen', 0)).toThrowError(expect.objectContaining({ code: ErrorCode.QUEUE_FULL }));
    expect(() => w.jobs.submit('nope', 0)).toThrowError(expect.objectContaining({ code: ErrorCode.JOB_UNKNOWN }));
    expect(() => w.jobs.register('gen', { handler: async () => 1 })).toThrowError(expect.objectContaining({ code: ErrorCode.JOB_EXISTS }));
    expect(() => new JobQueue({ maxPending: 0, timeoutMs: -1 })).toThrowError(/maxPending must be an integer >= 1; timeoutMs must be > 0/);
    expect(w.jobs.stats()).toMatchObject({ submitted: 4, rejected: 1, deferred: 1, pending: 4, saturated: true });
  });
});
