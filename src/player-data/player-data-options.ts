/**
 * The `playerData` block of the server config file (docs/DURABILITY.md "Player data"): the
 * player-data service's batching, queue bounds and store-outage retry, checked once at start with
 * messages that name the path. Every key is optional; the defaults are the service's own.
 *
 *   { flushDelayMs, maxBatch, maxBatchBytes, maxQueued, maxQueuedBytes,
 *     retryDeadlineMs, retryFirstMs, retryMaxMs, closeGraceMs }
 */
import { optionInvalid } from '../errors.js';
import type { PlayerDataServiceOptions } from './player-data-types.js';
import { retrySettingsOf } from './store-retry.js';

/** The settings a config file may give (what {@link parsePlayerDataOptions} returns). */
export type PlayerDataSettings = Pick<
  PlayerDataServiceOptions,
  | 'flushDelayMs'
  | 'maxBatch'
  | 'maxBatchBytes'
  | 'maxQueued'
  | 'maxQueuedBytes'
  | 'retryDeadlineMs'
  | 'retryFirstMs'
  | 'retryMaxMs'
  | 'closeGraceMs'
>;

/** Integer bounds of the batching and queue keys (the retry keys are checked by the service's own rules). */
const INT_BOUNDS: Readonly<Record<string, readonly [number, number]>> = {
  flushDelayMs: [0, 1000],
  maxBatch: [1, 10_000],
  maxBatchBytes: [1024, 64 * 1024 * 1024],
  maxQueued: [1, 1_000_000],
  maxQueuedBytes: [64 * 1024, 4 * 1024 * 1024 * 1024],
};
const RETRY_KEYS = ['retryDeadlineMs', 'retryFirstMs', 'retryMaxMs', 'closeGraceMs'] as const;

/**
 * Validate a config file's `playerData` block (`undefined` / `{}`: the defaults). Throws
 * `WT_ERR_OPTION_INVALID` listing every problem (`playerData.maxBatch must be an integer in 1..10000`,
 * an unknown key).
 */
export const parsePlayerDataOptions = (raw: unknown): PlayerDataSettings => {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw optionInvalid(['playerData must be an object of player-data settings']);
  const problems: string[] = [];
  const out: Record<string, number> = {};
  for (const [key, v] of Object.entries(raw)) {
    const bounds = Object.hasOwn(INT_BOUNDS, key) ? INT_BOUNDS[key] : undefined; // not `constructor`, `toString`…
    if (bounds) {
      if (!Number.isSafeInteger(v) || (v as number) < bounds[0] || (v as number) > bounds[1])
        problems.push(`playerData.${key} must be an integer in ${bounds[0]}..${bounds[1]} (got ${JSON.stringify(v)})`);
      else out[key] = v as number;
    } else if ((RETRY_KEYS as readonly string[]).includes(key)) {
      if (typeof v !== 'number') problems.push(`playerData.${key} must be a number of ms (got ${JSON.stringify(v)})`);
      else out[key] = v;
    } else
      problems.push(`playerData.${key} is not a player-data setting (known: ${[...Object.keys(INT_BOUNDS), ...RETRY_KEYS].join(', ')})`);
  }
  if (problems.length) throw optionInvalid(problems);
  retrySettingsOf(out); // its range rules (and retryMaxMs >= retryFirstMs), with the same `playerData.` names
  return out;
};
