/**
 * A migration that starts while an earlier checkpoint of the world is still being written, and that
 * earlier write then fails. Found in a stress run of the suite (drain.test.ts): the drain answered
 * `failed: [{ worldId: '1', error: 'checkpoint of 1 failed: a write failed' }]` and the world stayed.
 * The migration's own checkpoint waits for the one in flight, then is written — but the migration
 * judged the checkpoint by the world's failure count, which the earlier write had raised, not by the
 * outcome of its own write. A migration now moves the world when its own checkpoint is saved at the
 * world's step (src/server/cluster-migration.ts).
 *
 * Real instances (in process), real redis-server, real PostgreSQL. `a` reaches PostgreSQL through a
 * TCP proxy that holds the connection of the first checkpoint write (unanswered, as on a hung link)
 * and then cuts that one connection: the one fault here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownersFrom, until, createWorld } from '../../helpers/cluster-instances.js';
import { startRuntimeInstance, type RuntimeInstance } from '../../helpers/cluster-runtimes.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import { sharedBackendOrSkip, sharedStoreArgs } from '../../helpers/shared-cluster.js';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.js';

const { skip, pg: sharedPg } = await sharedBackendOrSkip('cluster migration after a failed checkpoint');

/** The statement of a checkpoint write (src/store/postgres-checkpoints.ts). */
const CHECKPOINT_WRITE = 'INSERT INTO checkpoints';

describe.skipIf(skip !== null)('cluster: a migration whose wait for an earlier checkpoint ends in that write failing', () => {
  const pg = sharedPg as PgServer;
  let redis: RedisTestServer | undefined;
  let proxy: TcpProxy | undefined;
  const inst: RuntimeInstance[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    proxy = await startTcpProxy(pg.port);
    // Checkpoints only when asked (and at creation): the one held below is the admin request's.
    const args = [...sharedStoreArgs(redis, pg), '--checkpoint-interval', '0', '--npcs', '10'];
    const viaProxy = pg.url.replace(`:${pg.port}/`, `:${proxy.port}/`);
    inst.push(
      await startRuntimeInstance(
        'a',
        args.map((x) => (x === pg.url ? viaProxy : x)),
      ),
    );
    inst.push(await startRuntimeInstance('b', args));
    const [a, b] = inst as [RuntimeInstance, RuntimeInstance];
    expect((await createWorld(a, { id: 'mw', npcs: 20 }, '?placement=local')).status).toBe(201);
    await until('both see a owning mw', async () => (await ownersFrom(a)).mw === 'a' && (await ownersFrom(b)).mw === 'a');
  }, 90_000);

  afterAll(async () => {
    await Promise.all(inst.map((i) => i.stop()));
    await redis?.stop();
    await proxy?.close();
    await pg.destroy();
  }, 30_000);

  it('moves the world once its own checkpoint is saved', { timeout: 60_000 }, async () => {
    const [a, b] = inst as [RuntimeInstance, RuntimeInstance];
    const p = proxy as TcpProxy;
    const report = () => a.runtime.checkpointer.report('mw');
    // The checkpoints of the start and of mw's creation are written (not awaited by either): the held write
    // below must be the admin request's.
    await until(
      'no checkpoint in flight on a',
      () => (report()?.saved ?? 0) >= 1 && a.runtime.runner.worlds().every((w) => a.runtime.checkpointer.report(w.id)?.inProgress !== true),
    );
    const failedBefore = report()?.failed ?? -1;
    // 1. A checkpoint whose write hangs on its connection.
    const held = p.stallOn(CHECKPOINT_WRITE);
    const asked = a.api('POST', '/api/v1/worlds/mw/checkpoint');
    const stalled = await held;
    // 2. The migration starts: it holds the world (no step), detaches its ledger, then writes the world's
    // record and checkpoints it; the record waits for the world's fence row, which the held transaction
    // locked, and the checkpoint for the one in flight. (Before the fix, the failure count was read here.)
    const world = a.runtime.runner.get('mw');
    const migrated = a.api('POST', '/api/v1/worlds/mw/migrate', { to: 'b' });
    await until('the migration holds mw and detached its ledger', () => a.runtime.cluster.isHeld('mw') && world.ledger === null);
    // 3. The held write fails: its connection is cut (the others stay up).
    stalled.cut();
    expect((await asked).status).not.toBe(200);
    expect(report()?.failed).toBe(failedBefore + 1);
    const r = await migrated;
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    await until('b owns mw in both views', async () => (await ownersFrom(a)).mw === 'b' && (await ownersFrom(b)).mw === 'b');
    expect(b.lines.some((l) => l.msg === 'cluster: world taken over from its checkpoint' && l.world === 'mw')).toBe(true);
  });
});
