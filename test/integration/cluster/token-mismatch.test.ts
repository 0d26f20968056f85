/**
 * Two instances with different admin tokens — an admin-token rotation half done. Found in an
 * operator's walkthrough: a request for a world sent to the instance that does not own it was
 * forwarded with that instance's token and answered 401 `missing or invalid bearer token`, though
 * the operator's token was right there; a migration to the other instance handed the lease over,
 * then the target refused its adopt 401: the world's players were closed (4015) and the world failed
 * over from its checkpoint, and the source logged nothing. Now the forward answers 502
 * `WT_ERR_CLUSTER_TOKEN_MISMATCH` naming the owner, and the migration asks the target with its token
 * before it holds anything: refused with that code, nothing moved, the world steps on, a warn line.
 * Real instances (in process), real redis-server, real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownersFrom, until, createWorld } from '../../helpers/cluster-instances.js';
import { startRuntimeInstance, type RuntimeInstance } from '../../helpers/cluster-runtimes.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import { controlTicks, sharedBackendOrSkip, sharedStoreArgs } from '../../helpers/shared-cluster.js';

const { skip, pg: sharedPg } = await sharedBackendOrSkip('cluster admin tokens differ');

const OTHER = 'rotated-admin-token-0123456789abcdef';

/** A request on `adminUrl` with `token`. */
const call = async (adminUrl: string, token: string, method: string, path: string, body?: unknown) => {
  const res = await fetch(`${adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  return { status: res.status, json: JSON.parse(text), headers: res.headers };
};

describe.skipIf(skip !== null)('cluster: instances with different admin tokens', () => {
  const pg = sharedPg as PgServer;
  const ctx = { inst: [] as unknown as [RuntimeInstance, RuntimeInstance] };
  let redis: RedisTestServer | undefined;
  beforeAll(async () => {
    redis = await startRedisServer();
    // A 3 s lease (was 1.5): a stall of this process (both instances are in it) shorter than about 2 s
    // lapses no lease on a loaded machine, and the three control ticks waited for below take 1 s each.
    const args = [...sharedStoreArgs(redis, pg), '--lease-ttl', '3'];
    ctx.inst[0] = await startRuntimeInstance('a', args);
    ctx.inst[1] = await startRuntimeInstance('b', [...args, '--admin-token', OTHER]); // its `api` keeps the test token: not used on b
    const [a, b] = ctx.inst;
    expect((await createWorld(a, { id: 'w', npcs: 20 }, '?placement=local')).status).toBe(201);
    await until('both instances see each other and a owns w', async () => {
      if ((await a.api('GET', '/api/v1/cluster')).json.instances.length !== 2) return false;
      const bv = (await call(b.adminUrl, OTHER, 'GET', '/api/v1/cluster')).json;
      if (
        bv.instances.length !== 2 ||
        !bv.leases.some((l: { worldId: string; instanceId: string }) => l.worldId === 'w' && l.instanceId === 'a')
      )
        return false;
      return (await ownersFrom(a)).w === 'a';
    });
  }, 90_000);
  afterAll(async () => {
    await Promise.all(ctx.inst.map((i) => i?.stop()));
    await redis?.stop();
    await pg.destroy();
  }, 30_000);

  it('a request forwarded to the owner answers 502 WT_ERR_CLUSTER_TOKEN_MISMATCH, not 401', async () => {
    const [, b] = ctx.inst;
    const r = await call(b.adminUrl, OTHER, 'GET', '/api/v1/worlds/w/stats');
    expect(r.status).toBe(502);
    expect(r.json.code).toBe('WT_ERR_CLUSTER_TOKEN_MISMATCH');
    expect(r.json.message).toContain('instance a refused');
    expect(r.headers.get('x-worldtick-owner')).toBe('a');
  });

  it('a migration to an instance with another token moves nothing: the world steps on at its owner', { timeout: 30_000 }, async () => {
    const [a, b] = ctx.inst;
    const r = await a.api('POST', '/api/v1/worlds/w/migrate', { to: 'b' });
    expect(r.status).toBe(502);
    expect(r.json.code).toBe('WT_ERR_CLUSTER_TOKEN_MISMATCH');
    expect(r.json.message).toContain('nothing moved');
    const line = a.lines.find((l) => l.msg === 'cluster: migration failed');
    expect(line).toMatchObject({ world: 'w', to: 'b', handedOver: false, code: 'WT_ERR_CLUSTER_TOKEN_MISMATCH' });
    await controlTicks(a, 3);
    // Still a's (no handover, no failover: b never adopted it), and stepping.
    expect((await ownersFrom(a)).w).toBe('a');
    expect((await a.api('GET', '/api/v1/cluster/moves')).json.moves).toEqual([]);
    expect(b.lines.filter((l) => l.world === 'w' && String(l.msg).startsWith('cluster: world taken over'))).toEqual([]);
    const step = Number((await a.api('GET', '/api/v1/worlds/w/stats')).json.step);
    await until('w steps on at a', async () => Number((await a.api('GET', '/api/v1/worlds/w/stats')).json.step) > step);
  });

  it('a balance round says why it left the other instance out (its load report answered 401), in its log and its answer', async () => {
    const [a] = ctx.inst;
    const round = await a.api('POST', '/api/v1/cluster/balance', { dryRun: true });
    expect(round.status).toBe(200);
    // The answer says so too: before, it only lacked b (in `reports`, `plan.before`), status `idle`.
    expect(round.json.leftOut).toEqual([{ instance: 'b', status: 401, error: expect.stringContaining('same admin token') }]);
    const line = a.lines.find((l) => l.msg === 'cluster: load report unavailable; instance left out of this round');
    expect(line).toMatchObject({ peer: 'b', status: 401 });
    expect(String(line?.err)).toContain('same admin token');
  });
});
