/**
 * Defaults and validation of the job queue's options (src/jobs/job-queue.ts): checked once at
 * construction, every problem named (`WT_ERR_OPTION_INVALID`).
 */
import { ErrorCode, WorldtickError } from '../errors.js';
import type { JobQueueOptions } from './job-types.js';

/** Defaults of the job queue's numeric options (see {@link JobQueueOptions}). */
export const JOB_QUEUE_DEFAULTS = {
  maxPending: 1024,
  perWorldConcurrency: 8,
  perUserConcurrency: 2,
  maxAttempts: 3,
  backoffBaseMs: 100,
  backoffMaxMs: 10_000,
  timeoutMs: 30_000,
  saturateAt: 0.75,
};

/** Push a problem unless `v` is an integer >= `min`. */
export const checkInt = (problems: string[], name: string, v: number, min: number): void => {
  if (!Number.isInteger(v) || v < min) problems.push(`${name} must be an integer >= ${min}`);
};

/** The queue's numeric settings in force. */
export type JobQueueSettings = typeof JOB_QUEUE_DEFAULTS;

/** Merge `opts` over the defaults and validate; throws `WT_ERR_OPTION_INVALID` listing every problem. */
export const resolveJobQueueOptions = (opts: JobQueueOptions): JobQueueSettings => {
  const o = { ...JOB_QUEUE_DEFAULTS };
  for (const k of Object.keys(JOB_QUEUE_DEFAULTS) as Array<keyof typeof JOB_QUEUE_DEFAULTS>) if (opts[k] !== undefined) o[k] = opts[k];
  const p: string[] = [];
  checkInt(p, 'maxPending', o.maxPending, 1);
  checkInt(p, 'perWorldConcurrency', o.perWorldConcurrency, 1);
  checkInt(p, 'perUserConcurrency', o.perUserConcurrency, 1);
  checkInt(p, 'maxAttempts', o.maxAttempts, 1);
  if (!(o.backoffBaseMs >= 0) || !(o.backoffMaxMs >= o.backoffBaseMs)) p.push('backoffBaseMs must be >= 0 and <= backoffMaxMs');
  if (!(o.timeoutMs > 0)) p.push('timeoutMs must be > 0');
  if (!(o.saturateAt > 0 && o.saturateAt <= 1)) p.push('saturateAt must be in (0, 1]');
  if (p.length)
    throw new WorldtickError(ErrorCode.OPTION_INVALID, `invalid job queue options: ${p.join('; ')}`, { details: { problems: p } });
  return o;
};
