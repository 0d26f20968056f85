/**
 * Checkpoint and restore metrics of the admin (src/admin/metrics.ts), read at scrape time from
 * the checkpointer's report of each persisted world (src/persist/checkpointer.ts).
 */
import type { SimWorld } from '../world/sim-world.js';
import type { MetricKit } from './metrics-kit.js';
import { field, type StatsSources, safeCall } from './sources.js';

/** The store's outage in progress, from `StoreStats.unavailable` (null when none or unknown). */
const outageOf = (stats: unknown): { reason: string; sinceMs: number } | null => {
  const u = (stats as { unavailable?: unknown } | null)?.unavailable as { reason?: unknown; sinceMs?: unknown } | null | undefined;
  return u && typeof u.reason === 'string' && typeof u.sinceMs === 'number' ? { reason: u.reason, sinceMs: u.sinceMs } : null;
};

/** Register the store, checkpoint, world-record and restore metrics. */
export const registerCheckpointMetrics = (kit: MetricKit, sources: StatsSources): void => {
  const { gauge, counter, perWorld } = kit;
  const storeStats = (): unknown => safeCall(sources.store);
  gauge(
    'worldtick_store_unavailable',
    "1 while the durable store's operations fail with WT_ERR_STORE_UNAVAILABLE (since the last one that succeeded), by reason (busy, full, readonly, io, cantopen, corrupt, moved, schema, connection, pool-busy, timeout, idle).",
    ['reason'],
    (put) => {
      const o = outageOf(storeStats());
      if (o) put({ reason: o.reason }, 1);
    },
  );
  gauge(
    'worldtick_store_unavailable_since_seconds',
    'Unix time (seconds) of the first failure of the store outage in progress; 0 when none.',
    [],
    (put) => {
      const o = outageOf(storeStats());
      if (o) put({}, o.sinceMs / 1000);
    },
  );
  gauge(
    'worldtick_store_lock_wait_seconds',
    "SQLite: how long an operation waits now for another connection's lock, blocking the event loop (the busy timeout; a short probe while a busy outage lasts); 0 for PostgreSQL, whose waits do not block the event loop.",
    [],
    (put) => {
      const v = field(storeStats(), 'lockWaitMs');
      if (v !== null) put({}, v / 1000);
    },
  );
  counter(
    'worldtick_store_unavailable_errors_total',
    'Store operations that failed with WT_ERR_STORE_UNAVAILABLE (runtime store; checkpoint writes have their own worldtick_checkpoints_total).',
    [],
    (put) => {
      const v = field(storeStats(), 'unavailableErrors');
      if (v !== null) put({}, v);
    },
  );
  counter(
    'worldtick_store_ledger_balances_damaged_total',
    "Reads and ledger commits that found a player's balance row damaged (items not a JSON object of integers, coins or last_seq not an integer): read as summed from the player's ledger entries, rewritten by the player's next ledger commit.",
    [],
    (put) => {
      const v = field(storeStats(), 'ledgerBalancesDamaged');
      if (v !== null) put({}, v);
    },
  );
  counter(
    'worldtick_store_idle_transactions_ended_total',
    "PostgreSQL: the runtime store's write transactions the server ended for sitting idle past idle_in_transaction_session_timeout (this process was paused mid-write); rolled back, failed unavailable (idle).",
    [],
    (put) => {
      const v = field(storeStats(), 'idleTransactionsEnded');
      if (v !== null) put({}, v);
    },
  );
  counter(
    'worldtick_store_pool_wait_timeouts_total',
    "PostgreSQL: the runtime store's operations that found every pooled connection in use and none free within the pool wait (--store-pool-wait); failed unavailable (pool-busy), nothing sent to the server.",
    [],
    (put) => {
      const v = field(storeStats(), 'poolWaitTimeouts');
      if (v !== null) put({}, v);
    },
  );
  // Checkpoints (src/persist/checkpointer.ts; worlds that are persisted only).
  const ckOf = (w: SimWorld): unknown => safeCall(sources.checkpoint && (() => sources.checkpoint!(w)));
  const ckField = (key: string, scale = 1) =>
    perWorld((w, put) => {
      const v = field(ckOf(w), key);
      if (v !== null) put({ world: w.id }, v * scale);
    });
  counter(
    'worldtick_checkpoints_total',
    'Full world checkpoints by outcome (saved, failed).',
    ['world', 'outcome'],
    perWorld((w, put) => {
      const r = ckOf(w);
      for (const outcome of ['saved', 'failed'] as const) {
        const v = field(r, outcome);
        if (v !== null) put({ world: w.id, outcome }, v);
      }
    }),
  );
  gauge(
    'worldtick_checkpoint_last_duration_seconds',
    'Wall seconds of the last checkpoint, capture to durable (copy + compression + write).',
    ['world'],
    ckField('lastDurationMs', 1e-3),
  );
  gauge(
    'worldtick_checkpoint_last_copy_seconds',
    "Wall seconds of the last checkpoint's synchronous copy (the only part on the event loop between steps).",
    ['world'],
    ckField('lastCopyMs', 1e-3),
  );
  gauge('worldtick_checkpoint_last_bytes', 'Stored (compressed) bytes of the last checkpoint.', ['world'], ckField('lastBytes'));
  gauge('worldtick_checkpoint_last_step', 'Step of the last saved checkpoint.', ['world'], ckField('lastStep'));
  gauge(
    'worldtick_checkpoint_last_timestamp_seconds',
    'Unix time (wall) of the last saved checkpoint.',
    ['world'],
    perWorld((w, put) => {
      const at = field(ckOf(w), 'lastAt');
      if (at !== null && at > 0) put({ world: w.id }, at / 1000);
    }),
  );
  counter(
    'worldtick_world_records_total',
    'World record writes (config + clock, every 10 steps) by outcome.',
    ['world', 'outcome'],
    perWorld((w, put) => {
      const r = ckOf(w);
      const ok = field(r, 'recordsWritten'),
        bad = field(r, 'recordFailures');
      if (ok !== null) put({ world: w.id, outcome: 'written' }, ok);
      if (bad !== null) put({ world: w.id, outcome: 'failed' }, bad);
    }),
  );
  gauge(
    'worldtick_world_restore_seconds',
    'Wall seconds to load and rebuild the world at start (restored worlds only).',
    ['world'],
    perWorld((w, put) => {
      const r = ckOf(w);
      const restored = typeof r === 'object' && r !== null ? (r as { restored?: unknown }).restored : null;
      const ms = field(restored, 'ms');
      if (ms !== null) put({ world: w.id }, ms / 1000);
    }),
  );
};
