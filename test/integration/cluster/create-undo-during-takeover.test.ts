/**
 * The undo of a failed create racing a takeover (docs/CLUSTER.md "Ownership", "A failed create taken over
 * while it is undone"; docs/ADMIN.md "A create answered 503"): `b` creates world `u`; its record is written
 * marked pending at once, but the COMMIT of the write that confirms it sleeps past b's client timeout (a
 * deferred trigger, as in admin-create-late-record.test.ts), so the create is answered `503
 * WT_ERR_WORLD_NOT_DURABLE` — "not created" — and the late, confirmed record lands (a pending one is never
 * taken over: create-orphan-after-kill.test.ts); a second
 * trigger refuses the undo's delete, which retries. `b` then stalls (SIGSTOP) past its lease TTL: `a`
 * takes `u` over as an orphan from that record and steps it. The delete trigger is lifted, `b` continues
 * and its undo goes on. The client was told the world does not exist, so it must end up gone everywhere:
 * not running on `a`, no record, no lease — and stay gone. Before: the undo deleted the record without a
 * fence while `a` stepped the world and wrote its record again (the world answered 503 ran on `a`, its
 * record back). Two child processes on a real redis-server and a real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownersFrom, until, type TestInstance } from '../../helpers/cluster-instances.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import { explainWorld, startSlowCreatorPair } from '../../helpers/slow-creator-pair.js';
import { controlTicks, sharedBackendOrSkip } from '../../helpers/shared-cluster.js';
import {
  dropTrigger,
  refuseDeletes as refuseDeletesOf,
  slowCommits as slowCommitsOf,
  storedCount,
} from '../../helpers/pg-record-triggers.js';

const { skip, pg } = await sharedBackendOrSkip('cluster create undone during a takeover');

/** The confirming record write of a create of `world` (and every later one) commits 3 s late; its pending write does not. */
const slowCommits = (url: string, world: string): Promise<void> => slowCommitsOf(url, world, 'undo_take_commit', 'confirmed');
const refuseDeletes = (url: string, world: string): Promise<void> => refuseDeletesOf(url, world, 'undo_take_refuse');

describe.skipIf(skip !== null)('cluster: a failed create whose undo races a takeover', () => {
  const children: TestInstance[] = [];
  let redis: RedisTestServer | undefined;
  const db = pg as PgServer;
  beforeAll(async () => {
    redis = await startRedisServer();
    await startSlowCreatorPair(children, redis, db);
  }, 60_000);
  afterAll(async () => {
    for (const c of children) c.child.kill('SIGCONT');
    await Promise.all(children.map((c) => c.stop()));
    await redis?.stop();
    await pg?.destroy();
  }, 30_000);

  /** What each instance logged about `world` (a failure's message shows it). */
  const explain = (world: string) => explainWorld(children, world);

  /**
   * `b` creates `world`, answered 503 with its record landing late and the undo's delete refused; `b` is
   * stopped (SIGSTOP) until `a` took the world over from that record. Resolves with `b` still stopped and the
   * delete trigger dropped (the undo's next attempt can delete).
   */
  const failedCreateTakenOver = async (world: string): Promise<void> => {
    const [a, b] = children as [TestInstance, TestInstance];
    await slowCommits(db.url, world);
    await refuseDeletes(db.url, world);
    const r = await b.api('POST', '/api/v1/worlds?placement=local', { id: world, npcs: 0 });
    expect(r.status, JSON.stringify(r.json)).toBe(503);
    expect(r.json.code).toBe('WT_ERR_WORLD_NOT_DURABLE');
    // The late COMMIT landed; the undo's delete is refused and retried.
    await until('the late record landed', async () => (await storedCount(db.url, world)) === 1).catch(explain(world));
    await until('the undo retrying', () =>
      b.lines.some((l) => l.world === world && l.msg === 'admin create: removing the record of a failed create failed; retrying'),
    ).catch(explain(world));
    await dropTrigger(db.url, 'undo_take_commit'); // a's record writes of the world are not slowed
    b.child.kill('SIGSTOP');
    try {
      await until(
        'a took the world over from its record',
        async () => (await ownersFrom(a))[world] === 'a' && (await a.api('GET', `/api/v1/worlds/${world}`)).status === 200,
        30_000,
      ).catch(explain(world));
      await dropTrigger(db.url, 'undo_take_refuse');
    } catch (err) {
      b.child.kill('SIGCONT');
      throw err;
    }
  };

  it('is deleted where it was taken over: gone everywhere, no record, no lease, and the id free', { timeout: 90_000 }, async () => {
    const [a, b] = children as [TestInstance, TestInstance];
    const world = 'u';
    await failedCreateTakenOver(world);
    b.child.kill('SIGCONT');
    // The undo goes on: the world answered 503 ends up gone everywhere.
    await until(
      'the world gone everywhere',
      async () =>
        (await storedCount(db.url, world)) === 0 &&
        (await a.api('GET', `/api/v1/worlds/${world}`)).status === 404 &&
        (await b.api('GET', `/api/v1/worlds/${world}`)).status === 404 &&
        (await ownersFrom(a))[world] === undefined &&
        (await ownersFrom(b))[world] === undefined,
      30_000,
    ).catch(async (err: Error) =>
      explain(world)(new Error(`${err.message} (stored: ${await storedCount(db.url, world)}, owner: ${(await ownersFrom(a))[world]})`)),
    );
    expect(b.lines.some((l) => l.world === world && String(l.msg).endsWith('while it was undone; deleted there'))).toBe(true);
    // And it stays gone (a record write of a's every 10 steps, an orphan taken within two ticks).
    await controlTicks(a, 4);
    expect(await storedCount(db.url, world)).toBe(0);
    expect((await a.api('GET', `/api/v1/worlds/${world}`)).status).toBe(404);
    expect((await ownersFrom(a))[world]).toBeUndefined();
    // The id is free: the same request again creates the world, once.
    const again = await b.api('POST', '/api/v1/worlds?placement=local', { id: world, npcs: 0 });
    expect(again.status, JSON.stringify(again.json)).toBe(201);
    expect(await storedCount(db.url, world)).toBe(1);
  });

  it('when the instance that took it over dies too, the lease is taken back and the record deleted under it', {
    timeout: 90_000,
  }, async () => {
    const [a, b] = children as [TestInstance, TestInstance];
    const world = 'v';
    await failedCreateTakenOver(world);
    a.child.kill('SIGKILL');
    b.child.kill('SIGCONT');
    await until(
      'the record gone and nobody holding the lease',
      async () =>
        (await storedCount(db.url, world)) === 0 &&
        (await b.api('GET', `/api/v1/worlds/${world}`)).status === 404 &&
        (await ownersFrom(b))[world] === undefined,
      30_000,
    ).catch(async (err: Error) => explain(world)(new Error(`${err.message} (stored: ${await storedCount(db.url, world)})`)));
    expect(
      b.lines.some((l) => l.world === world && l.msg === 'admin create: lease of a failed create taken back to delete its record'),
    ).toBe(true);
    await controlTicks(b, 4);
    expect(await storedCount(db.url, world)).toBe(0);
    expect((await b.api('GET', `/api/v1/worlds/${world}`)).status).toBe(404);
  });
});
