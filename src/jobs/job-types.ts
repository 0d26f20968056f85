/**
 * Types of the per-world job queue (src/jobs/job-queue.ts): job types and records, the queue's
 * options and statistics, and the recorder's hooks.
 */
import type { CoreWorld } from '../core/world-core.js';
import type { WorldtickError } from '../errors.js';

/** What a handler receives besides its payload. */
export interface JobContext {
  jobId: number;
  /** 1-based attempt number. */
  attempt: number;
  /** Aborted when the attempt times out. */
  signal: AbortSignal;
}

/** A job type. */
export interface JobDefinition<P = unknown, R = unknown> {
  /** The async work (may use a worker pool). Runs outside the step. */
  handler: (payload: P, ctx: JobContext) => Promise<R>;
  /** Applies a success inside the jobs phase (writes components). */
  apply?: (world: CoreWorld, job: JobRecord<P>, result: R) => void;
  /** Applies a final failure (after the last attempt) inside the jobs phase. */
  fail?: (world: CoreWorld, job: JobRecord<P>, err: WorldtickError) => void;
  /** Attempt timeout (wall ms); default the queue's. */
  timeoutMs?: number;
  /** Attempts including the first; default the queue's. */
  maxAttempts?: number;
}

/** A submitted job (read-only for callers). */
export interface JobRecord<P = unknown> {
  id: number;
  name: string;
  user: string;
  /** Entity the job is about (or -1). */
  key: number;
  /**
   * Priority inherited from the session the job works for (src/net/session-priority.ts: 0 bots
   * and observers .. 4 active players in crowds; default 0): higher priorities start first.
   */
  priority: number;
  payload: P;
  attempts: number;
  /** Wall ms before which a retry may not start. */
  notBefore: number;
}

export interface JobQueueOptions {
  /** Most jobs waiting to start (retries included). Default 1024. */
  maxPending?: number;
  /** Most jobs running at once in this world. Default 8. */
  perWorldConcurrency?: number;
  /** Most jobs running at once per user. Default 2. */
  perUserConcurrency?: number;
  /** Default attempts per job. Default 3. */
  maxAttempts?: number;
  /** Backoff before retry n (n ≥ 1): min(backoffMaxMs, backoffBaseMs · 2^(n-1)). Default 100. */
  backoffBaseMs?: number;
  /** Default 10,000. */
  backoffMaxMs?: number;
  /** Default attempt timeout (wall ms). Default 30,000. */
  timeoutMs?: number;
  /** Share (0..1] of maxPending at which `saturated` turns on. Default 0.75. */
  saturateAt?: number;
  /** Wall clock (ms). Default `performance.now`. */
  now?: () => number;
  /** Timer functions (wall ms). Default setTimeout/clearTimeout. */
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

/** Counters and gauges of a queue. */
export interface JobStats {
  submitted: number;
  started: number;
  /** Starts in the last jobs phase. */
  startedLastStep: number;
  completed: number;
  failed: number;
  retried: number;
  timedOut: number;
  /** Submissions refused because the pending queue was full. */
  rejected: number;
  /** trySubmit calls deferred because the queue was saturated. */
  deferred: number;
  pending: number;
  running: number;
  /** Users with at least one running job. */
  runningUsers: number;
  /** Times a due job waited because its user was at the per-user cap (counted per job per jobs phase). */
  userCapWaits: number;
  /** The caps in force. */
  perWorldConcurrency: number;
  perUserConcurrency: number;
  /** Results waiting to be applied by the next jobs phase. */
  awaitingApply: number;
  saturated: boolean;
  /** True while the queue is held (maintenance): no job starts. */
  held: boolean;
}

/**
 * Observer of a queue's starts and settlements (the recorder's hook, src/replay). `settled` is
 * called when an attempt ends (outside the step: result, error or timeout), before its result
 * waits for the next jobs phase; `started` inside the jobs phase, in start order.
 */
export interface JobHooks {
  started(id: number): void;
  settled(id: number, ok: boolean, result: unknown, err: { code: string; message: string } | null): void;
}
