/**
 * Instances that do not share a store (docs/CLUSTER.md "Migration"): each runs on its own SQLite data
 * directory, so a target cannot load a world its source checkpointed. Before, `b` answered the adopt
 * with `WT_ERR_WORLD_NOT_FOUND` (its store has no record: "deleted"), `a` had handed the lease over
 * and dropped its copy, and the world was served by nobody. Now `b` refuses the handed world (reason
 * `not-in-store`) and hands the lease back; `a` takes it back and steps it on, from where it held it.
 * Two in-process runtimes on real ports, a real redis-server, real SQLite files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownersFrom, until, createWorld } from '../../helpers/cluster-instances.js';
import { startRuntimeInstance, type RuntimeInstance } from '../../helpers/cluster-runtimes.js';
import { findRedisServer, startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';

const skip = findRedisServer() ? null : 'redis-server is not installed';
if (skip) console.warn(`cluster unshared-store move: skipped (${skip})`);

describe.skipIf(skip !== null)('cluster without a shared store: a migration is refused, the world steps on', () => {
  const inst: RuntimeInstance[] = [];
  let redis: RedisTestServer | undefined;
  beforeAll(async () => {
    redis = await startRedisServer();
    const args = ['--redis', redis.url, '--npcs', '50', '--lease-ttl', '600'];
    inst.push(await startRuntimeInstance('a', args), await startRuntimeInstance('b', args));
    expect((await createWorld(inst[0], { id: 'sep', npcs: 20 }, '?placement=local')).status).toBe(201);
    await until('a sees b and owns sep', async () => {
      const v = (await inst[0].api('GET', '/api/v1/cluster')).json;
      return v.instances.length === 2 && (await ownersFrom(inst[0])).sep === 'a';
    });
  }, 90_000);
  afterAll(async () => {
    await Promise.all(inst.map((i) => i.stop()));
    await redis?.stop();
  }, 30_000);

  it('b refuses the world it cannot load and hands it back; a steps it on', async () => {
    const [a, b] = inst;
    await until('a stepped sep a while', async () => ((await a.api('GET', '/api/v1/worlds/sep')).json.step as number) > 10);
    const r = await a.api('POST', '/api/v1/worlds/sep/migrate', { to: 'b' });
    expect(r.status, JSON.stringify(r.json)).toBe(409);
    expect(r.json).toMatchObject({ code: 'WT_ERR_MIGRATION_REFUSED', message: 'instance b refused sep (not-in-store); it steps on here' });
    expect(b.lines.find((l) => l.msg === 'cluster: handed world refused')).toMatchObject({
      world: 'sep',
      from: 'a',
      reason: 'not-in-store',
      returned: true,
    });
    const lease = (await a.api('GET', '/api/v1/cluster')).json.leases.find((l: { worldId: string }) => l.worldId === 'sep');
    expect(lease).toMatchObject({ instanceId: 'a' });
    const held = (await a.api('GET', '/api/v1/worlds/sep')).json.step as number;
    await until('a steps sep again', async () => ((await a.api('GET', '/api/v1/worlds/sep')).json.step as number) > held + 5);
    expect((await b.api('GET', '/api/v1/worlds/sep')).status).not.toBe(200);
    // A second try at the same target is refused before anything is held (b declined it).
    const again = await a.api('POST', '/api/v1/worlds/sep/migrate', { to: 'b' });
    expect(again.status, JSON.stringify(again.json)).toBe(409);
    expect((await a.api('GET', '/api/v1/worlds/sep')).status).toBe(200);
  }, 60_000);
});
