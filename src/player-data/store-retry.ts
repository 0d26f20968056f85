/**
 * How the player-data service waits for a store that failed (docs/DURABILITY.md "Player data",
 * "Store outages"): which failures are retried, the jittered exponential backoff (wall time:
 * operational, never gameplay), the deadlines, and how long batch records are kept.
 *
 *   attempt ── ok ───────────────────────────────────────────────────► answers
 *      └─ WT_ERR_STORE_UNAVAILABLE ─ wait (20 ms doubling to 1 s, ×0.5–1.5, never past the deadline) ─┘
 *      └─ anything else, or the deadline passed ───────────────────► PD_UNAVAILABLE
 */
import { isWorldtickError, optionInvalid } from '../errors.js';
import type { PlayerDataServiceOptions } from './player-data-types.js';

/** Defaults of the retry options of {@link PlayerDataServiceOptions} (wall ms). */
export const PLAYER_DATA_RETRY_DEFAULTS = {
  retryDeadlineMs: 30_000,
  retryFirstMs: 20,
  retryMaxMs: 1000,
  closeGraceMs: 2000,
} as const;

/** Longest `retryDeadlineMs` accepted: batch records are kept twice as long. */
export const MAX_RETRY_DEADLINE_MS = 300_000;

/**
 * Batch records (table `player_data_batches`) older than this are deleted (wall ms): longer than
 * any retry can last ({@link MAX_RETRY_DEADLINE_MS} plus the close grace), on every instance
 * sharing the store whatever its own deadline.
 */
export const BATCH_RECORD_RETENTION_MS = 2 * MAX_RETRY_DEADLINE_MS;

/** How often a batch carries the prune of old records (wall ms). */
export const BATCH_RECORD_PRUNE_EVERY_MS = 10_000;

/** The retry settings, validated. */
export interface RetrySettings {
  deadlineMs: number;
  firstMs: number;
  maxMs: number;
  closeGraceMs: number;
}

/** Validate the retry options (`WT_ERR_OPTION_INVALID` listing every problem). */
export const retrySettingsOf = (
  o: Pick<PlayerDataServiceOptions, 'retryDeadlineMs' | 'retryFirstMs' | 'retryMaxMs' | 'closeGraceMs'>,
): RetrySettings => {
  const d = PLAYER_DATA_RETRY_DEFAULTS;
  const s: RetrySettings = {
    deadlineMs: o.retryDeadlineMs ?? d.retryDeadlineMs,
    firstMs: o.retryFirstMs ?? d.retryFirstMs,
    maxMs: o.retryMaxMs ?? d.retryMaxMs,
    closeGraceMs: o.closeGraceMs ?? d.closeGraceMs,
  };
  const problems: string[] = [];
  const ms = (name: string, v: number, max: number) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > max)
      problems.push(`playerData.${name} must be a number of ms in 0..${max}`);
  };
  ms('retryDeadlineMs', s.deadlineMs, MAX_RETRY_DEADLINE_MS);
  ms('retryFirstMs', s.firstMs, 60_000);
  ms('retryMaxMs', s.maxMs, 60_000);
  ms('closeGraceMs', s.closeGraceMs, 60_000);
  if (problems.length === 0 && s.maxMs < s.firstMs) problems.push('playerData.retryMaxMs must be >= retryFirstMs');
  if (problems.length) throw optionInvalid(problems);
  return s;
};

/** Is `err` a store failure worth retrying (the store is down, full, busy, cut off)? */
export const isRetryable = (err: unknown): boolean => isWorldtickError(err, 'WT_ERR_STORE_UNAVAILABLE');

/** The wait before the next attempt: `wait` jittered ×0.5–1.5 (so callers of one outage spread out), never past `until`. */
export const backoffMs = (wait: number, now: number, until: number, random: () => number = Math.random): number =>
  Math.max(0, Math.min(wait * (0.5 + random()), until - now));

/** Sleep `ms` of wall time (the timer does not keep the process alive). */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());
