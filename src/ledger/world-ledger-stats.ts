/**
 * Counters of a world's ledger slot (src/ledger/world-ledger.ts): results by kind and code, the
 * commit-latency histogram and the newest transactions (a ring of {@link RECENT_TX}). Every table
 * here is bounded: results are keyed by kind and TX code, the histogram by fixed buckets.
 */
import type { TxResult } from './decide.js';

/** Upper bounds (ms) of the commit-latency histogram buckets (`+Inf` implied). */
export const COMMIT_LATENCY_BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500] as const;

/** Recent transactions kept per world. */
export const RECENT_TX = 50;

/** One recent transaction (dashboard, admin). */
export interface RecentTx {
  /** Wall ms. */
  at: number;
  playerId: string;
  key: string;
  kind: 'purchase' | 'reward';
  status: 'ok' | 'rejected';
  code: string | null;
  seq: number | null;
  item: string | null;
  quantity: number;
  coinsDelta: number;
  replayed: boolean;
}

/** Counters of a world's ledger slot (metrics). */
export interface WorldLedgerStats {
  /** Results by `ok` / rejection code, by kind. */
  results: Record<string, number>;
  /** Commit latency histogram (submit → durable answer), cumulative counts per bucket + `+Inf`. */
  latencyBuckets: number[];
  latencySumMs: number;
  latencyCount: number;
  /** Entries applied to wallets (one by one: a catch-up from a summary counts in `catchUpSummaries`). */
  applied: number;
  /** Catch-ups of a fresh wallet that read the player's ledger summary (one store row each) instead of its history. */
  catchUpSummaries: number;
  /** Entries read from the store by catch-ups of wallets with a watermark (the entries above it). */
  catchUpEntriesRead: number;
  /**
   * Catch-ups started because an entry to apply lay past entries the wallet may lack: its watermark
   * below the service's `continuousFrom` (another world committed between the wallet's read and the
   * service's first load of the player; src/ledger/world-ledger-apply.ts).
   */
  catchUpGaps: number;
  /**
   * `ok` entries read with amounts that are no integers (a damaged SQLite file, a hand edit: src/ledger/apply.ts
   * `intactAmounts`), applied to no wallet.
   */
  entriesDamaged: number;
  /** Results that could not be queued for a step (critical buffer at its hard bound). */
  pushFailed: number;
  /** Server-side rewards resubmitted after `TX_UNAVAILABLE` (reward-retry.ts). */
  rewardResubmits: number;
  /** Server-side rewards waiting for the store now. */
  rewardsRetrying: number;
  /** Server-side rewards given up (the wait list full, or the ledger detached while waiting). */
  rewardsAbandoned: number;
  /** Refusal rows deleted by this world's pruner past their retention (refusal-retention.ts; store-wide rows). */
  refusalsPruned: number;
  /** Prune passes that failed (the store unavailable; tried again at the next pass). */
  refusalPruneFailures: number;
}

/** Zeroed counters. */
export const createWorldLedgerStats = (): WorldLedgerStats => ({
  results: {},
  latencyBuckets: new Array<number>(COMMIT_LATENCY_BUCKETS_MS.length + 1).fill(0),
  latencySumMs: 0,
  latencyCount: 0,
  applied: 0,
  catchUpSummaries: 0,
  catchUpEntriesRead: 0,
  catchUpGaps: 0,
  entriesDamaged: 0,
  pushFailed: 0,
  rewardResubmits: 0,
  rewardsRetrying: 0,
  rewardsAbandoned: 0,
  refusalsPruned: 0,
  refusalPruneFailures: 0,
});

/** Count result `r` (submitted at `submittedAt`, performance.now ms) and append it to `recent` (oldest dropped past {@link RECENT_TX}). */
export const recordTxResult = (stats: WorldLedgerStats, recent: RecentTx[], r: TxResult, submittedAt: number): void => {
  const ms = performance.now() - submittedAt;
  const b = stats.latencyBuckets;
  let i = 0;
  while (i < COMMIT_LATENCY_BUCKETS_MS.length && ms > COMMIT_LATENCY_BUCKETS_MS[i]) i++;
  b[i]++;
  stats.latencySumMs += ms;
  stats.latencyCount++;
  const k = `${r.kind}:${r.status === 'ok' ? 'ok' : (r.code ?? 'rejected')}`;
  stats.results[k] = (stats.results[k] ?? 0) + 1;
  recent.push({
    at: Date.now(),
    playerId: r.playerId,
    key: r.key,
    kind: r.kind,
    status: r.status,
    code: r.code,
    seq: r.seq,
    item: r.item,
    quantity: r.quantity,
    coinsDelta: r.coinsDelta,
    replayed: r.replayed,
  });
  if (recent.length > RECENT_TX) recent.shift();
};
