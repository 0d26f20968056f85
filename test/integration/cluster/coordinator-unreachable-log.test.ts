/**
 * The warn line of a Redis outage says where Redis was looked for and why it failed. Found in an
 * operator's walkthrough (Redis down at start): `cluster: coordinator unreachable` named neither, and
 * the first line that did ("register failed: Command timed out") came about 37 s later. Real instance
 * (in process), real redis-server behind a TCP proxy the test cuts, the shared PostgreSQL.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { until } from '../../helpers/cluster-instances.js';
import { startRuntimeInstance, type RuntimeInstance } from '../../helpers/cluster-runtimes.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import { sharedBackendOrSkip } from '../../helpers/shared-cluster.js';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.js';

const { skip, pg: sharedPg } = await sharedBackendOrSkip('cluster coordinator unreachable log');

describe.skipIf(skip !== null)('cluster: Redis cut', () => {
  const pg = sharedPg as PgServer;
  let redis: RedisTestServer | undefined;
  let proxy: TcpProxy | undefined;
  let a: RuntimeInstance | undefined;
  afterAll(async () => {
    proxy?.heal();
    await a?.stop();
    await proxy?.close();
    await redis?.stop();
    await pg?.destroy();
  }, 30_000);

  it('warns with the coordinator, its host:port/db and the error; info when it is back', { timeout: 60_000 }, async () => {
    redis = await startRedisServer();
    proxy = await startTcpProxy(redis.port);
    a = await startRuntimeInstance('a', ['--redis', `redis://127.0.0.1:${proxy.port}/0`, '--store', pg.url, '--lease-ttl', '1.5']);
    const inst = a;
    await until('a holds world 1', async () =>
      ((await inst.api('GET', '/api/v1/cluster')).json.leases as Array<{ worldId: string; instanceId: string }>).some(
        (l) => l.worldId === '1' && l.instanceId === 'a',
      ),
    );
    proxy.sever();
    await until('the unreachable line', async () => inst.lines.some((l) => l.msg === 'cluster: coordinator unreachable'));
    const warn = inst.lines.find((l) => l.msg === 'cluster: coordinator unreachable') as Record<string, any>;
    expect(warn).toMatchObject({ level: 40, coordinator: 'redis', target: `127.0.0.1:${proxy.port}/0` });
    expect(typeof warn.err?.message).toBe('string');
    expect(warn.err.code).toBe('WT_ERR_CLUSTER_UNAVAILABLE');
    proxy.heal();
    await until('the reachable-again line', async () => inst.lines.some((l) => l.msg === 'cluster: coordinator reachable again'));
    expect(inst.lines.find((l) => l.msg === 'cluster: coordinator reachable again')).toMatchObject({
      level: 30,
      target: `127.0.0.1:${proxy.port}/0`,
    });
  });
});
