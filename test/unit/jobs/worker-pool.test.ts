import { afterEach, describe, expect, it } from 'vitest';
import { threadId } from 'node:worker_threads';
import { WorkerPool } from '../../../src/jobs/worker-pool.js';
import { ErrorCode, WorldtickError } from '../../../src/errors.js';
import { REQUEUES } from '../../../src/jobs/stranded-tasks.js';
import type { TestTask } from './workers/test-worker.js';
import { JobQueue } from '../../../src/jobs/job-queue.js';
import { createSimWorld } from '../../../src/world/sim-world.js';
import { codeOf } from '../../helpers/code-of.js';

const WORKER = new URL('./workers/test-worker.ts', import.meta.url);
const UNLOADABLE = new URL('../../helpers/unloadable-worker.ts', import.meta.url);
type Out = { value: number; threadId: number };

const pools: WorkerPool<TestTask, Out>[] = [];
const pool = (o: { maxQueue?: number; maxThreads?: number; filename?: URL } = {}): WorkerPool<TestTask, Out> => {
  const p = new WorkerPool<TestTask, Out>({ filename: WORKER, name: 'test', ...o });
  pools.push(p);
  return p;
};
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

describe('WorkerPool (real worker threads)', () => {
  it('runs a task on another thread and returns its result', async () => {
    const p = pool();
    const r = await p.run({ op: 'echo', value: 21 });
    expect(r.value).toBe(42);
    expect(r.threadId).not.toBe(threadId);
    expect(p.stats()).toMatchObject({ submitted: 1, completed: 1, failed: 0, threads: 1, maxThreads: 1 });
  });

  it('a task that throws rejects with WT_ERR_WORKER_FAILED and the pool keeps working', async () => {
    const p = pool();
    expect(await codeOf(p.run({ op: 'throw', value: 7 }))).toBe(ErrorCode.WORKER_FAILED);
    expect((await p.run({ op: 'echo', value: 1 })).value).toBe(2);
    expect(p.stats()).toMatchObject({ failed: 1, completed: 1 });
  });

  it('a crashed worker thread rejects with WT_ERR_WORKER_FAILED and is replaced', async () => {
    const p = pool();
    expect(await codeOf(p.run({ op: 'exit' }))).toBe(ErrorCode.WORKER_FAILED);
    expect((await p.run({ op: 'echo', value: 5 })).value).toBe(10);
  });

  it('a worker module that cannot load: every task ends WT_ERR_WORKER_FAILED naming why, none waits for good', async () => {
    const p = pool({ filename: UNLOADABLE });
    // Three at once (one thread: two wait for it), then one more after they ended.
    const first = await Promise.all([1, 2, 3].map(() => p.run({ op: 'echo' }).catch((e: unknown) => e)));
    const later = await p.run({ op: 'echo' }).catch((e: unknown) => e);
    for (const e of [...first, later]) {
      expect(e).toBeInstanceOf(WorldtickError);
      expect((e as WorldtickError).code).toBe(ErrorCode.WORKER_FAILED);
      // Names the thread's failure: under tsx, piscina's fallback import masks the module's own error with one
      // naming its file.
      expect((e as WorldtickError).message).toMatch(/no worker thread left .*unloadable-worker/);
    }
    expect(p.stats()).toMatchObject({ submitted: 4, failed: 4, completed: 0, queued: 0 });
  }, 15_000);

  it('a thread that crashes with tasks queued behind it: they run on a new thread', async () => {
    const p = pool();
    await p.run({ op: 'echo' }); // thread up
    const crash = codeOf(p.run({ op: 'exit' }));
    const queued = [p.run({ op: 'echo', value: 2 }), p.run({ op: 'echo', value: 3 })];
    expect(await crash).toBe(ErrorCode.WORKER_FAILED);
    expect((await Promise.all(queued)).map((r) => r.value)).toEqual([4, 6]);
    expect(p.stats()).toMatchObject({ failed: 1, completed: 3 });
  }, 15_000);

  it(`a task queued behind threads that keep crashing is handed in again at most ${REQUEUES} times, then ends coded`, {
    timeout: 60_000,
  }, async () => {
    const p = pool();
    await p.run({ op: 'echo' }); // thread up
    // One thread: each crash ends the task it ran and strands the ones behind it, which are handed to a new
    // thread in order; the task at place i has been handed in again i times when its turn comes.
    const runs = Array.from({ length: REQUEUES + 3 }, () => p.run({ op: 'exit' }).catch((e: unknown) => e));
    const ends = await Promise.all(runs);
    for (const e of ends) expect((e as WorldtickError).code).toBe(ErrorCode.WORKER_FAILED);
    const stranded = ends.map((e) => /no worker thread left/.test((e as Error).message));
    // Places 0..REQUEUES ran (and crashed their thread); the ones after them waited through REQUEUES + 1 crashes.
    expect(stranded).toEqual([...Array<boolean>(REQUEUES + 1).fill(false), true, true]);
    expect(p.stats()).toMatchObject({ submitted: REQUEUES + 4, failed: REQUEUES + 3, completed: 1, queued: 0 });
    expect((await p.run({ op: 'echo', value: 9 })).value).toBe(18); // the pool still runs tasks
  });

  it('aborting a running task with tasks queued behind it: they run on a new thread', async () => {
    const p = pool();
    await p.run({ op: 'echo' }); // thread up
    const ac = new AbortController();
    const running = codeOf(p.run({ op: 'sleep', ms: 20_000 }, { signal: ac.signal }));
    const queued = [p.run({ op: 'echo', value: 7 }), p.run({ op: 'echo', value: 8 }, { signal: new AbortController().signal })];
    ac.abort(new Error('job timed out'));
    expect(await running).toBe(ErrorCode.TASK_ABORTED);
    expect((await Promise.all(queued)).map((r) => r.value)).toEqual([14, 16]);
  }, 15_000);

  it('aborting the signal cancels a running task with WT_ERR_TASK_ABORTED', async () => {
    const p = pool();
    await p.run({ op: 'echo' }); // thread up
    const ac = new AbortController();
    const running = p.run({ op: 'sleep', ms: 20_000 }, { signal: ac.signal });
    ac.abort(new Error('job timed out'));
    expect(await codeOf(running)).toBe(ErrorCode.TASK_ABORTED);
    // An already-aborted signal never reaches a thread.
    expect(await codeOf(p.run({ op: 'echo' }, { signal: ac.signal }))).toBe(ErrorCode.TASK_ABORTED);
    expect(p.stats().aborted).toBe(2);
    expect((await p.run({ op: 'echo', value: 3 })).value).toBe(6);
  });

  it('refuses tasks beyond maxQueue with WT_ERR_QUEUE_FULL (bounded backpressure)', async () => {
    const p = pool({ maxQueue: 2 });
    await p.run({ op: 'echo' }); // thread up and idle
    // Every other one with a signal, as a job's task has (piscina's own bound misses those).
    const runs = Array.from({ length: 8 }, (_, i) => p.run({ op: 'sleep', ms: 50 }, i % 2 ? { signal: new AbortController().signal } : {}));
    const codes = await Promise.all(runs.map(codeOf));
    const full = codes.filter((c) => c === ErrorCode.QUEUE_FULL).length;
    expect(full).toBeGreaterThanOrEqual(5); // 1 running + at most 2 waiting
    expect(codes.filter((c) => c === 'resolved').length).toBe(8 - full);
    expect(p.stats().queueFull).toBe(full);
  });

  it('close() ends running tasks with WT_ERR_POOL_CLOSED, refuses new ones, and is idempotent', async () => {
    const p = pool();
    await p.run({ op: 'echo' });
    const running = codeOf(p.run({ op: 'sleep', ms: 20_000 }));
    await p.close();
    expect(await running).toBe(ErrorCode.POOL_CLOSED);
    expect(await codeOf(p.run({ op: 'echo' }))).toBe(ErrorCode.POOL_CLOSED);
    await p.close();
    expect(p.stats()).toMatchObject({ closed: true, threads: 0 });
  });

  it('validates its options', () => {
    expect(() => new WorkerPool({ filename: WORKER, maxThreads: 0 })).toThrow(WorldtickError);
    expect(() => new WorkerPool({ filename: WORKER, minThreads: 3, maxThreads: 1 })).toThrow(/minThreads/);
  });

  it('through the job queue: a job timeout aborts the worker task (thread freed), a throwing task reaches fail() with its code as cause', async () => {
    const p = pool();
    const world = createSimWorld({ id: 'jobs', capacity: 10 });
    await p.run({ op: 'echo' }); // thread up: timeouts below measure the tasks, not tsx start-up
    // One job at a time, so a job's timeout covers its own task only.
    const q = new JobQueue({ timeoutMs: 500, maxAttempts: 1, perWorldConcurrency: 1 });
    const failures: Array<{ code: string; cause: string }> = [];
    const results: number[] = [];
    q.register<TestTask, Out>('t', {
      handler: (task, ctx) => p.run(task, { signal: ctx.signal }),
      apply: (_w, _job, r) => void results.push(r.value),
      fail: (_w, _job, err) => void failures.push({ code: err.code, cause: (err.cause as WorldtickError | undefined)?.code ?? 'none' }),
    });
    q.submit('t', { op: 'echo', value: 4 });
    q.submit('t', { op: 'throw', value: 1 });
    q.submit('t', { op: 'sleep', ms: 60_000 }); // would hold the only thread for a minute
    const end = performance.now() + 15_000;
    while (q.stats().completed + q.stats().failed < 3) {
      if (performance.now() > end) throw new Error(`jobs not done: ${JSON.stringify(q.stats())}`);
      q.applyCompleted(world);
      q.startDue(10);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(q.stats()).toMatchObject({ timedOut: 1, failed: 2, completed: 1 });
    expect(failures).toEqual(
      expect.arrayContaining([
        { code: ErrorCode.JOB_TIMEOUT, cause: 'none' },
        { code: ErrorCode.JOB_FAILED, cause: ErrorCode.WORKER_FAILED },
      ]),
    );
    expect(results).toEqual([8]);
    expect(p.stats().aborted).toBe(1);
    // The aborted task's thread was replaced: the pool answers at once, not after a minute.
    expect((await p.run({ op: 'echo', value: 5 })).value).toBe(10);
  });
});
