/**
 * A lease key in Redis damaged by hand under a running instance (docs/CLUSTER.md "A damaged key in
 * Redis"). Before, one such key (of any world, even one nobody serves) failed the lease listing of
 * every control tick with a Lua error: the instance logged `cluster: coordinator unreachable` for as
 * long as it stayed, and a damaged lease of a world it served could not be renewed or acquired again,
 * so that world stopped for good. Now the listing skips and counts it, and the world's owner loses the
 * damaged lease and acquires it again with a new token; a warning says so, at most once a minute. One
 * in-process runtime on real ports, a real redis-server, its own SQLite store.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../helpers/cluster-instances.js';
import { startRuntimeInstance, type RuntimeInstance } from '../../helpers/cluster-runtimes.js';
import { findRedisServer, startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import { controlTicks } from '../../helpers/shared-cluster.js';

const skip = findRedisServer() ? null : 'redis-server is not installed';
if (skip) console.warn(`cluster damaged lease: skipped (${skip})`);

describe.skipIf(skip !== null)('cluster: a lease key damaged in Redis', () => {
  let redis: RedisTestServer | undefined;
  let a: RuntimeInstance;
  let raw: Redis;
  beforeAll(async () => {
    redis = await startRedisServer();
    raw = new Redis(redis.url);
    a = await startRuntimeInstance('a', ['--redis', redis.url, '--npcs', '20', '--lease-ttl', '3']);
  }, 60_000);
  afterAll(async () => {
    raw?.disconnect();
    await a?.stop();
    await redis?.stop();
  }, 30_000);

  const damaged = async (): Promise<number> => {
    const m = /^worldtick_cluster_coordinator_damaged_records_total (\d+)$/m.exec((await a.api('GET', '/metrics')).text);
    return Number(m?.[1] ?? Number.NaN);
  };
  const lease = async (world: string): Promise<{ instanceId: string; fencingToken: number } | undefined> =>
    ((await a.api('GET', '/api/v1/cluster')).json.leases as Array<{ worldId: string; instanceId: string; fencingToken: number }>).find(
      (l) => l.worldId === world,
    );

  it("a damaged lease of a world nobody serves is skipped and counted; the instance stays reachable and its world's lease listed", async () => {
    await until('a holds world 1', async () => (await lease('1'))?.instanceId === 'a');
    expect(await damaged()).toBe(0);
    await raw.set('wt:lease:ghost', 'not a lease');
    await raw.sadd('wt:leases', 'ghost');
    await controlTicks(a, 3);
    const view = (await a.api('GET', '/api/v1/cluster')).json;
    expect(view.reachable).toBe(true);
    expect(view.leases.map((l: { worldId: string }) => l.worldId)).toEqual(['1']);
    expect(await damaged()).toBeGreaterThanOrEqual(2);
    expect(a.lines.filter((l) => l.msg === 'cluster: coordinator unreachable')).toEqual([]);
    // One warning, not one per control tick (at most one a minute while the key stays).
    const warned = a.lines.filter((l) => String(l.msg).startsWith('cluster: damaged keys in Redis'));
    expect(warned).toEqual([expect.objectContaining({ level: 40, damaged: expect.any(Number), coordinator: 'redis' })]);
    await raw.del('wt:lease:ghost');
  });

  it('a damaged lease of the world it serves: its renewal is refused, it acquires the world again with a new token and steps on', async () => {
    const before = await lease('1');
    expect(before?.instanceId).toBe('a');
    const token = before?.fencingToken as number;
    await raw.set('wt:lease:1', `x${token}:a`, 'KEEPTTL');
    await until('world 1 leased to a again with a new token', async () => {
      const l = await lease('1');
      return l !== undefined && l.instanceId === 'a' && l.fencingToken > token;
    });
    expect(await raw.get('wt:lease:1')).toMatch(/^\d+:a$/);
    const step = (await a.api('GET', '/api/v1/worlds/1')).json.step as number;
    await until('world 1 steps again', async () => ((await a.api('GET', '/api/v1/worlds/1')).json.step as number) > step + 5);
    expect(a.runtime.cluster.fence('1')?.token).toBeGreaterThan(token);
    // Acquired again by the control tick whose renewal was refused.
    expect(a.lines.find((l) => l.msg === 'cluster: world lease re-acquired after it lapsed')).toMatchObject({ world: '1' });
    expect(a.lines.filter((l) => l.msg === 'cluster: coordinator unreachable')).toEqual([]);
  });
});
