/**
 * Job queue with backpressure: long async work (content generation and the like) leaves the
 * step. Owns timers and in-flight promises, hence a class; one per world (`world.jobs`).
 *
 *   submit ──► pending (bounded, FIFO by id) ──jobs phase: ≤ jobOps starts/step, caps──► running
 *                 ▲                                                                   │
 *                 └──── retry after backoff (wall ms) ◄── failure / timeout ──────────┤
 *   jobs phase of a later step: completions sorted by job id ──► apply(world, ...) ◄──┘
 *
 * Wall time only (backoff, timeouts), through an injectable clock and timers: tests shrink
 * timeouts through options and advance a fake clock, never sleep. Gameplay sees a job only
 * when its completion is applied inside a step, in job-id order (deterministic for a given
 * set of completions).
 */
import { queueFull, WorldtickError, ErrorCode, type ErrorCodeValue } from '../errors.js';

const CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));
const codeOf = (code: string): ErrorCodeValue => (CODES.has(code) ? (code as ErrorCodeValue) : ErrorCode.JOB_FAILED);
import type { CoreWorld } from '../core/world-core.js';
import { checkInt, type JobQueueSettings, resolveJobQueueOptions } from './job-queue-options.js';
import type { JobDefinition, JobHooks, JobQueueOptions, JobRecord, JobStats } from './job-types.js';

export type { JobContext, JobDefinition, JobHooks, JobQueueOptions, JobRecord, JobStats } from './job-types.js';

interface Done {
  job: JobRecord;
  ok: boolean;
  result: unknown;
  err: WorldtickError | null;
}

