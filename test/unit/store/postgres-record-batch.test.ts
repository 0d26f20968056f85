/**
 * World records on the PostgreSQL store are group-committed (src/store/postgres-record-batch.ts):
 * every world's record is written every 10 steps (src/persist/checkpointer.ts), and one transaction
 * per record (BEGIN, upsert, COMMIT: three round trips and a WAL flush each) through a pool of 4
 * queued the pool from 40 worlds on, and 300 worlds of 50 NPCs (bench/many-worlds.ts --postgres)
 * failed a world's create (its record not confirmed in time). Records asked for close together share
 * one transaction and one statement; each is still answered alone: a fenced one refused, the others
 * written; a record the database refuses (a trigger), or one whose fence row another writer holds, refused
 * alone; no later operation overtakes one.
 * Real server (test/helpers/shared-postgres.ts).
 */
import { describe, expect, it } from 'vitest';
import { PostgresStore } from '../../../src/store/postgres-store.js';
import { fileDatabase, withPgClient } from '../../helpers/shared-postgres.js';

const { skip, db } = await fileDatabase();
const url = (): string => db?.url ?? '';

/** Run `fn` on a store of the file's database, closed afterwards. */
const withStore = async (fn: (s: PostgresStore) => Promise<void>): Promise<void> => {
  const store = await PostgresStore.open({ url: url() });
  try {
    await fn(store);
  } finally {
    await store.close();
  }
};

describe.skipIf(skip !== null)('PostgreSQL world records, group-committed', () => {
  it('records of many worlds asked for together share one transaction', async () => {
    await withStore(async (store) => {
      const before = store.stats().transactions;
      const ids = Array.from({ length: 50 }, (_, i) => `many-${i}`);
      const written = await Promise.all(ids.map((id, i) => store.putWorldConfig(id, { clock: { step: i } })));
      expect(written.map((r) => r.worldId)).toEqual(ids);
      expect(written[7]?.config).toEqual({ clock: { step: 7 } });
      // Before: 50 (one transaction per record).
      expect(store.stats().transactions - before).toBe(1);
      expect((await store.getWorldConfig('many-49'))?.config).toEqual({ clock: { step: 49 } });
    });
  });

  it('a fenced record is refused alone; the others of its transaction are written, a higher token recorded', async () => {
    await withStore(async (store) => {
      await store.fence({ worldId: 'f-stale', token: 5 });
      const before = store.stats().transactions;
      const out = await Promise.allSettled([
        store.putWorldConfig('f-a', { n: 1 }),
        store.putWorldConfig('f-stale', { n: 2 }, { fence: { worldId: 'f-stale', token: 3 } }),
        store.putWorldConfig('f-new', { n: 3 }, { fence: { worldId: 'f-new', token: 7 } }),
        store.putWorldConfig('f-b', { n: 4 }),
      ]);
      expect(out.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      expect(out[1]).toMatchObject({ reason: { code: 'WT_ERR_STORE_FENCED' } });
      expect(store.stats().transactions - before).toBe(1);
      expect(store.stats().fencedRefusals).toBe(1);
      expect(await store.getWorldConfig('f-stale')).toBeUndefined();
      expect((await store.getWorldConfig('f-new'))?.config).toEqual({ n: 3 });
      expect((await store.getWorldConfig('f-b'))?.config).toEqual({ n: 4 });
      // The fenced write recorded its token, as a write alone does; the stale one changed nothing.
      expect(await store.currentFence('f-new')).toBe(7);
      expect(await store.currentFence('f-stale')).toBe(5);
    });
  });

  it('a record the database refuses is refused alone; the others are written', async () => {
    await withPgClient(url(), async (c) => {
      await c.query(`CREATE OR REPLACE FUNCTION refuse_bad() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'record refused by the test'; END $$`);
      await c.query(`CREATE TRIGGER refuse_bad BEFORE INSERT OR UPDATE ON world_configs
        FOR EACH ROW WHEN (NEW.world_id = 'bad') EXECUTE FUNCTION refuse_bad()`);
    });
    try {
      await withStore(async (store) => {
        const out = await Promise.allSettled([
          store.putWorldConfig('ok-1', { n: 1 }),
          store.putWorldConfig('bad', { n: 2 }),
          store.putWorldConfig('ok-2', { n: 3 }),
        ]);
        expect(out.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
        expect(String((out[1] as PromiseRejectedResult).reason)).toMatch(/record refused by the test/);
        expect((await store.getWorldConfig('ok-2'))?.config).toEqual({ n: 3 });
        expect(await store.getWorldConfig('bad')).toBeUndefined();
      });
    } finally {
      await withPgClient(url(), (c) => c.query('DROP TRIGGER refuse_bad ON world_configs'));
    }
  });

  it('a fenced record whose fence row another session holds fails busy alone; the others are written', async () => {
    const store = await PostgresStore.open({ url: url(), fenceLockTimeoutMs: 300 });
    try {
      await store.fence({ worldId: 'held', token: 1 });
      await withPgClient(url(), async (other) => {
        await other.query('BEGIN');
        await other.query(`SELECT token FROM fences WHERE world_id = 'held' FOR UPDATE`);
        try {
          const out = await Promise.allSettled([
            store.putWorldConfig('free-1', { n: 1 }, { fence: { worldId: 'free-1', token: 1 } }),
            store.putWorldConfig('held', { n: 2 }, { fence: { worldId: 'held', token: 1 } }),
            store.putWorldConfig('free-2', { n: 3 }),
          ]);
          expect(out.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
          expect(out[1]).toMatchObject({ reason: { code: 'WT_ERR_STORE_UNAVAILABLE', details: { reason: 'busy' } } });
        } finally {
          await other.query('ROLLBACK');
        }
      });
      expect((await store.getWorldConfig('free-1'))?.config).toEqual({ n: 1 });
      expect((await store.getWorldConfig('free-2'))?.config).toEqual({ n: 3 });
      expect(await store.getWorldConfig('held')).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('two records of one world asked for together: both answered, the later one stays', async () => {
    await withStore(async (store) => {
      const [a, b] = await Promise.all([store.putWorldConfig('twice', { n: 1 }), store.putWorldConfig('twice', { n: 2 })]);
      expect(a.config).toEqual({ n: 1 });
      expect(b.config).toEqual({ n: 2 });
      expect((await store.getWorldConfig('twice'))?.config).toEqual({ n: 2 });
    });
  });

  it('no later operation overtakes a record: a delete asked for after it removes it', async () => {
    await withStore(async (store) => {
      const put = store.putWorldConfig('x', { n: 1 });
      const del = store.deleteWorldConfig('x');
      await put;
      expect(await del).toBe(true);
      expect(await store.getWorldConfig('x')).toBeUndefined();
    });
  });

  it('a record is the value as it was when asked for, and one asked for before close is written', async () => {
    const store = await PostgresStore.open({ url: url() });
    const rec = { clock: { step: 1 } };
    const put = store.putWorldConfig('late', rec);
    rec.clock.step = 2; // the caller reuses its object before the batch commits
    await store.close();
    expect((await put).config).toEqual({ clock: { step: 1 } });
    await withStore(async (again) => {
      expect((await again.getWorldConfig('late'))?.config).toEqual({ clock: { step: 1 } });
    });
  });
});
