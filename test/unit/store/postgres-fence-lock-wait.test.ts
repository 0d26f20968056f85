/**
 * PostgreSQL fencing while another session holds a world's fence row (a writer paused mid-write;
 * here the test's own connection, in a transaction it leaves open after the store's fence upsert):
 * `fence` with `lockWaitMs` gives up on the server (`lock_timeout`, reason `busy`), records nothing,
 * and leaves its pooled connection usable — with a pool of one, the next operation runs at once,
 * row still locked. A fenced ledger commit of that world gives up on the server too (`lock_timeout`
 * of fenced writes, `fenceLockTimeoutMs`: four fifths of the query timeout), reason `busy`, nothing of
 * it landed, its connection kept; with `fenceLockTimeoutMs: 0` it has no bound of its own and fails at
 * the client-side query timeout (reason `timeout`; its connection is dropped).
 * Real server (test/helpers/shared-postgres.ts).
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PostgresStore } from '../../../src/store/postgres-store.js';
import { fileDatabase } from '../../helpers/shared-postgres.js';
import { rewardEntry } from '../../helpers/ledger-entries.js';

const { skip, db } = await fileDatabase();

const reward = (key: string) => rewardEntry(key);

describe.skipIf(skip !== null)("PostgresStore: a world's fence row held by another session", () => {
  it('fence with lockWaitMs fails busy and keeps its connection; so does a fenced ledger commit (fenceLockTimeoutMs)', async () => {
    const url = db?.url ?? '';
    const store = await PostgresStore.open({ url, maxConnections: 1, queryTimeoutMs: 300 });
    const unbounded = await PostgresStore.open({ url, maxConnections: 1, queryTimeoutMs: 300, fenceLockTimeoutMs: 0 });
    const paused = new pg.Client({ connectionString: url });
    await paused.connect();
    let open = false;
    try {
      await store.fence({ worldId: 'w', token: 3 });
      await paused.query('BEGIN');
      open = true;
      await paused.query(
        `INSERT INTO fences (world_id, token) VALUES ($1, $2)
         ON CONFLICT (world_id) DO UPDATE SET token = GREATEST(fences.token, EXCLUDED.token) RETURNING token`,
        ['w', 3],
      );
      const err = await store.fence({ worldId: 'w', token: 4 }, { lockWaitMs: 50 }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'WT_ERR_STORE_UNAVAILABLE', details: { reason: 'busy' } });
      expect((err as Error).message).toMatch(/lock timeout/);
      expect(store.stats().unavailable).toMatchObject({ reason: 'busy', failures: 1 });
      // The one pooled connection answers at once (the server cancelled the wait), the row still locked.
      expect(await store.currentFence('w')).toBe(3);
      expect(store.stats().unavailable).toBeNull();

      // A fenced ledger commit gives up on the server before the query timeout: `busy`, nothing lands,
      // and the one pooled connection answers at once.
      const ledgerErr = await store.commitLedger([reward('k1')], { worldId: 'w', token: 4 }).catch((e: unknown) => e);
      expect(ledgerErr).toMatchObject({ code: 'WT_ERR_STORE_UNAVAILABLE', details: { reason: 'busy' } });
      expect((ledgerErr as Error).message).toMatch(/lock timeout/);
      expect(await store.findLedgerEntries([{ playerId: 'p1', key: 'k1' }])).toEqual([]);
      expect(await store.currentFence('w')).toBe(3);

      // Without that bound it waits the client's query timeout, fails `timeout`, and nothing lands.
      const unboundedErr = await unbounded.commitLedger([reward('k1')], { worldId: 'w', token: 4 }).catch((e: unknown) => e);
      expect(unboundedErr).toMatchObject({ code: 'WT_ERR_STORE_UNAVAILABLE', details: { reason: 'timeout' } });
      expect(await store.findLedgerEntries([{ playerId: 'p1', key: 'k1' }])).toEqual([]);

      // The paused writer resumes; the announce goes through.
      await paused.query('COMMIT');
      open = false;
      expect(await store.fence({ worldId: 'w', token: 4 })).toBe(4);
      expect(await store.findLedgerEntries([{ playerId: 'p1', key: 'k1' }])).toEqual([]);
    } finally {
      if (open) await paused.query('ROLLBACK').catch(() => undefined);
      await paused.end();
      await store.close();
      await unbounded.close();
    }
  });
});
