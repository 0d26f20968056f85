/**
 * Failover past a writer paused mid-write, with a real paused process (the idea of
 * fence-row-locked.test.ts, where the test's own connection holds the row and lets it go): instance
 * `a` owned a world and its process is SIGSTOPped inside a fenced write, its store opened with the
 * idle bound the runtime sets in cluster mode for the lease TTL. Instance `b` (the cluster service in
 * process) is granted the world; its announce gives up while the row is locked, then lands once the
 * paused session is ended, and `b` steps the world while `a` is still stopped. Resumed, `a`'s write
 * fails, nothing of it is stored, and its retry is refused (fenced). Real redis-server and PostgreSQL.
 * Two pauses (docs/CLUSTER.md "A writer paused mid-write"):
 *   - between two statements of a ledger commit (test/helpers/pg-paused-writer.ts): ended by the
 *     server's idle bound, or by `b` itself (src/store/postgres-fenced-writers.ts), whichever comes first;
 *   - while still SENDING a checkpoint's INSERT (test/helpers/pg-paused-upload.ts): its backend waits
 *     for the rest of the message — not idle in a transaction, so that bound does not end it — and `b`
 *     ends the session of the fenced-out writer (same world, older token: counted, logged). Without
 *     that, the announce never lands while `a` is stopped.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCoordinator } from '../../../src/cluster/redis-coordinator.js';
import { createLogger } from '../../../src/log.js';
import { ClusterService } from '../../../src/server/cluster-service.js';
import { idleInTransactionTimeoutForLease } from '../../../src/store/postgres-pool.js';
import { PostgresStore } from '../../../src/store/postgres-store.js';
import { createSimWorld, type SimWorld } from '../../../src/world/sim-world.js';
import { until } from '../../helpers/cluster-instances.js';
import { startPausedUpload } from '../../helpers/pg-paused-upload.js';
import { type PausedWriter, startPausedWriter } from '../../helpers/pg-paused-writer.js';
import { startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import { sharedBackendOrSkip } from '../../helpers/shared-cluster.js';
import { clusterServiceOptions } from '../../helpers/cluster-service-options.js';

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

type StartWriter = (o: { url: string; worldId: string; token: number; idleInTransactionTimeoutMs: number }) => Promise<PausedWriter>;

/**
 * `a` is granted `worldId` and its writer is paused (`start`); `b` takes the world over. `check` runs
 * once `b` steps it, with `a` still stopped; then `a` and `b` are stopped.
 */
const failoverPast = async (
  worldId: string,
  start: StartWriter,
  check: (x: { b: ClusterService; w: SimWorld; writer: PausedWriter; oldToken: number; log: () => string }) => Promise<void>,
): Promise<void> => {
  const a = coordinator();
  const granted = await a.acquire(worldId, 'a', TTL);
  if (!granted.ok) throw new Error('a was not granted the world');
  const oldToken = granted.fencingToken;
  await store.fence({ worldId, token: oldToken });
  // a's process, paused inside its fenced write; its lease is not renewed from now on.
  const writer = await start({
    url: db?.url ?? '',
    worldId,
    token: oldToken,
    idleInTransactionTimeoutMs: idleInTransactionTimeoutForLease(TTL),
  });
  const out = new PassThrough();
  let log = '';
  out.on('data', (d: Buffer) => (log += d.toString()));
  const w = createSimWorld({ id: worldId });
  const b = new ClusterService(
    clusterServiceOptions({
      coordinator: coordinator(),
      instanceId: 'b',
      leaseTtlMs: TTL,
      logger: createLogger('info', out),
      worlds: () => [w],
      store,
    }),
  );
  try {
    await b.start();
    await until('b steps the world', () => b.canStep(w), 8000, 20);
    expect(writer.alive()).toBe(true);
    expect(b.counters.fenceLockTimeouts).toBeGreaterThan(0); // the paused writer did hold the row
    const token = b.fence(worldId)?.token ?? 0;
    expect(token).toBeGreaterThan(oldToken);
    expect(await store.currentFence(worldId)).toBe(token);
    await check({ b, w, writer, oldToken, log: () => log });
    expect(b.canStep(w)).toBe(true);
  } finally {
    writer.kill();
    await b.stop();
    await a.close();
  }
};

describe.skipIf(skip !== null)('failover past a writer paused mid-write (real process, Redis and PostgreSQL)', () => {
  it('paused between statements: the new owner steps the world while the paused owner is still stopped; its write never lands', async () => {
    await failoverPast('pw', startPausedWriter, async ({ writer }) => {
      expect(writer.lines().some((l) => l.msg === 'commit')).toBe(false); // still stopped, mid-write
      writer.resume();
      // Ended by the server's idle bound, or by b first (the session of a fenced-out writer: connection).
      const commit = await writer.line('commit');
      expect(commit).toMatchObject({ ok: false, code: 'WT_ERR_STORE_UNAVAILABLE' });
      expect(['idle', 'connection']).toContain(commit.reason);
      expect(await writer.line('retry')).toMatchObject({ ok: false, code: 'WT_ERR_STORE_FENCED' });
      expect(await store.findLedgerEntries([{ playerId: 'p1', key: 'paused-1' }])).toEqual([]);
    });
  }, 30_000);

  it("paused mid-upload: the new owner ends the fenced-out writer's session and steps the world while it is still stopped", async () => {
    await failoverPast('pu', startPausedUpload, async ({ b, writer, oldToken, log }) => {
      expect(writer.lines().some((l) => l.msg === 'save')).toBe(false); // still stopped, mid-upload
      expect(b.counters.fenceWritersEnded).toBe(1);
      const ended = log()
        .split('\n')
        .filter((l) => l.includes('fenced-out writer'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      // The token b fenced with when it ended the session: b's first grant, or a later one when b's own
      // 600 ms lease lapsed under load and b took the world again (double run 28 of the cluster tests: 2, b at 3).
      const current = b.fence('pu')?.token ?? 0;
      expect(ended).toEqual([
        expect.objectContaining({
          level: 40,
          world: 'pu',
          fencingToken: expect.toSatisfy((t: unknown) => typeof t === 'number' && t > oldToken && t <= current),
          writerToken: oldToken,
          pid: expect.any(Number),
          state: 'active',
          waitEvent: 'ClientRead',
        }),
      ]);
      writer.resume();
      expect(await writer.line('save')).toMatchObject({ ok: false, code: 'WT_ERR_STORE_UNAVAILABLE' });
      expect(await writer.line('retry')).toMatchObject({ ok: false, code: 'WT_ERR_STORE_FENCED' });
      expect(await store.loadCheckpoint('pu')).toBeUndefined();
    });
  }, 30_000);
});
