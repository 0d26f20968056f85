/**
 * Ledger metrics (docs/DURABILITY.md): commit latency histogram (submit → durable answer),
 * results by kind and code, entries applied to wallets, batches, retries.
 */
import type { Metric, Registry } from 'prom-client';
import { COMMIT_LATENCY_BUCKETS_MS, worldLedgerStats } from '../ledger/world-ledger.js';
import type { SimWorld } from '../world/sim-world.js';

type Labels = Record<string, string>;
type Put = (labels: Labels, value: number) => void;
type Register = (name: string, help: string, labelNames: string[], fill: (put: Put) => void) => void;

/** Register the ledger metrics on `registry` (counters via the caller's `counter` helper). */
export const registerLedgerMetrics = (registry: Registry, worlds: () => readonly SimWorld[], counter: Register): void => {
  /** A counter of one figure of each world's ledger stats, labelled by world (worlds without a ledger have none). */
  const perWorld = (name: string, help: string, pick: (s: NonNullable<ReturnType<typeof worldLedgerStats>>) => number): void =>
    counter(name, help, ['world'], (put) => {
      for (const w of worlds()) {
        const s = worldLedgerStats(w);
        if (s) put({ world: w.id }, pick(s));
      }
    });
  counter(
    'worldtick_ledger_results_total',
    'Transaction results by kind and outcome (ok or TX_* rejection code).',
    ['world', 'kind', 'code'],
    (put) => {
      for (const w of worlds()) {
        const s = worldLedgerStats(w);
        if (!s) continue;
        for (const [k, n] of Object.entries(s.results)) {
          const [kind, code] = k.split(':') as [string, string];
          put({ world: w.id, kind, code }, n);
        }
      }
    },
  );
  perWorld('worldtick_ledger_commits_total', 'Ledger entries committed (ok and recorded rejections).', (s) => s.service.committed);
  counter(
    'worldtick_ledger_refusals_total',
    'TX_INSUFFICIENT_FUNDS refusals: recorded="true" written to the ledger (within the per-player refusal budget), "false" answered without a row.',
    ['world', 'recorded'],
    (put) => {
      for (const w of worlds()) {
        const s = worldLedgerStats(w);
        if (!s) continue;
        put({ world: w.id, recorded: 'true' }, s.service.refusalsRecorded);
        put({ world: w.id, recorded: 'false' }, s.service.refusalsUnrecorded);
      }
    },
  );
  perWorld(
    'worldtick_ledger_refusals_pruned_total',
    "Recorded refusal rows deleted past their retention by this world's pruner (the delete is store-wide).",
    (s) => s.refusalsPruned,
  );
  perWorld('worldtick_ledger_batches_total', 'Group-commit transactions.', (s) => s.service.batches);
  perWorld('worldtick_ledger_retries_total', 'Failed commit attempts retried.', (s) => s.service.retries);
  perWorld(
    'worldtick_ledger_reward_resubmits_total',
    'Server-side rewards (chain, game) resubmitted after TX_UNAVAILABLE.',
    (s) => s.rewardResubmits,
  );
  perWorld(
    'worldtick_ledger_rewards_abandoned_total',
    'Server-side rewards given up while the store was unavailable (wait list full, or the world detached).',
    (s) => s.rewardsAbandoned,
  );
  perWorld('worldtick_ledger_applied_total', 'Ledger entries applied to wallet components (exactly once each).', (s) => s.applied);
  perWorld(
    'worldtick_ledger_catchup_summaries_total',
    "Catch-ups of a fresh wallet started from the player's ledger summary (one row read, not the history).",
    (s) => s.catchUpSummaries,
  );
  perWorld(
    'worldtick_ledger_catchup_entries_read_total',
    'Ledger entries read by catch-ups of wallets with a watermark (the entries above it).',
    (s) => s.catchUpEntriesRead,
  );
  perWorld(
    'worldtick_ledger_entries_damaged_total',
    'Ledger entries read with amounts that are no integers (a damaged SQLite file, a hand edit), applied to no wallet.',
    (s) => s.entriesDamaged,
  );
  const name = 'worldtick_ledger_commit_latency_seconds';
  const help = "Wall time from a transaction's submit to its durable answer (seconds).";
  const hist = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    reset: () => undefined,
    get: async () => {
      const values: Array<{ metricName: string; labels: Labels; value: number }> = [];
      for (const w of worlds()) {
        const s = worldLedgerStats(w);
        if (!s) continue;
        let cum = 0;
        for (let i = 0; i < COMMIT_LATENCY_BUCKETS_MS.length; i++) {
          cum += s.latencyBuckets[i];
          values.push({
            metricName: `${name}_bucket`,
            labels: { world: w.id, le: String(COMMIT_LATENCY_BUCKETS_MS[i] / 1000) },
            value: cum,
          });
        }
        cum += s.latencyBuckets[COMMIT_LATENCY_BUCKETS_MS.length];
        values.push({ metricName: `${name}_bucket`, labels: { world: w.id, le: '+Inf' }, value: cum });
        values.push({ metricName: `${name}_sum`, labels: { world: w.id }, value: s.latencySumMs / 1000 });
        values.push({ metricName: `${name}_count`, labels: { world: w.id }, value: s.latencyCount });
      }
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
  };
  registry.registerMetric(hist as unknown as Metric);
};
