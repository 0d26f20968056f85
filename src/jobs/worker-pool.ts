/**
 * A worker-thread pool for job handlers (piscina 5). It owns threads, hence a class; the
 * runtime creates one per process and closes it at shutdown (it is a `Service`).
 *
 * Job handlers call `run(task, { signal: ctx.signal })`: the job queue aborts that signal when
 * an attempt times out, which cancels the task (queued or running). Every piscina failure comes
 * back as a coded {@link WorldtickError}, so the job queue's retry/fail paths see a stable code:
 *
 * | cause                                   | code                  |
 * | --------------------------------------- | --------------------- |
 * | `maxQueue` tasks already waiting        | `WT_ERR_QUEUE_FULL`   |
 * | signal aborted (timeout / caller)       | `WT_ERR_TASK_ABORTED` |
 * | the task threw, or its thread crashed   | `WT_ERR_WORKER_FAILED`|
 * | no thread left to run it (one failed to start, or died with tasks queued) | `WT_ERR_WORKER_FAILED` |
 * | pool closed (before or during the task) | `WT_ERR_POOL_CLOSED`  |
 */
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { defaultsOf, resolveOptions, type ObjectSpec } from '../config/schema.js';
import { ErrorCode, optionInvalid, queueFull, WorldtickError } from '../errors.js';
import { StrandedTaskError, StrandedTasks } from './stranded-tasks.js';
import { tsxWorkerOptions } from './tsx-worker.js';

/** Options of a {@link WorkerPool}. */
export interface WorkerPoolOptions {
  /** Worker module (path or `file:` URL) whose default export is `(task) => result | Promise<result>`. */
  filename: string | URL;
  /** Pool name (logs, errors). Default `"jobs"`. */
  name?: string;
  /** Threads kept alive when idle. Default 0 (threads start on the first task). */
  minThreads?: number;
  /** Most threads. Default 1 (the reference machine has 2 cores and a step loop to feed). */
  maxThreads?: number;
  /** Most tasks waiting for a thread; one more rejects with `WT_ERR_QUEUE_FULL`. Default 64. */
  maxQueue?: number;
  /** An idle thread above `minThreads` exits after this many wall ms. Default 60,000. */
  idleTimeoutMs?: number;
  /** `close()` gives up waiting for threads to terminate after this many wall ms. Default 5,000. */
  closeTimeoutMs?: number;
}

/** Counters and gauges of a pool. */
export interface WorkerPoolStats {
  /** `run` calls accepted (handed to piscina). */
  submitted: number;
  completed: number;
  /** Tasks that threw or whose thread crashed. */
  failed: number;
  aborted: number;
  /** `run` calls refused because `maxQueue` tasks were waiting. */
  queueFull: number;
  /** Tasks waiting for a thread now. */
  queued: number;
  /** Live threads now. */
  threads: number;
  maxThreads: number;
  maxQueue: number;
  closed: boolean;
}

/** The schema of a pool's numeric options (src/config/schema.ts); `minThreads <= maxThreads` is checked after. */
const POOL_OPTIONS_SPEC: ObjectSpec = {
  kind: 'object',
  fields: {
    name: { kind: 'string', default: 'jobs', pattern: /^[A-Za-z0-9_.:-]{1,64}$/ },
    minThreads: { kind: 'number', default: 0, integer: true, min: 0, max: 64 },
    maxThreads: { kind: 'number', default: 1, integer: true, min: 1, max: 64 },
    maxQueue: { kind: 'number', default: 64, integer: true, min: 0, max: 1_000_000 },
    idleTimeoutMs: { kind: 'number', default: 60_000, min: 0, max: 86_400_000 },
    closeTimeoutMs: { kind: 'number', default: 5_000, gt: 0, max: 3_600_000 },
  },
};
type PoolNumbers = Required<Omit<WorkerPoolOptions, 'filename'>>;

/** A bounded pool of worker threads running one worker module. */
export class WorkerPool<T = unknown, R = unknown> {
  /** Service name. */
  readonly name: string;
  readonly #tasks: StrandedTasks<T, R>;
  readonly #closeTimeoutMs: number;
  readonly #maxQueue: number;
  /** Most tasks handed in and not settled: one per thread running, `maxQueue` waiting. */
  readonly #maxInFlight: number;
  #inFlight = 0;
  #closed = false;
  #closing: Promise<void> | null = null;
  readonly #s = { submitted: 0, completed: 0, failed: 0, aborted: 0, queueFull: 0 };