/** The per-world job queue. */
export class JobQueue {
  readonly #o: JobQueueSettings;
  readonly #now: () => number;
  readonly #setTimer: (fn: () => void, ms: number) => unknown;
  readonly #clearTimer: (h: unknown) => void;
  readonly #defs = new Map<string, JobDefinition<unknown, unknown>>();
  #pending: JobRecord[] = [];
  /** Closed by `close()` (world destroyed): nothing is queued any more. */
  #closed = false;
  /** Some job carried a non-zero priority: startDue orders by priority (stable) from then on. */
  #prioritized = false;
  readonly #running = new Map<number, { job: JobRecord; attemptToken: number; timer: unknown; ac: AbortController }>();
  readonly #perUser = new Map<string, number>();
  #done: Done[] = [];
  #nextId = 1;
  #token = 0;
  #s = {
    submitted: 0,
    started: 0,
    startedLastStep: 0,
    completed: 0,
    failed: 0,
    retried: 0,
    timedOut: 0,
    rejected: 0,
    deferred: 0,
    userCapWaits: 0,
  };

  constructor(opts: JobQueueOptions = {}) {
    const o = resolveJobQueueOptions(opts);
    this.#o = o;
    this.#now = opts.now ?? (() => performance.now());
    this.#setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms).unref());
    this.#clearTimer = opts.clearTimer ?? ((h) => clearTimeout(h as NodeJS.Timeout));
  }

  /** Register a job type by name. Throws `WT_ERR_JOB_EXISTS` for a duplicate. */
  register<P, R>(name: string, def: JobDefinition<P, R>): void {
    if (this.#defs.has(name))
      throw new WorldtickError(ErrorCode.JOB_EXISTS, `job type ${JSON.stringify(name)} is already registered`, { details: { name } });
    if (typeof def.handler !== 'function')
      throw new WorldtickError(ErrorCode.OPTION_INVALID, `job type ${name}: handler must be a function`);
    this.#defs.set(name, def as unknown as JobDefinition<unknown, unknown>);
  }

  /**
   * Change the concurrency caps (the world's `jobs` config, applied by the jobs phase). Running
   * jobs are never stopped: a lowered cap holds new starts until enough of them finish. Throws
   * `WT_ERR_OPTION_INVALID` for a value that is not an integer >= 1 (nothing changes).
   */
  setConcurrency(perWorld: number, perUser: number): void {
    if (perWorld === this.#o.perWorldConcurrency && perUser === this.#o.perUserConcurrency) return;
    const p: string[] = [];
    checkInt(p, 'perWorldConcurrency', perWorld, 1);
    checkInt(p, 'perUserConcurrency', perUser, 1);
    if (p.length)
      throw new WorldtickError(ErrorCode.OPTION_INVALID, `invalid job queue options: ${p.join('; ')}`, { details: { problems: p } });
    this.#o.perWorldConcurrency = perWorld;
    this.#o.perUserConcurrency = perUser;
  }

  /** Jobs of `user` running now. */
  runningFor(user: string): number {
    return this.#perUser.get(user) ?? 0;
  }

  /** True while the pending queue is at or above its high-water mark: callers should defer. */
  get saturated(): boolean {
    return this.#pending.length >= Math.ceil(this.#o.saturateAt * this.#o.maxPending);
  }

  /**
   * Queue a job; returns its id (ids increase by submission). Throws `WT_ERR_JOB_UNKNOWN` for an
   * unregistered name, `WT_ERR_QUEUE_FULL` when the pending queue is full (counted) and
   * `WT_ERR_JOB_REJECTED` once the queue is closed (its world destroyed: the job would never run; counted).
   */
  submit<P>(name: string, payload: P, opts: { user?: string; key?: number; priority?: number } = {}): number {
    // `user` is whom the job counts against for the per-user cap: a player (`player:<eid>`, see
    // src/content/scene-job.ts) for work done on a player's behalf, '' (one shared user) otherwise.
    if (!this.#defs.has(name))
      throw new WorldtickError(ErrorCode.JOB_UNKNOWN, `unknown job type ${JSON.stringify(String(name)).slice(0, 80)}`);
    if (this.#closed) {
      this.#s.rejected++;
      throw new WorldtickError(
        ErrorCode.JOB_REJECTED,
        `job queue closed (its world was destroyed): ${String(name).slice(0, 64)} not queued`,
        {
          details: { name: String(name).slice(0, 64) },
        },
      );
    }
    if (this.#pending.length >= this.#o.maxPending) {
      this.#s.rejected++;
      throw queueFull(`job queue (${name})`, this.#o.maxPending);
    }
    const priority = Number.isFinite(opts.priority) ? opts.priority! : 0;
    const job: JobRecord = {
      id: this.#nextId++,
      name,
      user: opts.user ?? '',
      key: opts.key ?? -1,
      priority,
      payload,
      attempts: 0,
      notBefore: 0,
    };
    if (priority !== 0) this.#prioritized = true;
    this.#pending.push(job);
    this.#s.submitted++;
    return job.id;
  }

  /** Like submit, but returns -1 (counted as `deferred`) instead of queueing while saturated. */
  trySubmit<P>(name: string, payload: P, opts: { user?: string; key?: number; priority?: number } = {}): number {
    if (this.saturated) {
      this.#s.deferred++;
      return -1;
    }
    return this.submit(name, payload, opts);
  }

  /**
   * Start up to `maxStarts` pending jobs (by priority, then FIFO, skipping retries not yet due and users at their
   * cap), within the per-world concurrency cap. Called by the jobs phase. Returns starts.
   */
  startDue(maxStarts: number): number {
    this.#s.startedLastStep = 0;
    const forced = this.forcedStarts;
    if (forced !== null) return this.#startForced(forced);
    if (this.#pending.length === 0 || this.held) return 0;
    let started = 0;
    const now = this.#now();
    const keep: JobRecord[] = [];
    // Higher priority first, FIFO within a priority (sort is stable); jobs without priorities keep FIFO.
    const pend = this.#prioritized ? [...this.#pending].sort((a, b) => b.priority - a.priority) : this.#pending;
    for (let i = 0; i < pend.length; i++) {
      const job = pend[i];
      if (started >= maxStarts || this.#running.size >= this.#o.perWorldConcurrency || job.notBefore > now) {
        keep.push(job);
        continue;
      }
      if ((this.#perUser.get(job.user) ?? 0) >= this.#o.perUserConcurrency) {
        this.#s.userCapWaits++;
        keep.push(job);
        continue;
      }
      this.#start(job);
      started++;
    }
    this.#pending = keep;
    this.#s.startedLastStep = started;
    this.#s.started += started;
    return started;
  }

  /** Replay: start exactly the recorded ids (in order) that are pending. */
  #startForced(ids: readonly number[]): number {
    let started = 0;
    for (const id of ids) {
      const i = this.#pending.findIndex((j) => j.id === id);
      if (i < 0) continue;
      const [job] = this.#pending.splice(i, 1);
      this.#start(job!);
      started++;
    }
    this.#s.startedLastStep = started;
    this.#s.started += started;
    return started;
  }

  /**
   * Observer of starts and settlements (src/replay's recorder); null by default.
   */
  hooks: JobHooks | null = null;

  /**
   * Replay mode (src/replay): jobs started are never run (no handler, no timeout); their outcome
   * comes from {@link settleRecorded}. Set before the first step.
   */
  replaying = false;

  /**
   * Replay: the ids the next `startDue` must start (the recorded ones, whatever the caps and
   * wall clock say); null = normal scheduling.
   */
  forcedStarts: readonly number[] | null = null;

  /**
   * Replay: end the running attempt of job `id` with a recorded outcome, as if its handler had
   * settled now. Returns false when no attempt of that id is running (a divergent replay).
   */
  settleRecorded(id: number, ok: boolean, result: unknown, err: { code: string; message: string } | null): boolean {
    const r = this.#running.get(id);
    if (!r) return false;
    this.#settle(id, r.attemptToken, ok, result, err ? new WorldtickError(codeOf(err.code), err.message) : null);
    return true;
  }

  #start(job: JobRecord): void {
    const def = this.#defs.get(job.name)!;
    job.attempts++;
    this.hooks?.started(job.id);
    const token = ++this.#token;
    if (this.replaying) {
      this.#running.set(job.id, { job, attemptToken: token, timer: null, ac: new AbortController() });
      this.#perUser.set(job.user, (this.#perUser.get(job.user) ?? 0) + 1);
      return;
    }
    const ac = new AbortController();
    const timeoutMs = def.timeoutMs ?? this.#o.timeoutMs;
    const timer = this.#setTimer(
      () =>
        this.#settle(
          job.id,
          token,
          false,
          undefined,
          new WorldtickError(ErrorCode.JOB_TIMEOUT, `job ${job.id} (${job.name}) attempt ${job.attempts} timed out after ${timeoutMs} ms`),
        ),
      timeoutMs,
    );
    this.#running.set(job.id, { job, attemptToken: token, timer, ac });
    this.#perUser.set(job.user, (this.#perUser.get(job.user) ?? 0) + 1);
    let p: Promise<unknown>;
    try {
      p = Promise.resolve(def.handler(job.payload, { jobId: job.id, attempt: job.attempts, signal: ac.signal }));
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      (r) => this.#settle(job.id, token, true, r, null),
      (e) =>
        this.#settle(
          job.id,
          token,
          false,
          undefined,
          new WorldtickError(
            ErrorCode.JOB_FAILED,
            `job ${job.id} (${job.name}) attempt ${job.attempts} failed: ${e instanceof Error ? e.message : String(e)}`,
            { cause: e },
          ),
        ),
    );
  }

  /** An attempt ended (result, error or timeout). A late result of a timed-out attempt is ignored. */
  #settle(id: number, token: number, ok: boolean, result: unknown, err: WorldtickError | null): void {
    const r = this.#running.get(id);
    if (!r || r.attemptToken !== token) return;
    this.hooks?.settled(id, ok, result, err ? { code: err.code, message: err.message } : null);
    this.#running.delete(id);
    if (r.timer !== null) this.#clearTimer(r.timer);
    const u = (this.#perUser.get(r.job.user) ?? 1) - 1;
    if (u <= 0) this.#perUser.delete(r.job.user);
    else this.#perUser.set(r.job.user, u);
    const job = r.job;
    if (!ok && err?.code === ErrorCode.JOB_TIMEOUT) {
      this.#s.timedOut++;
      r.ac.abort(err);
    }
    const def = this.#defs.get(job.name)!;
    if (!ok && job.attempts < (def.maxAttempts ?? this.#o.maxAttempts)) {
      job.notBefore = this.#now() + this.backoffMs(job.attempts);
      this.#s.retried++;
      // Retries keep their place by id (FIFO by first submission), and are not refused for space.
      let i = this.#pending.length;
      while (i > 0 && this.#pending[i - 1].id > job.id) i--;
      this.#pending.splice(i, 0, job);
      return;
    }
    this.#done.push({ job, ok, result, err });
  }

  /** Backoff (wall ms) before retry number `n` (n = attempts so far, ≥ 1). */
  backoffMs(n: number): number {
    return Math.min(this.#o.backoffMaxMs, this.#o.backoffBaseMs * 2 ** (n - 1));
  }

  /**
   * Apply finished jobs inside the step, sorted by job id: `apply` for successes, `fail` for
   * final failures. A throwing apply is counted as a failure; the world is not faulted.
   * Returns how many were applied.
   */
  applyCompleted(world: CoreWorld): number {
    if (this.#done.length === 0) return 0;
    const done = this.#done;
    this.#done = [];
    done.sort((a, b) => a.job.id - b.job.id);
    for (const d of done) {
      const def = this.#defs.get(d.job.name)!;
      try {
        if (d.ok) {
          def.apply?.(world, d.job, d.result);
          this.#s.completed++;
        } else {
          this.#s.failed++;
          def.fail?.(world, d.job, d.err!);
        }
      } catch {
        if (d.ok) {
          this.#s.completed--;
          this.#s.failed++;
        }
      }
    }
    return done.length;
  }

  /**
   * Maintenance hold (admin API): while true no pending job starts; running jobs finish and their
   * results are still applied; submissions still queue (bounded as ever).
   */
  held = false;

  /** Counters and gauges (fresh object). */
  stats(): JobStats {
    return {
      ...this.#s,
      pending: this.#pending.length,
      running: this.#running.size,
      runningUsers: this.#perUser.size,
      awaitingApply: this.#done.length,
      saturated: this.saturated,
      held: this.held,
      perWorldConcurrency: this.#o.perWorldConcurrency,
      perUserConcurrency: this.#o.perUserConcurrency,
    };
  }

  /** Abort every running attempt and clear the queue (shutdown); later submits throw `WT_ERR_JOB_REJECTED`. */
  close(): void {
    this.#closed = true;
    for (const r of this.#running.values()) {
      this.#clearTimer(r.timer);
      r.ac.abort(new WorldtickError(ErrorCode.JOB_FAILED, 'job queue closed'));
    }
    this.#running.clear();
    this.#perUser.clear();
    this.#pending = [];
    this.#done = [];
  }
}

/** The slot jobs add to a world: its job queue (long async work; started and applied in the jobs phase). */
export interface JobsSlot {
  jobs: JobQueue;
}

/** A world's jobs slot. */
export const createJobsSlot = (): JobsSlot => ({ jobs: new JobQueue() });
