/**
 * PostgreSQL `deleteWorldConfig` waits for a write of the record still in flight (its COMMIT not
 * done yet) instead of missing the uncommitted row and letting the write land after the delete —
 * what removes the record of an admin create answered 503 when the store was slow
 * (src/server/admin-created-world.ts). A real server; the "write in flight" is an open
 * transaction of another client, ended by the test once the delete is seen waiting for it.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../../src/store/postgres-store.js';
import { freshDatabase } from '../../helpers/shared-postgres.js';
import { until } from '../../helpers/cluster-instances.js';

const server = await freshDatabase();
if ('skip' in server) console.warn(`[postgres late record] skipped: ${server.skip}`);
afterAll(async () => {
  if (!('skip' in server)) await server.destroy();
});

describe.skipIf('skip' in server)('postgres store: deleting a world record written concurrently', () => {
  const url = (): string => (server as { url: string }).url;

  /** Open a transaction that writes world `worldId`'s record as the store does (fence row first, when fenced), uncommitted. */
  const writeInFlight = async (worldId: string, incarnation: string, fenced: boolean): Promise<pg.Client> => {
    const c = new pg.Client({ connectionString: url() });
    await c.connect();
    await c.query('BEGIN');
    if (fenced) await c.query('UPDATE fences SET token = token WHERE world_id = $1', [worldId]);
    await c.query(
      `INSERT INTO world_configs (world_id, config, updated_at) VALUES ($1, $2, 1)
       ON CONFLICT (world_id) DO UPDATE SET config = EXCLUDED.config`,
      [worldId, JSON.stringify({ incarnation })],
    );
    return c;
  };

  /** Some backend waits for a lock (the delete, blocked by the open transaction). */
  const deleteWaiting = async (): Promise<boolean> => {
    const c = new pg.Client({ connectionString: url() });
    await c.connect();
    try {
      return (
        Number(
          (await c.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`))
            .rows[0].n,
        ) > 0
      );
    } finally {
      await c.end();
    }
  };

  it('an insert committed while the delete runs is deleted (unfenced and fenced); a rolled-back one leaves nothing', async () => {
    const store = await PostgresStore.open({ url: url() });
    try {
      for (const [worldId, fenced] of [
        ['plain', false],
        ['fenced', true],
      ] as const) {
        if (fenced) await store.fence({ worldId, token: 1 });
        const w = await writeInFlight(worldId, 'i1', fenced);
        const del = store.deleteWorldConfig(worldId, { incarnation: 'i1' });
        await until('the delete waits for the write in flight', deleteWaiting, 10_000, 20);
        await w.query('COMMIT');
        await w.end();
        expect(await del, worldId).toBe(true);
        expect(await store.getWorldConfig(worldId), worldId).toBeUndefined();
      }
      const w = await writeInFlight('rolled', 'i1', false);
      const del = store.deleteWorldConfig('rolled', { incarnation: 'i1' });
      await until('the delete waits for the write in flight', deleteWaiting, 10_000, 20);
      await w.query('ROLLBACK');
      await w.end();
      expect(await del).toBe(false);
      expect(await store.listWorldConfigs()).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
