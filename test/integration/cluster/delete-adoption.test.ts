/**
 * Deleting a world in cluster mode (docs/CLUSTER.md "Deleting a world"): the world's lease is kept
 * until its stored record and checkpoints are gone, so another instance never adopts the deleted
 * world from its still-present record. Before, the lease was given back first: in the window until
 * the delete committed (or for good when it failed) another instance's orphan failover took the world.
 * Two real instances (src/cli/main.ts) on a real redis-server and PostgreSQL; the test holds the
 * fences table locked (the delete waits on it) or refuses the record's delete with a trigger (a
 * failed delete, retried in the background until the trigger goes).
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ownersFrom, until, type TestInstance, createWorld } from '../../helpers/cluster-instances.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { controlTicks, sharedBackendOrSkip, twoInstancesOwning } from '../../helpers/shared-cluster.js';
import { withPgClient } from '../../helpers/shared-postgres.js';

const backend = await sharedBackendOrSkip('[delete-adoption]');

/** Run `sql` in a transaction on its own connection, held open until the returned function is called (ROLLBACK). */
const holdLock = async (url: string, sql: string): Promise<() => Promise<void>> => {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query('BEGIN');
  await c.query(sql);
  return async () => {
    await c.query('ROLLBACK');
    await c.end();
  };
};

const storedIds = (url: string): Promise<string[]> =>
  withPgClient(url, async (c) => (await c.query('SELECT world_id FROM world_configs')).rows.map((r: { world_id: string }) => r.world_id));

/** Whether `inst` steps a copy of `worldId` (a local, non-standby world). */
const runs = async (inst: TestInstance, worldId: string): Promise<boolean> => {
  const list = (await inst.api('GET', '/api/v1/worlds')).json.worlds as Array<{ id: string; step?: number; standby?: boolean }>;
  return list.some((w) => w.id === worldId && w.step !== undefined && w.standby !== true);
};

/** Whether `inst` logged acquiring `worldId` (a failover or an orphan taken over). */
const acquired = (inst: TestInstance, worldId: string): boolean =>
  inst.lines.some((l) => l.world === worldId && typeof l.msg === 'string' && /lease acquired|orphan world acquired/.test(l.msg));

/**
 * Like `controlTicks(inst, n)`, but ends early once `inst` logged acquiring `worldId` (the failure the
 * tests look for: its adoption of the world may stall its control tick on the held lock).
 */
const ticksUnlessAcquired = async (inst: TestInstance, worldId: string, n: number): Promise<void> => {
  const beat = async (): Promise<number | null> =>
    ((await inst.api('GET', '/api/v1/cluster')).json.instances as Array<{ id: string; heartbeatAt: number }>).find((i) => i.id === inst.id)
      ?.heartbeatAt ?? null;
  let last = await beat();
  let seen = 0;
  await until(
    `${n} control ticks of ${inst.id}`,
    async () => {
      if (acquired(inst, worldId)) return true;
      const now = await beat();
      if (now !== null && now !== last) {
        seen++;
        last = now;
      }
      return seen >= n;
    },
    30_000,
    50,
  );
};

describe.skipIf(backend.skip !== null)('cluster: a deleted world is not adopted by another instance', () => {
  const pgs = backend.pg as PgServer;
  const ctx = twoInstancesOwning(pgs, {
    worldId: 'dw',
    worldNpcs: 20,
    args: ['--npcs', '10', '--lease-ttl', '1', '--checkpoint-interval', '0'],
  });

  it('the lease is kept while the record delete waits; nobody adopts the world', { timeout: 60_000 }, async () => {
    const [a, b] = ctx.inst;
    const unlock = await holdLock(pgs.url, 'LOCK TABLE fences IN EXCLUSIVE MODE'); // the record delete waits for the fence row
    const del = a.api('DELETE', '/api/v1/worlds/dw');
    let answered = false;
    void del.then(() => (answered = true));
    try {
      await until('a no longer runs dw', async () => !(await runs(a, 'dw')));
      await ticksUnlessAcquired(b, 'dw', 5); // b's orphan failover ran a few times meanwhile
      expect(answered).toBe(false); // still waiting for the record's delete
      expect(acquired(b, 'dw')).toBe(false);
      expect((await ownersFrom(b)).dw).toBe('a'); // the lease is still a's
      expect(await storedIds(pgs.url)).toContain('dw');
    } finally {
      await unlock();
    }
    const r = await del;
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ deleted: 'dw', durable: true });
    await until('the lease of dw given back', async () => (await ownersFrom(b)).dw === undefined);
    await controlTicks(b, 3);
    expect(await storedIds(pgs.url)).not.toContain('dw');
    expect(acquired(b, 'dw')).toBe(false);
    expect(await runs(a, 'dw')).toBe(false);
    expect(await runs(b, 'dw')).toBe(false);
    expect((await ownersFrom(a)).dw).toBeUndefined();
  });

  it('a failed record delete is retried under the lease until it succeeds', { timeout: 60_000 }, async () => {
    const [a, b] = ctx.inst;
    expect((await createWorld(a, { id: 'dw2', npcs: 20 }, '?placement=local')).status).toBe(201);
    await until('b sees a owning dw2', async () => (await ownersFrom(b)).dw2 === 'a');
    await withPgClient(pgs.url, async (c) => {
      await c.query(`CREATE OR REPLACE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF OLD.world_id = 'dw2' THEN RAISE EXCEPTION 'delete refused by the test'; END IF; RETURN OLD; END $$`);
      await c.query('CREATE TRIGGER refuse_delete BEFORE DELETE ON world_configs FOR EACH ROW EXECUTE FUNCTION refuse_delete()');
    });
    let dropped = false;
    const drop = async (): Promise<void> => {
      if (dropped) return;
      dropped = true;
      await withPgClient(pgs.url, (c) => c.query('DROP TRIGGER refuse_delete ON world_configs'));
    };
    try {
      const r = await a.api('DELETE', '/api/v1/worlds/dw2');
      expect(r.status).toBe(200);
      expect(r.json).toEqual({ deleted: 'dw2', durable: false });
      await ticksUnlessAcquired(b, 'dw2', 5);
      expect(acquired(b, 'dw2')).toBe(false);
      expect(await runs(b, 'dw2')).toBe(false);
      expect((await ownersFrom(b)).dw2).toBe('a'); // kept while the delete is retried
      expect(await storedIds(pgs.url)).toContain('dw2');
      expect(a.lines.some((l) => l.world === 'dw2' && l.msg === 'world record delete failed again; retrying')).toBe(true);
      await drop();
      await until('the record of dw2 deleted by a retry', async () => !(await storedIds(pgs.url)).includes('dw2'));
      await until('the lease of dw2 given back', async () => (await ownersFrom(b)).dw2 === undefined);
      await controlTicks(b, 3);
      expect(acquired(b, 'dw2')).toBe(false);
      expect(await runs(a, 'dw2')).toBe(false);
      expect(await runs(b, 'dw2')).toBe(false);
      expect(a.lines.some((l) => l.world === 'dw2' && l.msg === 'world record deleted after a retry')).toBe(true);
    } finally {
      await drop();
    }
  });
});
