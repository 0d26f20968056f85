/**
 * A killable owner and a taker whose store link a test can hold or cut, for failover tests: a real
 * redis-server; `a`, a child process (SIGKILL it), owning the default world; `b`, in this process (a
 * busy-wait here stalls it, its runtime can be read), reaching the shared PostgreSQL through a TCP proxy
 * (test/helpers/tcp-proxy.ts). Started in a `beforeAll`, stopped in an `afterAll` (the database dropped).
 */
import { afterAll, beforeAll } from 'vitest';
import { ownsDefaultWorld, startInstance, type TestInstance } from './cluster-instances.js';
import { startRuntimeInstance, type RuntimeInstance } from './cluster-runtimes.js';
import type { PgServer } from './postgres-server.js';
import { startRedisServer, type RedisTestServer } from './redis-server.js';
import { sharedStoreArgs } from './shared-cluster.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

/** The query of a world's stored record (the first read of a takeover's load, src/persist/restore.ts). */
export const RECORD_QUERY = 'SELECT * FROM world_configs WHERE world_id';

/** The pair, set once the `beforeAll` ran. */
export interface ProxiedTakerPair {
  a: TestInstance;
  b: RuntimeInstance;
  /** b's link to PostgreSQL. */
  proxy: TcpProxy;
}

/** Register the hooks starting the pair with `args` (beside the store and coordinator's) and stopping it. */
export const proxiedTakerPair = (pg: PgServer, args: readonly string[]): ProxiedTakerPair => {
  const ctx = {} as ProxiedTakerPair;
  let redis: RedisTestServer | undefined;
  beforeAll(async () => {
    redis = await startRedisServer();
    const all = [...sharedStoreArgs(redis, pg), ...args];
    ctx.proxy = await startTcpProxy(pg.port);
    const viaProxy = pg.url.replace(`:${pg.port}/`, `:${ctx.proxy.port}/`);
    ctx.a = await startInstance('a', all);
    await ownsDefaultWorld(ctx.a);
    ctx.b = await startRuntimeInstance(
      'b',
      all.map((x) => (x === pg.url ? viaProxy : x)),
    );
  }, 90_000);
  afterAll(async () => {
    await Promise.all([ctx.a?.stop(), ctx.b?.stop()]);
    await redis?.stop();
    await ctx.proxy?.close();
    await pg.destroy();
  }, 30_000);
  return ctx;
};
