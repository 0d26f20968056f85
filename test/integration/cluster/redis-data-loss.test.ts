/**
 * Redis loses its data under a running cluster (SIGKILL of a redis-server without persistence,
 * started again empty — as after a failover to a replica that missed the last writes). Its fence
 * counters restart from 0, below the tokens the shared store has seen, so the store refuses every
 * new token. Found by the crash campaign's probe (bench/crash-probe-redis-loss.ts): the world was
 * stuck for good (refused forever, never stepping again). Now the owner gives the lease back and
 * the next grant is re-seeded above the store's token: the world steps again, with a token the
 * store accepts. Real instance (the first a child process, SIGKILLed; the second in process), real
 * redis-server, real PostgreSQL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startInstance, until, type ApiInstance, type TestInstance } from '../../helpers/cluster-instances.js';
import { startRuntimeInstance, type RuntimeInstance } from '../../helpers/cluster-runtimes.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { answersPing, findRedisServer } from '../../helpers/redis-server.js';
import { serverPort } from '../../helpers/server-port.js';
import { RedisCoordinator } from '../../../src/cluster/redis-coordinator.js';
import { sharedBackendOrSkip } from '../../helpers/shared-cluster.js';

const { skip, pg: sharedPg } = await sharedBackendOrSkip('cluster redis data loss');

describe.skipIf(skip !== null)('cluster: Redis restarted without its data', () => {
  const pg = sharedPg as PgServer;
  const dir = mkdtempSync(join(tmpdir(), 'wt-redis-loss-'));
  let redis: ChildProcess | null = null;
  const instances: TestInstance[] = [];
  let inProcess: RuntimeInstance | undefined;
  afterAll(async () => {
    for (const i of instances) if (i.child.exitCode === null) i.child.kill('SIGKILL');
    await inProcess?.stop();
    redis?.kill('SIGKILL');
    await pg?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the world steps again with a token above the store’s', { timeout: 90_000 }, async () => {
    const port = await serverPort(); // Redis comes back on it: one no bind to port 0 is given meanwhile
    const startRedis = async (): Promise<void> => {
      redis = spawn(findRedisServer()!, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
        stdio: 'ignore',
      });
      await until('redis-server answers', () => answersPing(port), 10_000, 25);
    };
    await startRedis();
    const args = ['--redis', `redis://127.0.0.1:${port}`, '--store', pg.url, '--npcs', '50', '--lease-ttl', '2', '--stats-interval', '0'];
    const lease = async (i: ApiInstance): Promise<{ token: number; step: number } | null> => {
      const c = await i.api('GET', '/api/v1/cluster');
      const l = (c.json.leases as Array<{ worldId: string; fencingToken: number }>).find((x) => x.worldId === '1');
      const s = await i.api('GET', '/api/v1/worlds/1/stats');
      return l ? { token: l.fencingToken, step: Number(s.json.step) } : null;
    };
    // Token t1 (1 unless re-granted), then (killed, restarted after its lease expired) t2 above it: the store has seen t2.
    const a1 = await startInstance('a', args);
    instances.push(a1);
    // Its first grant is token 1, unless a stall let it lapse and it was granted again (2 s TTL; seen in a double run of
    // test/integration/cluster, where waiting for exactly 1 timed out): the tokens below are relative to the one it holds.
    const t1 = (await until('a holds world 1', async () => (await lease(a1))?.token)) as number;
    a1.child.kill('SIGKILL');
    await once(a1.child, 'exit');
    // Its lease expires in Redis (the TTL after its last renewal); then a fresh grant.
    const coordinator = new RedisCoordinator({ connection: `redis://127.0.0.1:${port}` });
    try {
      await until("a's old lease of world 1 expired in Redis", async () => (await coordinator.getOwner('1')) === null, 10_000, 50);
    } finally {
      await coordinator.close();
    }
    const a2 = await startRuntimeInstance('a', args); // in process: never killed
    inProcess = a2;
    const t2 = (await until(`a holds world 1 with a token above ${t1}`, async () => {
      const t = (await lease(a2))?.token;
      return t !== undefined && t > t1 ? t : null;
    })) as number;

    const r = redis as ChildProcess | null;
    r?.kill('SIGKILL');
    if (r) await once(r, 'exit');
    await startRedis(); // empty: fence counters start from 0 again

    // Stepping again under a token above the store's t2 (the first fresh grant would have been 1).
    const back = await until(
      'world 1 steps again after Redis lost its data',
      async () => {
        const l1 = await lease(a2);
        if (!l1 || l1.token <= t2) return null;
        await new Promise((res) => setTimeout(res, 300));
        const l2 = await lease(a2);
        return l2 && l2.step > l1.step ? l2 : null;
      },
      30_000,
      200,
    );
    expect(back.token).toBeGreaterThan(t2);
    const c = await a2.api('GET', '/api/v1/cluster');
    expect(c.json.counters.fenceRefusals).toBeGreaterThan(0);
  });
});
