/**
 * A failed create whose creating instance dies before its undo is done (docs/CLUSTER.md "A create answered 503
 * whose instance dies", docs/ADMIN.md "A create answered 503"): `b` creates world `k`; the record's COMMIT
 * sleeps past b's client timeout (a deferred trigger), so the create is answered `503 WT_ERR_WORLD_NOT_DURABLE`
 * — "not created" — and the record lands late; a second trigger refuses the undo's delete. `b` is then killed
 * (SIGKILL) with its undo not done: the late record stays in the store, hosted by nobody. `a` finds it an orphan.
 * The client was told the world does not exist: `a` must not bring it to life — the record is removed (the
 * create was never confirmed), nothing runs; the same create sent again is answered 503 while the record is
 * still there (its removal refused by a third trigger for a while), 201 once it is gone. Before: `a` took
 * the world over from the late record and stepped it; the retry got 409 (already exists). Two child processes on
 * a real redis-server and a real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownersFrom, until, type TestInstance } from '../../helpers/cluster-instances.js';
import { dropTrigger, refuseDeletes, slowCommits, storedCount } from '../../helpers/pg-record-triggers.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import { explainWorld, startSlowCreatorPair } from '../../helpers/slow-creator-pair.js';
import { controlTicks, sharedBackendOrSkip } from '../../helpers/shared-cluster.js';

const { skip, pg } = await sharedBackendOrSkip('cluster create orphaned by a kill');

describe.skipIf(skip !== null)('cluster: a failed create whose instance dies before its undo is done', () => {
  const children: TestInstance[] = [];
  let redis: RedisTestServer | undefined;
  const db = pg as PgServer;
  beforeAll(async () => {
    redis = await startRedisServer();
    await startSlowCreatorPair(children, redis, db);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(children.map((c) => c.stop()));
    await redis?.stop();
    await pg?.destroy();
  }, 30_000);

  /** What each instance logged about `world` (a failure's message shows it). */
  const explain = (world: string) =>
    explainWorld(children, world, async () => {
      const [a] = children as [TestInstance];
      return `stored: ${await storedCount(db.url, world)}, owner: ${(await ownersFrom(a))[world]}`;
    });

  it('is not brought to life by another instance: its record removed, nothing runs, and the create sent again succeeds', {
    timeout: 90_000,
  }, async () => {
    const [a, b] = children as [TestInstance, TestInstance];
    const world = 'k';
    await slowCommits(db.url, world, 'orphan_kill_commit');
    await refuseDeletes(db.url, world, 'orphan_kill_refuse');
    const body = { id: world, npcs: 0 };
    const r = await b.api('POST', '/api/v1/worlds?placement=local', body);
    expect(r.status, JSON.stringify(r.json)).toBe(503);
    expect(r.json.code).toBe('WT_ERR_WORLD_NOT_DURABLE');
    // The late COMMIT landed; the undo's delete is refused and retried — and b dies with it not done.
    await until('the late record landed', async () => (await storedCount(db.url, world)) === 1).catch(explain(world));
    await until('the undo retrying', () =>
      b.lines.some((l) => l.world === world && l.msg === 'admin create: removing the record of a failed create failed; retrying'),
    ).catch(explain(world));
    b.child.kill('SIGKILL');
    await dropTrigger(db.url, 'orphan_kill_commit');
    // a sees b's lease lapse and the record hosted by nobody: the world answered 503 must not come to life. Its
    // removal is refused (the trigger) until dropped below, so a create sent again meanwhile meets the record.
    await until('a refusing to take the record over', () =>
      a.lines.some((l) => l.world === world && String(l.msg).includes('its create was never confirmed; removing its record failed')),
    ).catch(explain(world));
    const meanwhile = await a.api('POST', '/api/v1/worlds?placement=local', body);
    expect(meanwhile.status, JSON.stringify(meanwhile.json)).toBe(503);
    expect(meanwhile.json).toMatchObject({ code: 'WT_ERR_WORLD_NOT_DURABLE', details: { reason: 'unconfirmed-create' } });
    expect((await a.api('GET', `/api/v1/worlds/${world}`)).status).toBe(404);
    await dropTrigger(db.url, 'orphan_kill_refuse');
    await until('the record of the failed create removed', async () => (await storedCount(db.url, world)) === 0, 30_000).catch(
      explain(world),
    );
    await controlTicks(a, 4);
    expect(await storedCount(db.url, world)).toBe(0);
    expect((await a.api('GET', `/api/v1/worlds/${world}`)).status).toBe(404);
    expect((await ownersFrom(a))[world]).toBeUndefined();
    expect(a.lines.some((l) => l.world === world && l.msg === 'cluster: orphan world acquired; restoring it from the store')).toBe(true);
    expect(a.lines.some((l) => l.world === world && String(l.msg).startsWith('cluster: world taken over'))).toBe(false);
    expect(
      a.lines.some(
        (l) =>
          l.world === world && String(l.msg).endsWith('its create was never confirmed (answered 503, its instance gone); record removed'),
      ),
    ).toBe(true);
    // The id is free: the same create sent again creates the world, once.
    const again = await a.api('POST', '/api/v1/worlds?placement=local', body);
    expect(again.status, JSON.stringify(again.json)).toBe(201);
    expect(await storedCount(db.url, world)).toBe(1);
    expect((await a.api('GET', `/api/v1/worlds/${world}`)).status).toBe(200);
  });
});
