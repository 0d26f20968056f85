/**
 * The PostgreSQL store's wait for a free pooled connection (src/store/postgres-pool-gate.ts) is its
 * own bound (`poolWaitMs`), not the connect timeout: with a pool of one held busy by a fenced write
 * waiting on a lock (the test's own session holds the world's fence row), a read waits past the
 * connect timeout and succeeds once the connection comes free; past `poolWaitMs` it fails
 * `WT_ERR_STORE_UNAVAILABLE` with reason `pool-busy` (counted `poolWaitTimeouts`), not `connection`.
 * A close fails the operations still waiting with `WT_ERR_STORE_CLOSED`.
 * Real server (test/helpers/shared-postgres.ts).
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PostgresStore } from '../../../src/store/postgres-store.js';
import { fileDatabase } from '../../helpers/shared-postgres.js';

const { skip, db } = await fileDatabase();

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Take world `w`'s fence row in a transaction of a session outside the store (a writer paused
 * mid-write); `release` commits it. While it is held, a fence announce of `w` waits on the server.
 */
const holdFenceRow = async (url: string): Promise<{ release: () => Promise<void>; waitedOn: () => Promise<void> }> => {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query('BEGIN');
  await c.query('SELECT token FROM fences WHERE world_id = $1 FOR UPDATE', ['w']);
  const probe = new pg.Client({ connectionString: url });
  await probe.connect();
  return {
    release: async () => {
      await c.query('COMMIT');
      await c.end();
      await probe.end();
    },
    // Until another session of this database waits for a lock (the store's connection, on the row).
    waitedOn: async () => {
      const q = "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'";
      while ((await probe.query(q)).rows[0].n < 1) await sleep(20);
    },
  };
};

describe.skipIf(skip !== null)('PostgresStore: waiting for a free pooled connection', () => {
  it('waits past the connect timeout for a busy pool, then runs', async () => {
    const url = db?.url ?? '';
    const store = await PostgresStore.open({ url, maxConnections: 1, connectTimeoutMs: 200 });
    try {
      await store.fence({ worldId: 'w', token: 1 });
      const row = await holdFenceRow(url);
      // The one pooled connection waits on the server for the row (well past the connect timeout).
      const announce = store.fence({ worldId: 'w', token: 2 }, { lockWaitMs: 20_000 });
      const read = store.currentFence('other').then(
        (v) => ({ ok: true as const, v }),
        (err: unknown) => ({ ok: false as const, err }),
      );
      await sleep(800); // 4 connect timeouts: a wait bounded by it has failed by now
      await row.release();
      expect(await announce).toBe(2);
      expect(await read).toEqual({ ok: true, v: 0 });
      expect(store.stats()).toMatchObject({ unavailableErrors: 0, poolWaitTimeouts: 0, unavailable: null });
    } finally {
      await store.close();
    }
  });

  it('fails pool-busy past poolWaitMs, counted; the store answers again once a connection is free', async () => {
    const url = db?.url ?? '';
    const store = await PostgresStore.open({ url, maxConnections: 1, connectTimeoutMs: 20_000, poolWaitMs: 150 });
    try {
      await store.fence({ worldId: 'w', token: 3 });
      const row = await holdFenceRow(url);
      const announce = store.fence({ worldId: 'w', token: 4 }, { lockWaitMs: 20_000 });
      const err = await store.currentFence('other').catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'WT_ERR_STORE_UNAVAILABLE', details: { reason: 'pool-busy' } });
      expect((err as Error).message).toMatch(/no pooled connection came free within 150 ms \(1 of 1 in use/);
      expect(store.stats()).toMatchObject({ unavailableErrors: 1, poolWaitTimeouts: 1, unavailable: { reason: 'pool-busy', failures: 1 } });
      await row.release();
      expect(await announce).toBe(4);
      expect(await store.currentFence('w')).toBe(4);
      expect(store.stats().unavailable).toBeNull();
    } finally {
      await store.close();
    }
  });

  it('a close fails the operations still waiting for a connection with WT_ERR_STORE_CLOSED', async () => {
    const url = db?.url ?? '';
    const store = await PostgresStore.open({ url, maxConnections: 1, poolWaitMs: 20_000 });
    await store.fence({ worldId: 'w', token: 5 });
    const row = await holdFenceRow(url);
    const announce = store.fence({ worldId: 'w', token: 6 }, { lockWaitMs: 20_000 }).catch((e: unknown) => e);
    await row.waitedOn();
    const waiting = store.currentFence('other').catch((e: unknown) => e);
    const closed = store.close();
    expect(await waiting).toMatchObject({ code: 'WT_ERR_STORE_CLOSED' });
    await row.release();
    expect(await announce).toBe(6); // the operation holding the connection finishes
    await closed;
  });
});
