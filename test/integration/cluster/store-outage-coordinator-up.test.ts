/**
 * A PostgreSQL outage is not a Redis outage. Found in an operator's walkthrough (PostgreSQL stopped for
 * a few seconds under a running cluster): every instance logged warn `cluster: coordinator unreachable`,
 * `worldtick_cluster_coordinator_up` went to 0 and `GET /api/v1/cluster` said `reachable: false` —
 * while Redis answered every call — because the control tick counted the failed list of stored worlds
 * (orphan failover reads it from the store) as a coordinator failure. The alert this pages
 * (`WorldtickCoordinatorUnreachable`) sends the on-call to the wrong server; the store outage has
 * its own signals (`worldtick_store_unavailable`). Real instance (in process), real redis-server,
 * real PostgreSQL behind a TCP proxy the test cuts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { until } from '../../helpers/cluster-instances.js';
import { startRuntimeInstance, type RuntimeInstance } from '../../helpers/cluster-runtimes.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import { controlTicks, sharedBackendOrSkip } from '../../helpers/shared-cluster.js';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.js';

const { skip, pg: sharedPg } = await sharedBackendOrSkip('cluster store outage vs coordinator');

describe.skipIf(skip !== null)('cluster: the store down, Redis up', () => {
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

  it('keeps the coordinator reported reachable while only the store fails', { timeout: 60_000 }, async () => {
    redis = await startRedisServer();
    proxy = await startTcpProxy(pg.port);
    const store = pg.url.replace(`:${pg.port}/`, `:${proxy.port}/`);
    a = await startRuntimeInstance('a', ['--redis', redis.url, '--store', store, '--lease-ttl', '1.5']);
    const inst = a;
    await until('a holds world 1', async () =>
      ((await inst.api('GET', '/api/v1/cluster')).json.leases as Array<{ worldId: string; instanceId: string }>).some(
        (l) => l.worldId === '1' && l.instanceId === 'a',
      ),
    );
    proxy.sever();
    await until('the store outage shows', async () =>
      /worldtick_store_unavailable\{reason="connection"\} 1/.test((await inst.api('GET', '/metrics')).text),
    );
    await controlTicks(inst, 4);

    const view = (await inst.api('GET', '/api/v1/cluster')).json;
    expect(view.reachable).toBe(true);
    expect((await inst.api('GET', '/metrics')).text).toMatch(/^worldtick_cluster_coordinator_up 1$/m);
    expect(inst.lines.filter((l) => l.msg === 'cluster: coordinator unreachable')).toEqual([]);
  });
});
