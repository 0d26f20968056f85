/**
 * Failover past a writer paused mid-write, with a real paused process (the idea of
 * fence-row-locked.test.ts, where the test's own connection holds the row and lets it go): instance
 * `a` owned a world and its process is SIGSTOPped inside a fenced ledger commit
 * (test/helpers/pg-paused-writer.ts), its store opened with the idle bound the runtime sets in
 * cluster mode for the lease TTL. Instance `b` (the cluster service in process) is granted the
 * world; its announce gives up while the row is locked, then lands once the paused session is
 * ended — by the server's idle bound, or by `b` itself (src/store/postgres-fenced-writers.ts), which
 * ever comes first — and `b` steps the world while `a` is still stopped. Resumed, `a`'s commit fails,
 * nothing of it is in the ledger, and its retry is refused (fenced). Real redis-server and PostgreSQL.
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
import { startPausedWriter } from '../../helpers/pg-paused-writer.js';
import { startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import { sharedBackendOrSkip } from '../../helpers/shared-cluster.js';

const { skip, pg: db } = await sharedBackendOrSkip('paused writer failover');
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

const coordinator = () => new RedisCoordinator({ connection: { host: redis.host, port: redis.port }, keyPrefix: 'wt-pwf:' });

describe.skipIf(skip !== null)('failover past a writer paused mid-write (real process, Redis and PostgreSQL)', () => {
  it('the new owner steps the world while the paused owner is still stopped; its write never lands', async () => {
    const worldId = 'pw';
    const a = coordinator();
    const granted = await a.acquire(worldId, 'a', TTL);
    if (!granted.ok) throw new Error('a was not granted the world');
    const oldToken = granted.fencingToken;
    await store.fence({ worldId, token: oldToken });
    // a's process, paused inside its fenced ledger commit; its lease is not renewed from now on.
    const writer = await startPausedWriter({
      url: db?.url ?? '',
      worldId,
      token: oldToken,
      idleInTransactionTimeoutMs: idleInTransactionTimeoutForLease(TTL),
    });
    const w = createSimWorld({ id: worldId });
    const b = new ClusterService({
      coordinator: coordinator(),
      instanceId: 'b',
      leaseTtlMs: TTL,
      enforce: true,
      logger: createLogger('info', new PassThrough()),
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
      expect(writer.lines().some((l) => l.msg === 'commit')).toBe(false); // still stopped, mid-write
      expect(b.counters.fenceLockTimeouts).toBeGreaterThan(0); // the paused writer did hold the row
      const token = b.fence(worldId)?.token ?? 0;
      expect(token).toBeGreaterThan(oldToken);
      expect(await store.currentFence(worldId)).toBe(token);

      writer.resume();
      // Ended by the server's idle bound, or by b first (the session of a fenced-out writer: connection).
      const commit = await writer.line('commit');
      expect(commit).toMatchObject({ ok: false, code: 'WT_ERR_STORE_UNAVAILABLE' });
      expect(['idle', 'connection']).toContain(commit.reason);
      expect(await writer.line('retry')).toMatchObject({ ok: false, code: 'WT_ERR_STORE_FENCED' });
      expect(await store.findLedgerEntries([{ playerId: 'p1', key: 'paused-1' }])).toEqual([]);
      expect(b.canStep(w)).toBe(true);
    } finally {
      writer.kill();
      await b.stop();
      await a.close();
    }
  }, 30_000);
});
