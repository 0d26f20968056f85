/**
 * What an instance says of its coordinator (Redis) when something is cut. Real instance (in process),
 * real redis-server, the shared PostgreSQL; the test cuts one of them with a TCP proxy.
 *
 * A PostgreSQL outage is not a Redis outage. Found in an operator's walkthrough (PostgreSQL stopped for
 * a few seconds under a running cluster): every instance logged warn `cluster: coordinator unreachable`,
 * `worldtick_cluster_coordinator_up` went to 0 and `GET /api/v1/cluster` said `reachable: false` —
 * while Redis answered every call — because the control tick counted the failed list of stored worlds
 * (orphan failover reads it from the store) as a coordinator failure. The alert this pages
 * (`WorldtickCoordinatorUnreachable`) sends the on-call to the wrong server; the store outage has
 * its own signals (`worldtick_store_unavailable`).
 *
 * A Redis outage's warn line says where Redis was looked for and why it failed. Found in an operator's
 * walkthrough (Redis down at start): `cluster: coordinator unreachable` named neither, and the first
 * line that did ("register failed: Command timed out") came about 37 s later.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { until } from '../../helpers/cluster-instances.js';
import { startRuntimeInstance, type RuntimeInstance } from '../../helpers/cluster-runtimes.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import { controlTicks, sharedBackendOrSkip } from '../../helpers/shared-cluster.js';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.js';

const { skip, pg: sharedPg } = await sharedBackendOrSkip('cluster coordinator reachability');

describe.skipIf(skip !== null)('cluster: the coordinator reported as it is', () => {
  const pg = sharedPg as PgServer;
  let redis: RedisTestServer | undefined;
  let proxy: TcpProxy | undefined;
  let a: RuntimeInstance | undefined;
  afterEach(async () => {
    proxy?.heal();
    await a?.stop();
    await proxy?.close();
    await redis?.stop();
    [a, proxy, redis] = [undefined, undefined, undefined];
  }, 30_000);
  afterAll(async () => {
    await pg?.destroy();
  }, 30_000);

  /** Instance `a` on a new Redis and the shared PostgreSQL, `cut` behind a proxy; resolves once it holds world 1. */
  const start = async (cut: 'store' | 'redis'): Promise<{ inst: RuntimeInstance; proxy: TcpProxy }> => {
    redis = await startRedisServer();
    const p = await startTcpProxy(cut === 'store' ? pg.port : redis.port);
    proxy = p;
    const store = cut === 'store' ? pg.url.replace(`:${pg.port}/`, `:${p.port}/`) : pg.url;
    const coordinator = cut === 'redis' ? `redis://127.0.0.1:${p.port}/0` : redis.url;
    const inst = await startRuntimeInstance('a', ['--redis', coordinator, '--store', store, '--lease-ttl', '1.5']);
    a = inst;
    await until('a holds world 1', async () =>
      ((await inst.api('GET', '/api/v1/cluster')).json.leases as Array<{ worldId: string; instanceId: string }>).some(
        (l) => l.worldId === '1' && l.instanceId === 'a',
      ),
    );
    return { inst, proxy: p };
  };

  it('keeps the coordinator reported reachable while only the store fails', { timeout: 60_000 }, async () => {
    const { inst, proxy: p } = await start('store');
    p.sever();
    await until('the store outage shows', async () =>
      /worldtick_store_unavailable\{reason="connection"\} 1/.test((await inst.api('GET', '/metrics')).text),
    );
    await controlTicks(inst, 4);

    const view = (await inst.api('GET', '/api/v1/cluster')).json;
    expect(view.reachable).toBe(true);
    expect((await inst.api('GET', '/metrics')).text).toMatch(/^worldtick_cluster_coordinator_up 1$/m);
    expect(inst.lines.filter((l) => l.msg === 'cluster: coordinator unreachable')).toEqual([]);
  });

  it('Redis cut: warns with the coordinator, its host:port/db and the error; info when it is back', { timeout: 60_000 }, async () => {
    const { inst, proxy: p } = await start('redis');
    p.sever();
    await until('the unreachable line', async () => inst.lines.some((l) => l.msg === 'cluster: coordinator unreachable'));
    const warn = inst.lines.find((l) => l.msg === 'cluster: coordinator unreachable') as Record<string, any>;
    expect(warn).toMatchObject({ level: 40, coordinator: 'redis', target: `127.0.0.1:${p.port}/0` });
    expect(typeof warn.err?.message).toBe('string');
    expect(warn.err.code).toBe('WT_ERR_CLUSTER_UNAVAILABLE');
    p.heal();
    await until('the reachable-again line', async () => inst.lines.some((l) => l.msg === 'cluster: coordinator reachable again'));
    expect(inst.lines.find((l) => l.msg === 'cluster: coordinator reachable again')).toMatchObject({
      level: 30,
      target: `127.0.0.1:${p.port}/0`,
    });
  });
});
