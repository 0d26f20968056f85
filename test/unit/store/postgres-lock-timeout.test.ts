/**
 * A PostgreSQL store whose table another session keeps locked (`LOCK TABLE … IN ACCESS EXCLUSIVE MODE`
 * in an open transaction): a write waits until the query timeout and fails `WT_ERR_STORE_UNAVAILABLE`
 * with reason `timeout` — not `connection`, which would send the operator to the network — and the
 * outage is in `stats().unavailable` until an operation succeeds (what `worldtick_store_unavailable`
 * exports). Real server (test/helpers/shared-postgres.ts).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../../src/store/postgres-store.js';
import { freshDatabase } from '../../helpers/shared-postgres.js';
import type { PgServer } from '../../helpers/postgres-server.js';

const server = await freshDatabase();
const skip = 'skip' in server ? server.skip : null;
let db: PgServer;

beforeAll(() => {
  if (!skip) db = server as PgServer;
});
afterAll(async () => {
  if (db) await db.destroy();
});

describe.skipIf(skip !== null)('PostgresStore: a table locked by another session', () => {
  it('fails writes with reason timeout and records the outage until an operation succeeds', async () => {
    const store = await PostgresStore.open({ url: db.url, queryTimeoutMs: 400 });
    try {
      await store.putWorldConfig('w1', { a: 1 });
      expect(store.stats()).toMatchObject({ unavailable: null, lockWaitMs: null });
      const other = new pg.Client({ connectionString: db.url });
      await other.connect();
      try {
        await other.query('BEGIN');
        await other.query('LOCK TABLE world_configs IN ACCESS EXCLUSIVE MODE');
        const err = await store.putWorldConfig('w1', { a: 2 }).catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 'WT_ERR_STORE_UNAVAILABLE', details: { reason: 'timeout' } });
        expect(store.stats().unavailable).toMatchObject({ reason: 'timeout', failures: 1 });
        expect(store.stats().unavailable!.message).toMatch(/timeout/i);
      } finally {
        await other.query('ROLLBACK');
        await other.end();
      }
      await store.putWorldConfig('w1', { a: 3 });
      expect(store.stats().unavailable).toBeNull();
    } finally {
      await store.close();
    }
  });
});
