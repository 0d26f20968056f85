/**
 * Failover past a writer paused while it is still SENDING a statement (docs/CLUSTER.md "A writer
 * paused mid-write"): instance `a` owned a world and its process is SIGSTOPped with half of a fenced
 * checkpoint's INSERT sent (test/helpers/pg-paused-upload.ts), its store opened with the idle bound
 * the runtime sets in cluster mode. Its backend waits for the rest of the message — not idle in a
 * transaction, so that bound does not end it — and its transaction holds the world's fence row.
 * Instance `b` (the cluster service in process) is granted the world; its announce gives up on the
 * row, `b` ends the session of the fenced-out writer (same world, older token: counted, logged), and
 * its next announce lands: `b` steps the world while `a` is still stopped. Resumed, `a`'s save fails,
 * no checkpoint of it is stored, and its retry is refused (fenced). Real redis-server and PostgreSQL.
 * Without the ending, the announce never lands while `a` is stopped.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCoordinator } from '../../../src/cluster/redis-coordinator.js';
import { createLogger } from '../../../src/log.js';
import { ClusterService } from '../../../src/server/cluster-service.js';
import { idleInTransactionTimeoutForLease } from '../../../src/store/postgres-pool.js';
import { PostgresStore } from '../../../src/store/postgres-store.js';
import { createSimWorld } from '../../../src/world/sim-world.js';
import { until } from '../../helpers/cluster-instances.js';
import { startPausedUpload } from '../../helpers/pg-paused-upload.js';
import { startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import { sharedBackendOrSkip } from '../../helpers/shared-cluster.js';

const { skip, pg: db } = await sharedBackendOrSkip('paused upload failover');
const TTL = 600;

let redis: RedisTestServer;
let store: PostgresStore;

beforeAll(async () => {
  if (skip || !db) return;
  redis = await startRedisServer();
  store = await PostgresStore.open({ url: db.url });
});
afterAll(async () => {
  await store?.close();
  await redis?.stop();
  await db?.destroy();
});

const coordinator = () => new RedisCoordinator({ connection: { host: redis.host, port: redis.port }, keyPrefix: 'wt-puf:' });

describe.skipIf(skip !== null)('failover past a writer paused mid-upload (real process, Redis and PostgreSQL)', () => {
  it("the new owner ends the fenced-out writer's session and steps the world while it is still stopped", async () => {
    const worldId = 'pu';
    const a = coordinator();
    const granted = await a.acquire(worldId, 'a', TTL);
    if (!granted.ok) throw new Error('a was not granted the world');
    const oldToken = granted.fencingToken;
    await store.fence({ worldId, token: oldToken });
    // a's process, stopped with half of its checkpoint sent; its lease is not renewed from now on.
    const writer = await startPausedUpload({
      url: db?.url ?? '',
      worldId,
      token: oldToken,
      idleInTransactionTimeoutMs: idleInTransactionTimeoutForLease(TTL),
    });
    const out = new PassThrough();
    let log = '';
    out.on('data', (d: Buffer) => (log += d.toString()));
    const w = createSimWorld({ id: worldId });
    const b = new ClusterService({
      coordinator: coordinator(),
      instanceId: 'b',
      leaseTtlMs: TTL,
      enforce: true,
      logger: createLogger('info', out),
      worlds: () => [w],
      gameUrl: () => 'ws://b:1',
      adminUrl: () => 'http://b:2',
      capacity: () => 100,
      load: () => ({ sessions: 0, stepCostMs: 0, cpu: 0 }),
      closeSessions: () => 0,
      store,
    });
    try {
      await b.start();
      await until('b steps the world', () => b.canStep(w), 8000, 20);
      expect(writer.alive()).toBe(true);
      expect(writer.lines().some((l) => l.msg === 'save')).toBe(false); // still stopped, mid-upload
      expect(b.counters.fenceLockTimeouts).toBeGreaterThan(0); // the paused writer did hold the row
      expect(b.counters.fenceWritersEnded).toBe(1);
      const token = b.fence(worldId)?.token ?? 0;
      expect(token).toBeGreaterThan(oldToken);
      expect(await store.currentFence(worldId)).toBe(token);
      const ended = log
        .split('\n')
        .filter((l) => l.includes('fenced-out writer'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(ended).toEqual([
        expect.objectContaining({
          level: 40,
          world: worldId,
          fencingToken: token,
          writerToken: oldToken,
          pid: expect.any(Number),
          state: 'active',
          waitEvent: 'ClientRead',
        }),
      ]);

      writer.resume();
      expect(await writer.line('save')).toMatchObject({ ok: false, code: 'WT_ERR_STORE_UNAVAILABLE' });
      expect(await writer.line('retry')).toMatchObject({ ok: false, code: 'WT_ERR_STORE_FENCED' });
      expect(await store.loadCheckpoint(worldId)).toBeUndefined();
      expect(b.canStep(w)).toBe(true);
    } finally {
      writer.kill();
      await b.stop();
      await a.close();
    }
  }, 30_000);
});
