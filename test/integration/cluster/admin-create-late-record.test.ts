/**
 * A create answered `503 WT_ERR_WORLD_NOT_DURABLE` keeps its promise that nothing is kept even when
 * the store is slow rather than down (docs/ADMIN.md, docs/CLUSTER.md): the world's record write may
 * commit AFTER the 503 — then it is removed as it lands, the world is never adopted or restored, and
 * the id is free again. Real instances (`src/cli/main.ts`) on a real PostgreSQL (and a real
 * redis-server for the cluster case). A deferred constraint trigger sleeps inside the COMMIT of the
 * record write, so the write's client gives up (`query_timeout` in the store URL, short here) while
 * the COMMIT still lands a few seconds later. Before the fix the late record stayed: a restarted
 * instance restored the world, and in cluster mode the instance adopted it as an orphan.
 */
import { once } from 'node:events';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createWorld, launchInstance, startInstance, until, type TestInstance } from '../../helpers/cluster-instances.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import { controlTicks, sharedBackendOrSkip } from '../../helpers/shared-cluster.js';
import { freshDatabase, withPgClient } from '../../helpers/shared-postgres.js';

const backend = await sharedBackendOrSkip('[admin-create-late-record]');
/**
 * The one-instance case's database: the two cases run side by side (most of their time is waiting on
 * sleeping COMMITs and control ticks; one after the other they took ~12 s), each on a database of its
 * own, so the cluster instance never sees the one-instance case's worlds.
 */
const single = backend.skip === null ? await freshDatabase() : null;
/** Seconds the COMMIT of a slowed world's record write sleeps (longer than the client waits: 2 × query_timeout). */
const COMMIT_SLEEP_S = 3;

const sql = withPgClient;

/** Make the COMMIT of every record write of world `worldId` sleep (created once the instance migrated the schema). */
const slowCommits = (url: string, worldId: string): Promise<void> =>
  sql(url, async (c) => {
    await c.query(`CREATE OR REPLACE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_sleep(${COMMIT_SLEEP_S}); RETURN NULL; END $$`);
    await c.query('DROP TRIGGER IF EXISTS slow_commit ON world_configs');
    await c.query(`CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT OR UPDATE ON world_configs
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.world_id = '${worldId}') EXECUTE FUNCTION slow_commit()`);
  });

const fastCommits = (url: string): Promise<void> =>
  sql(url, async (c) => void (await c.query('DROP TRIGGER IF EXISTS slow_commit ON world_configs')));

const storedIds = (url: string): Promise<string[]> =>
  sql(url, async (c) => (await c.query('SELECT world_id FROM world_configs')).rows.map((r: { world_id: string }) => r.world_id));

/** No COMMIT is sleeping any more: every late write has landed (or was rolled back). */
const commitsSettled = (url: string): Promise<boolean> =>
  sql(
    url,
    async (c) =>
      Number(
        (await c.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = current_database()`)).rows[0]
          .n,
      ) === 0,
  );

const skipAll = backend.skip !== null || single === null || 'skip' in single;

describe.skipIf(skipAll)('admin create: a record landing after the 503 is not kept', () => {
  const pgs = backend.pg as PgServer;
  const pg1 = single as PgServer;
  /** The store URL with a short client-side query timeout (a slow store, seen from the instance). */
  const storeUrl = (db: PgServer = pgs): string => `${db.url}?query_timeout=1000`;
  let redis: RedisTestServer | undefined;
  const started: TestInstance[] = [];
  /** Kills of instances launched ahead of their turn (test/helpers/warm-main.ts) not started yet. */
  const warm: Array<() => void> = [];
  const stop = async (i: TestInstance): Promise<void> => {
    i.child.kill('SIGKILL');
    if (i.child.exitCode === null) await once(i.child, 'exit');
  };
  /** The cluster case's instance, loading its modules during the first case (it joins the cluster only on its go). */
  let cLaunch: Awaited<ReturnType<typeof launchInstance>> | undefined;
  const CLUSTER_TTL_S = 1; // control ticks every 333 ms; the record's client gives up after 1 s (query_timeout), within the 3 s bound
  beforeAll(async () => {
    redis = await startRedisServer();
    const args = ['--redis', redis.url, '--store', storeUrl(), '--npcs', '20', '--stats-interval', '0'];
    cLaunch = await launchInstance('c', [...args, '--lease-ttl', String(CLUSTER_TTL_S), '--checkpoint-interval', '0']);
    warm.push(cLaunch.kill);
  }, 30_000);
  afterAll(async () => {
    for (const kill of warm) kill();
    await Promise.all(started.map((i) => i.stop()));
    await redis?.stop();
    await pgs?.destroy();
    await pg1?.destroy();
  }, 30_000);

  it.concurrent('one instance: the late record is removed, the world is not restored after a restart, the id is free', {
    timeout: 60_000,
  }, async ({ expect }) => {
    const args = ['--store', storeUrl(pg1), '--npcs', '20', '--stats-interval', '0', '--checkpoint-interval', '0'];
    const a = await startInstance('one', args);
    started.push(a);
    // The instance after the restart loads its modules meanwhile; it opens the store only on its go, below.
    const again = await launchInstance('one-again', args);
    warm.push(again.kill);
    await slowCommits(pg1.url, 'late1');
    const r = await a.api('POST', '/api/v1/worlds', { id: 'late1', npcs: 10 });
    expect(r.status, JSON.stringify(r.json)).toBe(503);
    expect(r.json.code).toBe('WT_ERR_WORLD_NOT_DURABLE');
    await until('the slow COMMIT landed', () => commitsSettled(pg1.url));
    await until('the late record of world late1 is removed', async () => !(await storedIds(pg1.url)).includes('late1'), 10_000);
    await stop(a);
    await fastCommits(pg1.url);
    const b = await again.go();
    started.push(b);
    expect((await b.api('GET', '/api/v1/worlds/late1/stats')).status).toBe(404);
    const made = await createWorld(b, { id: 'late1', npcs: 10 }); // a loaded machine may answer 503 first (nothing kept)
    expect(made.status, made.text).toBe(201);
    expect(await storedIds(pg1.url)).toContain('late1');
    expect((await b.api('DELETE', '/api/v1/worlds/late1')).status).toBe(200);
    await stop(b);
  });

  it.concurrent('cluster: the late record is removed and never adopted as an orphan; the id is free', { timeout: 60_000 }, async ({
    expect,
  }) => {
    const c = await (cLaunch as NonNullable<typeof cLaunch>).go();
    started.push(c);
    await slowCommits(pgs.url, 'late2');
    const r = await c.api('POST', '/api/v1/worlds?placement=local', { id: 'late2', npcs: 10 });
    expect(r.status, JSON.stringify(r.json)).toBe(503);
    expect(r.json.code).toBe('WT_ERR_WORLD_NOT_DURABLE');
    await until('the slow COMMIT landed', () => commitsSettled(pgs.url));
    await until('the late record of world late2 is removed', async () => !(await storedIds(pgs.url)).includes('late2'), 10_000);
    // Several control ticks and a lease TTL later (4 whole ticks of 333 ms): nobody adopted it (an orphan
    // is taken within two ticks).
    await controlTicks(c, 5);
    expect((await c.api('GET', '/api/v1/worlds/late2/stats')).status).toBe(404);
    expect(await storedIds(pgs.url)).not.toContain('late2');
    await fastCommits(pgs.url);
    const again = await c.api('POST', '/api/v1/worlds?placement=local', { id: 'late2', npcs: 10 });
    expect(again.status, JSON.stringify(again.json)).toBe(201);
    expect(await storedIds(pgs.url)).toContain('late2');
  });
});
