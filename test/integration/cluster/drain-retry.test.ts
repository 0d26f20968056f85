/**
 * A drain asks another instance when a target refuses a world (docs/CLUSTER.md "Draining an instance"):
 * `a` drains while its view of `b` and `c` is stale (a lease TTL of 600 s: a control tick every 200 s),
 * so it still sees them taking worlds although they drain. The first target placement picks refuses
 * (409 `WT_ERR_MIGRATION_REFUSED`, lease handed back); `a` then asks the next one placement picks without
 * it. With both draining the world is listed failed with the two refusals and steps on at `a`; with the
 * second one taking worlds again, the world moves there and the result names the refusal before it.
 * Three in-process runtimes on a real redis-server and a real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeWorld } from '../../../src/cluster/placement.js';
import { until, createWorld } from '../../helpers/cluster-instances.js';
import { startRuntimeInstance, type RuntimeInstance } from '../../helpers/cluster-runtimes.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import { sharedBackendOrSkip } from '../../helpers/shared-cluster.js';

const { skip, pg } = await sharedBackendOrSkip('cluster drain retry');

describe.skipIf(skip !== null)('cluster: a drain retries a refused world on another instance', () => {
  const inst: RuntimeInstance[] = [];
  let redis: RedisTestServer | undefined;
  beforeAll(async () => {
    redis = await startRedisServer();
    const args = ['--redis', redis.url, '--store', (pg as PgServer).url, '--lease-ttl', '600'];
    // b and c first: a's view (taken at its start) lists both; b owns the default world.
    for (const id of ['b', 'c', 'a']) inst.push(await startRuntimeInstance(id, args));
    expect((await createWorld(inst[2], { id: 'dw', npcs: 30 }, '?placement=local')).status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    for (const i of inst.slice().reverse()) await i.stop();
    await redis?.stop();
    await pg?.destroy();
  }, 30_000);

  it('tries the next target after a refusal; lists the world failed, with every refusal, only when none takes it', async () => {
    const byId = (id: string) => inst.find((i) => i.id === id)!;
    const a = byId('a');
    await until('a steps dw', () => a.runtime.cluster.serving().includes('dw'));
    expect(a.runtime.cluster.serving()).toEqual(['dw']);
    // Placement's first and second picks on a's (stale) view.
    const others = a.runtime.cluster.instances().filter((i) => i.id !== 'a');
    expect(others.map((i) => i.id).sort()).toEqual(['b', 'c']);
    const first = placeWorld(others)!.id;
    const second = first === 'b' ? 'c' : 'b';
    for (const id of [first, second]) expect((await byId(id).api('POST', '/api/v1/cluster/drain')).json).toMatchObject({ draining: true });

    // Both refuse: failed, with both refusals in order; the world steps on at a.
    const r1 = await a.api('POST', '/api/v1/cluster/drain');
    expect(r1.status).toBe(200);
    expect(r1.json).toMatchObject({ draining: true, moved: [], remaining: ['dw'] });
    expect(r1.json.failed).toEqual([
      {
        worldId: 'dw',
        error: `no other live instance that takes worlds; refused by ${first} (draining), ${second} (draining)`,
        tried: [
          { instance: first, reason: 'draining' },
          { instance: second, reason: 'draining' },
        ],
      },
    ]);
    const retried = a.lines.find((l) => l.msg === 'cluster: drain target refused the world; asking another instance');
    expect(retried).toMatchObject({ world: 'dw', to: first, reason: 'draining', attempt: 1, retry: true });
    const incomplete = a.lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('cluster: drain incomplete'));
    expect(incomplete).toMatchObject({ failed: [{ worldId: 'dw', tried: [{ instance: first }, { instance: second }] }] });
    const held = (await a.api('GET', '/api/v1/worlds/dw')).json.step as number;
    await until('a steps dw again', async () => ((await a.api('GET', '/api/v1/worlds/dw')).json.step as number) > held + 3);

    // The second takes worlds again: the drain moves dw there after the first's refusal.
    expect((await byId(second).api('DELETE', '/api/v1/cluster/drain')).json).toMatchObject({ draining: false });
    const r2 = await a.api('POST', '/api/v1/cluster/drain');
    expect(r2.json).toMatchObject({ draining: true, failed: [], remaining: [] });
    expect(r2.json.moved).toEqual([
      expect.objectContaining({ worldId: 'dw', from: 'a', to: second, tried: [{ instance: first, reason: 'draining' }] }),
    ]);
    expect(a.lines.find((l) => l.msg === 'cluster: drained; safe to stop')).toMatchObject({
      moved: [`dw -> ${second} (refused by ${first}: draining)`],
    });
    await until(`${second} steps dw`, () => byId(second).runtime.cluster.serving().includes('dw'));
  }, 60_000);
});
