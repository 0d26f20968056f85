/**
 * A stale view (docs/CLUSTER.md "Draining an instance"): `a` still sees `b` taking worlds (its view is
 * a control tick old) when `b` has just started draining, and migrates a world to it. `b` refuses
 * the handed world (409 `WT_ERR_MIGRATION_REFUSED`, counted `adoptRefusals`) and hands the lease
 * back; `a` takes it back and steps the world on, from where it held it — owned once, by `a`.
 * Two instances (in-process runtimes on real ports: none is killed or signalled) on a real redis-server and a
 * real PostgreSQL; a lease TTL of 600 s (the most allowed) makes the
 * control tick (which refreshes the view) run every 200 s, so a's view stays stale for the test (with 60 s,
 * a tick at 20 s after a started could land between b's drain and the migration on a slow box).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgServer } from '../../helpers/postgres-server.js';
import { sharedBackendOrSkip, sharedStoreArgs } from '../../helpers/shared-cluster.js';
import { ownersFrom, until, createWorld } from '../../helpers/cluster-instances.js';
import { startRuntimeInstance, type RuntimeInstance } from '../../helpers/cluster-runtimes.js';
import { startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';

const { skip, pg: sharedPg } = await sharedBackendOrSkip('cluster adopt refused');

describe.skipIf(skip !== null)('cluster: a draining instance refuses a handed world', () => {
  const inst: RuntimeInstance[] = [];
  let redis: RedisTestServer | undefined;
  beforeAll(async () => {
    redis = await startRedisServer();
    const args = [...sharedStoreArgs(redis, sharedPg as PgServer), '--npcs', '100', '--lease-ttl', '600'];
    inst.push(await startRuntimeInstance('a', args), await startRuntimeInstance('b', args));
    // Created on a after b registered: a's control tick run for it refreshes a's view (b in it).
    expect((await createWorld(inst[0], { id: 'rw', npcs: 50 }, '?placement=local')).status).toBe(201);
    await until('a sees b and owns rw', async () => {
      const v = (await inst[0].api('GET', '/api/v1/cluster')).json;
      return v.instances.length === 2 && (await ownersFrom(inst[0])).rw === 'a';
    });
  }, 90_000);
  afterAll(async () => {
    await Promise.all(inst.map((i) => i.stop()));
    await redis?.stop();
    await sharedPg?.destroy();
  }, 30_000);

  it('b refuses and hands the lease back; a steps the world on from where it held it', async () => {
    const [a, b] = inst;
    await until('a stepped rw a while', async () => ((await a.api('GET', '/api/v1/worlds/rw')).json.step as number) > 10);
    const tokenBefore = (await a.api('GET', '/api/v1/cluster')).json.leases.find((l: { worldId: string }) => l.worldId === 'rw')
      .fencingToken as number;
    expect((await b.api('POST', '/api/v1/cluster/drain')).json).toMatchObject({ draining: true });
    // a's view is older than b's drain: it still lists b as taking worlds.
    const seen = (await a.api('GET', '/api/v1/cluster')).json.instances.find((i: { id: string }) => i.id === 'b');
    expect(seen.capacity).toBeGreaterThan(0);

    const r = await a.api('POST', '/api/v1/worlds/rw/migrate', { to: 'b' });
    expect(r.status, JSON.stringify(r.json)).toBe(409);
    expect(r.json).toMatchObject({ code: 'WT_ERR_MIGRATION_REFUSED', message: 'instance b refused rw (draining); it steps on here' });
    const bView = (await b.api('GET', '/api/v1/cluster')).json;
    expect(bView.counters.adoptRefusals).toBe(1);
    const refusal = b.lines.find((l) => l.msg === 'cluster: handed world refused');
    expect(refusal).toMatchObject({ world: 'rw', from: 'a', reason: 'draining', returned: true });

    // a owns rw again (a newer token: handed to b, handed back) and steps it on; b never adopted it.
    const lease = (await a.api('GET', '/api/v1/cluster')).json.leases.find((l: { worldId: string }) => l.worldId === 'rw');
    expect(lease).toMatchObject({ instanceId: 'a' });
    expect(lease.fencingToken).toBeGreaterThan(tokenBefore);
    const held = (await a.api('GET', '/api/v1/worlds/rw')).json.step as number;
    await until('a steps rw again', async () => ((await a.api('GET', '/api/v1/worlds/rw')).json.step as number) > held + 5);
    expect(((await b.api('GET', '/api/v1/cluster/moves')).json.moves as unknown[]).length).toBe(0);
    expect(((await a.api('GET', '/api/v1/cluster/moves')).json.moves as unknown[]).length).toBe(0);
    expect((await b.api('GET', '/api/v1/cluster/drain')).json.worlds).toEqual([]);
    // A bad adopt request changes nothing either.
    expect((await b.api('POST', '/api/v1/cluster/adopt', { worldId: 7 })).status).toBe(400);
  }, 60_000);
});
