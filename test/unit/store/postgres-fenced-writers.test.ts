/**
 * Which sessions `endFencedOutWriters` ends (src/store/postgres-fenced-writers.ts): only those inside a
 * fenced write of the SAME world under an OLDER token — never a newer or equal token, another world
 * (a long id is hashed, not cut), a transaction that is not fenced, or a session whose fenced
 * transaction has ended (the marker is transaction-local). The store's own fenced writes carry the
 * marker, in front of the connection's own application_name, while their transaction is open. Real server (test/helpers/shared-postgres.ts).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { beginFenced, fenceMarker } from '../../../src/store/postgres-fenced-writers.js';
import { PostgresStore } from '../../../src/store/postgres-store.js';
import { fileDatabase } from '../../helpers/shared-postgres.js';

const { skip, db } = await fileDatabase();

/** A session of its own, inside a transaction opened by `begin`. */
const session = async (begin: string): Promise<{ c: pg.Client; pid: number; lost: () => boolean }> => {
  const c = new pg.Client({ connectionString: db?.url, application_name: 'bystander' });
  let lost = false;
  c.on('error', () => {
    lost = true;
  });
  await c.connect();
  const pid = Number((await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
  await c.query(begin);
  return { c, pid, lost: () => lost };
};

const nameOf = async (pid: number): Promise<string | undefined> => {
  const c = new pg.Client({ connectionString: db?.url });
  await c.connect();
  try {
    return (await c.query('SELECT application_name AS n FROM pg_stat_activity WHERE pid = $1', [pid])).rows[0]?.n as string | undefined;
  } finally {
    await c.end();
  }
};

describe.skipIf(skip !== null)('PostgreSQL: ending the sessions of fenced-out writers', () => {
  it('ends only a fenced write of the same world under an older token', async () => {
    const store = await PostgresStore.open({ url: db?.url ?? '' });
    const world = `w-${randomBytes(3).toString('hex')}`;
    const long = `${'L'.repeat(80)}-${world}`;
    const older = await session(beginFenced(0, { worldId: world, token: 4 }));
    const equal = await session(beginFenced(0, { worldId: world, token: 5 }));
    const newer = await session(beginFenced(0, { worldId: world, token: 9 }));
    const otherWorld = await session(beginFenced(0, { worldId: `${world}x`, token: 1 }));
    const longWorld = await session(beginFenced(0, { worldId: long, token: 1 }));
    const plain = await session('BEGIN');
    const finished = await session(beginFenced(0, { worldId: world, token: 2 }));
    await finished.c.query('COMMIT');
    const all = [older, equal, newer, otherWorld, longWorld, plain, finished];
    try {
      // The mark goes in front of the session's own name, short enough never to be cut itself.
      expect(await nameOf(older.pid)).toBe(`${fenceMarker({ worldId: world, token: 4 })} bystander`);
      expect(fenceMarker({ worldId: long, token: Number.MAX_SAFE_INTEGER }).length).toBeLessThan(63);
      expect(await nameOf(finished.pid)).toBe('bystander'); // reset when its transaction ended

      const ended = await store.endFencedOutWriters(world, 5);
      expect(ended).toEqual([expect.objectContaining({ pid: older.pid, token: 4 })]);
      await expect(older.c.query('SELECT 1')).rejects.toThrow();
      for (const s of [equal, newer, otherWorld, longWorld, plain, finished]) {
        expect(s.lost()).toBe(false);
        expect((await s.c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      }
      // The long id is matched whole (hashed), not by a prefix.
      expect(await store.endFencedOutWriters(`${'L'.repeat(80)}-other`, 5)).toEqual([]);
      expect((await store.endFencedOutWriters(long, 5)).map((e) => e.pid)).toEqual([longWorld.pid]);
    } finally {
      for (const s of all) await s.c.end().catch(() => {});
      await store.close();
    }
  });

  it("marks the store's own fenced writes while their transaction is open", async () => {
    const store = await PostgresStore.open({ url: db?.url ?? '', maxConnections: 1 });
    const world = `m-${randomBytes(3).toString('hex')}`;
    try {
      await store.fence({ worldId: world, token: 3 });
      // A session of this test holds the row; the store's fenced write then waits inside its transaction.
      const holder = await session('BEGIN');
      await holder.c.query('SELECT 1 FROM fences WHERE world_id = $1 FOR UPDATE', [world]);
      const pending = store.putWorldConfig(world, { a: 1 }, { fence: { worldId: world, token: 3 } });
      const watcher = new pg.Client({ connectionString: db?.url });
      await watcher.connect();
      try {
        const until = Date.now() + 10_000;
        let seen = false;
        while (!seen && Date.now() < until) {
          const r = await watcher.query('SELECT 1 FROM pg_stat_activity WHERE application_name LIKE $1', [
            `${fenceMarker({ worldId: world, token: 3 })} %`,
          ]);
          seen = r.rows.length > 0;
          if (!seen) await new Promise((r) => setTimeout(r, 10));
        }
        expect(seen).toBe(true);
      } finally {
        await holder.c.query('ROLLBACK');
        await holder.c.end();
        await watcher.end();
      }
      await pending;
    } finally {
      await store.close();
    }
  });
});