  /** Throws `WT_ERR_OPTION_INVALID` on bad options. Threads start lazily (minThreads 0). */
  constructor(opts: WorkerPoolOptions) {
    const filename = opts.filename instanceof URL ? fileURLToPath(opts.filename) : String(opts.filename ?? '');
    const { filename: _f, ...rest } = opts;
    const r = resolveOptions<PoolNumbers>(POOL_OPTIONS_SPEC, defaultsOf(POOL_OPTIONS_SPEC) as PoolNumbers, rest);
    const p: string[] = r.ok ? [] : r.problems;
    if (!filename) p.unshift('filename is required');
    if (r.ok && r.value.minThreads > r.value.maxThreads) p.push(`minThreads must be <= maxThreads (${r.value.maxThreads})`);
    if (p.length || !r.ok) throw optionInvalid(p.map((m) => `worker pool: ${m}`));
    const { minThreads, maxThreads, maxQueue, idleTimeoutMs, closeTimeoutMs } = r.value;
    this.name = `worker-pool:${r.value.name}`;
    this.#closeTimeoutMs = closeTimeoutMs;
    this.#maxQueue = maxQueue;
    // Bounded here: piscina's `maxQueue` counts only tasks handed in without a signal (those with one wait in
    // another queue it does not bound), and every task here has one (piscina 5.3.2, stop 68).
    this.#maxInFlight = maxThreads + maxQueue;
    // A crashed thread is replaced by piscina; the failing task's promise carries the error. A thread that cannot
    // start (a module that throws at import) ends the tasks waiting for it (src/jobs/stranded-tasks.ts).
    this.#tasks = new StrandedTasks(
      () =>
        new Piscina<T, R>({
          filename,
          name: 'default',
          minThreads,
          maxThreads,
          maxQueue,
          idleTimeout: idleTimeoutMs,
          // TypeScript workers need tsx's loader (vitest's transforms do not reach worker threads),
          // with its disk cache off: a retired thread would leak a descriptor (src/jobs/tsx-worker.ts).
          ...tsxWorkerOptions(filename),
        }),
    );
  }

  /**
   * Run `task` on a worker thread. Resolves with the worker's result; rejects with a coded
   * error (see the module doc). `signal` (e.g. a job's `ctx.signal`) cancels the task.
   */
  async run(task: T, opts: { signal?: AbortSignal } = {}): Promise<R> {
    if (this.#closed) throw new WorldtickError(ErrorCode.POOL_CLOSED, `${this.name} is closed`);
    const signal = opts.signal;
    if (signal?.aborted) {
      this.#s.aborted++;
      throw new WorldtickError(ErrorCode.TASK_ABORTED, `${this.name}: task aborted before it started`, { cause: signal.reason });
    }
    if (this.#inFlight >= this.#maxInFlight) {
      this.#s.queueFull++;
      throw queueFull(`${this.name} task queue`, this.#maxQueue);
    }
    this.#s.submitted++;
    this.#inFlight++;
    try {
      const r = await this.#tasks.run(task, signal ? { signal } : {});
      this.#s.completed++;
      return r;
    } catch (err) {
      throw this.#coded(err, signal);
    } finally {
      this.#inFlight--;
    }
  }

  #coded(err: unknown, signal: AbortSignal | undefined): WorldtickError {
    const e = err as { name?: unknown; message?: unknown } | null;
    const msg = typeof e?.message === 'string' ? e.message : String(err);
    if (err instanceof StrandedTaskError && !this.#closed) {
      this.#s.failed++;
      return new WorldtickError(ErrorCode.WORKER_FAILED, `${this.name}: ${msg}`, { cause: err });
    }
    if (e?.name === 'AbortError' || signal?.aborted) {
      this.#s.aborted++;
      return new WorldtickError(ErrorCode.TASK_ABORTED, `${this.name}: task aborted`, { cause: signal?.reason ?? err });
    }
    if (msg === 'Task queue is at limit' || msg === 'No task queue available and all Workers are busy') {
      this.#s.queueFull++;
      this.#s.submitted--;
      return queueFull(`${this.name} task queue`, this.#maxQueue);
    }
    if (this.#closed || msg === 'Terminating worker thread') {
      this.#s.failed++;
      return new WorldtickError(ErrorCode.POOL_CLOSED, `${this.name} closed while the task ran`, { cause: err });
    }
    this.#s.failed++;
    return new WorldtickError(ErrorCode.WORKER_FAILED, `${this.name}: task failed: ${msg.slice(0, 200)}`, { cause: err });
  }

  /** Counters and gauges (fresh object). */
  stats(): WorkerPoolStats {
    return {
      ...this.#s,
      queued: this.#closed ? 0 : this.#tasks.pool.queueSize,
      threads: this.#closed ? 0 : this.#tasks.pool.threads.length,
      maxThreads: this.#tasks.pool.maxThreads,
      maxQueue: this.#maxQueue,
      closed: this.#closed,
    };
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Service start: nothing to do (threads start on the first task). */
  async start(): Promise<void> {
    if (this.#closed) throw new WorldtickError(ErrorCode.POOL_CLOSED, `${this.name} is closed`);
  }

  /** Service stop = {@link close}. */
  stop(): Promise<void> {
    return this.close();
  }

  /**
   * Terminate every thread: queued and running tasks reject with `WT_ERR_POOL_CLOSED` (or
   * `WT_ERR_TASK_ABORTED`). Idempotent; never waits longer than `closeTimeoutMs`.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#closeTimeoutMs);
      timer.unref();
    });
    this.#closing = Promise.race([this.#tasks.close().catch(() => {}), limit]).finally(() => clearTimeout(timer));
    return this.#closing;
  }
}
