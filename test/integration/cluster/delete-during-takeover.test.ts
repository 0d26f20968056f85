/**
 * A world taken over by another instance while its delete waits on the old owner (docs/CLUSTER.md
 * "Deleting a world", "A world that moved while it was deleted"): `b` owns admin world `w`; a checkpoint
 * of it sleeps in PostgreSQL (a trigger) and the DELETE on `b` waits for that write in flight; `b` then
 * stalls (SIGSTOP) past its lease TTL. `a` takes `w` over as an orphan from its record and checkpoint,
 * still there (ending `b`'s fenced-out session that held the world's fence row), and steps it. `b`
 * continues and its delete goes on. Before: the delete removed the record and answered `durable: true`
 * while `a` stepped the world and wrote its record again — the deleted world came back (and after a
 * failover of `a`, stepped on `b` again: seen once in deleted-world-heap-cluster.test.ts run in two
 * lanes). Now the delete, made under `b`'s fencing token, is refused by the store: `durable: false`, the
 * record stays with the world running on `a`, which a delete there removes. Two child processes on a real
 * redis-server and a real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLUSTER_TOKEN,
  ownersFrom,
  startDefaultOwnerThenRest,
  until,
  type TestInstance,
  createWorld,
} from '../../helpers/cluster-instances.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import { sharedBackendOrSkip, sharedStoreArgs } from '../../helpers/shared-cluster.js';
import { withPgClient as sql } from '../../helpers/shared-postgres.js';

const { skip, pg } = await sharedBackendOrSkip('cluster delete during a takeover');

describe.skipIf(skip !== null)('cluster: a delete waiting while another instance takes the world over', () => {
  const children: TestInstance[] = [];
  let redis: RedisTestServer | undefined;
  beforeAll(async () => {
    redis = await startRedisServer();
  }, 30_000);
  afterAll(async () => {
    for (const c of children) c.child.kill('SIGCONT');
    await Promise.all(children.map((c) => c.stop()));
    await redis?.stop();
    await pg?.destroy();
  }, 30_000);

  it('is refused by the store: the world runs on where it was taken over', { timeout: 60_000 }, async () => {
    const url = (pg as PgServer).url;
    const args = [...sharedStoreArgs(redis as RedisTestServer, pg as PgServer), '--lease-ttl', '2', '--npcs', '0'];
    await startDefaultOwnerThenRest(children, ['a', 'b'], args);
    const [a, b] = children as [TestInstance, TestInstance];
    const explain = (err: Error): never => {
      const about = (i: TestInstance): unknown[] => i.lines.filter((l) => l.world === 'w').map((l) => l.msg);
      throw new Error(`${err.message}: a: ${JSON.stringify(about(a))}; b: ${JSON.stringify(about(b))}`);
    };
    expect((await createWorld(b, { id: 'w', capacity: 10, npcs: 0 }, '?placement=local')).status).toBe(201);
    await until('a sees b owning w', async () => (await ownersFrom(a)).w === 'b').catch(explain);
    // b's checkpoints of w sleep in the store (its fence row held meanwhile); a's are not slowed.
    await sql(url, async (c) => {
      await c.query(`CREATE OR REPLACE FUNCTION takeover_sleep() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_sleep(30); RETURN NEW; END $$`);
      await c.query(`CREATE TRIGGER takeover_sleep BEFORE INSERT OR UPDATE ON checkpoints
        FOR EACH ROW WHEN (NEW.world_id = 'w' AND NEW.fencing_token = 1) EXECUTE FUNCTION takeover_sleep()`);
    });
    const checkpoint = b.api('POST', '/api/v1/worlds/w/checkpoint').catch(() => null);
    await until('the checkpoint sleeps', () =>
      sql(
        url,
        async (c) => Number((await c.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event = 'PgSleep'`)).rows[0].n) > 0,
      ),
    );
    const deleted = fetch(`${b.adminUrl}/api/v1/worlds/w`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${CLUSTER_TOKEN}` },
      signal: AbortSignal.timeout(50_000),
    }).then(async (r) => ({ status: r.status, json: (await r.json()) as unknown }));
    // The delete took the world out of b's runner and waits for the checkpoint in flight.
    await until('b no longer hosts w', async () => (await b.api('GET', '/api/v1/worlds/w')).status === 404).catch(explain);
    b.child.kill('SIGSTOP');
    await until(
      'a took w over',
      async () =>
        (await ownersFrom(a)).w === 'a' &&
        a.lines.some((l) => l.msg === 'cluster: world taken over from its checkpoint' && l.world === 'w'),
      30_000,
    )
      .finally(() => b.child.kill('SIGCONT'))
      .catch(explain);
    const del = await deleted;
    await checkpoint;
    expect(del).toEqual({ status: 200, json: { deleted: 'w', durable: false } });
    // The world runs on a, its record there; b holds no copy of it.
    await new Promise((r) => setTimeout(r, 1500)); // a record write of a's (every 10 steps) after b's delete went
    const rows = await sql(url, async (c) => (await c.query(`SELECT world_id FROM world_configs WHERE world_id = 'w'`)).rows.length);
    expect(rows).toBe(1);
    expect((await ownersFrom(b)).w).toBe('a');
    expect(
      b.lines.some((l) => String(l.msg).startsWith('world record not deleted: another instance took the world over') && l.world === 'w'),
    ).toBe(true);
    // Deleted where it runs, it is gone.
    expect((await a.api('DELETE', '/api/v1/worlds/w')).json).toEqual({ deleted: 'w', durable: true });
    await until('nobody lists w', async () => (await ownersFrom(a)).w === undefined && (await ownersFrom(b)).w === undefined);
  });
});
