/**
 * Readiness in a cluster: every instance but a world's owner holds a standby copy of it (the
 * default world "1" exists everywhere) that does not step and so has no periodic heartbeat. That
 * copy must not turn `/readyz` red nor set `worldtick_periodic_heartbeat_stale` (a load balancer
 * would take every non-owner out of rotation, and the heartbeat alert would page for nothing).
 * Two real instances (child processes, `--redis` on a real redis-server, their own SQLite stores).
 * Also: the world list marks standby copies, and a create kept local names its owner.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRedisServer, startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import { CLUSTER_TOKEN, ownersFrom, startDefaultOwnerThenRest, until, type TestInstance } from '../../helpers/cluster-instances.js';

const bin = findRedisServer();
if (!bin) console.warn('standby-readiness: redis-server is not installed (apt-get install -y redis-server, or .ci/run): skipped');

describe.skipIf(!bin)('cluster: standby copies and readiness', () => {
  let redis: RedisTestServer;
  const inst: TestInstance[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    // The smallest stale limit (1.5 s; the heartbeat runs every 1 s) so a standby copy is long past it below.
    const args = ['--redis', redis.url, '--npcs', '100', '--lease-ttl', '1', '--heartbeat-stale', '1.5', '--stats-interval', '0.5'];
    // a first, so it owns world 1; b loads its modules meanwhile.
    await startDefaultOwnerThenRest(inst, ['a', 'b'], args);
    await until('b sees a as the owner of world 1', async () => (await ownersFrom(inst[1]))['1'] === 'a');
  }, 60_000);

  afterAll(async () => {
    await Promise.all(inst.map((i) => i.stop()));
    await redis?.stop();
  }, 30_000);

  it('a standby copy is never stale: /readyz stays 200 on the instance that does not own the world', async () => {
    const [a, b] = inst;
    // Past the stale limit on b's standby copy of world 1 (it never stepped there).
    await until(
      "b's standby copy of world 1 is older than its stale limit",
      async () => {
        const m = await (await fetch(`${b.adminUrl}/metrics`, { headers: { authorization: `Bearer ${CLUSTER_TOKEN}` } })).text();
        const age = Number(/^worldtick_periodic_heartbeat_age_seconds\{world="1"\} (\S+)$/m.exec(m)?.[1] ?? 0);
        return age > 2.5;
      },
      20_000,
      200,
    );
    for (const i of [a, b]) {
      const r = await fetch(`${i.adminUrl}/readyz`);
      expect({ id: i.id, status: r.status, body: await r.json() }).toEqual({ id: i.id, status: 200, body: { ready: true } });
    }
    const metrics = (await b.api('GET', '/metrics')).json as string;
    expect(metrics).toMatch(/^worldtick_periodic_heartbeat_stale\{world="1"\} 0$/m);
    const periodic = (await b.api('GET', '/api/v1/worlds/1/periodic')).json;
    expect(periodic.heartbeat).toBeTruthy(); // forwarded to the owner: its heartbeat is fresh
    const list = (await b.api('GET', '/api/v1/worlds')).json;
    expect(list.worlds.find((w: { id: string }) => w.id === '1')).toMatchObject({
      owner: 'a',
      ownedHere: false,
      standby: true,
      ownerAdminUrl: a.adminUrl,
    });
  });

  it("the 'world stats' line marks a standby copy (its 0 steps per second is not a stalled world)", async () => {
    const [a, b] = inst;
    await until('a stats line of world 1 on b after b saw the owner', () =>
      b.lines.some((l) => l.msg === 'world stats' && l.world === '1' && l.standby === true),
    );
    const owned = a.lines.filter((l) => l.msg === 'world stats' && l.world === '1');
    expect(owned.length).toBeGreaterThan(0);
    expect(owned.some((l) => 'standby' in l)).toBe(false);
  });

  it('a world created where it was sent answers with X-Worldtick-Owner, like a placed one', async () => {
    const b = inst[1];
    const r = await b.api('POST', '/api/v1/worlds?placement=local', { id: 'local-b', npcs: 10 });
    expect(r.status).toBe(201);
    expect(r.headers.get('x-worldtick-owner')).toBe('b');
    const list = (await b.api('GET', '/api/v1/worlds')).json;
    expect(list.worlds.find((w: { id: string }) => w.id === 'local-b')).toMatchObject({ owner: 'b', ownedHere: true, standby: false });
  });
  // Last: it stops Redis. docs/ADMIN.md "Runbook: incidents" 4: no instance can step a world while the
  // coordinator is unreachable, and none would do better, so `/readyz` stays 200 (a load balancer taking
  // every instance out would only turn "retry" into "no server"); the alert is WorldtickCoordinatorUnreachable.
  // Before, the owner's world stopped stepping, its heartbeat went stale and `/readyz` answered 503.
  it('a coordinator outage does not turn /readyz red: the stopped worlds are not stale', async () => {
    const [a, b] = inst;
    await redis.stop();
    await until(
      "a's world 1 stopped stepping for longer than its stale limit",
      async () => {
        const m = await (await fetch(`${a.adminUrl}/metrics`, { headers: { authorization: `Bearer ${CLUSTER_TOKEN}` } })).text();
        const up = /^worldtick_cluster_coordinator_up (\S+)$/m.exec(m)?.[1];
        const age = Number(/^worldtick_periodic_heartbeat_age_seconds\{world="1"\} (\S+)$/m.exec(m)?.[1] ?? 0);
        return up === '0' && age > 2.5;
      },
      30_000,
      200,
    );
    for (const i of [a, b]) {
      const r = await fetch(`${i.adminUrl}/readyz`);
      expect({ id: i.id, status: r.status, body: await r.json() }).toEqual({ id: i.id, status: 200, body: { ready: true } });
    }
  }, 40_000);
});
