/**
 * The documented rotation of the admin token in a cluster, mid-way (docs/ADMIN.md "Rotating the admin
 * token", step 2): `a` was restarted with the new token in force and the old one accepted
 * (`--admin-token-previous`), `b` not yet (the old one in force, the new one accepted since step 1).
 * Without `--admin-token-previous` such instances refuse each other (token-mismatch.test.ts: 502
 * `WT_ERR_CLUSTER_TOKEN_MISMATCH`, migrations refused, balance rounds leaving one out, and without
 * `--cluster-secret` redirect tickets refused `BAD_TICKET`). With it: forwarded requests, balance rounds,
 * a migration and redirect tickets work both ways, and each instance counts what the previous token
 * (or, the admin token being the ticket secret, the previous ticket secret) authorised.
 * Real instances (in process), real redis-server, real PostgreSQL, real WebSocket clients.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { CLUSTER_TOKEN, ownersFrom, until, createWorld } from '../../helpers/cluster-instances.js';
import { startRuntimeInstance, type RuntimeInstance } from '../../helpers/cluster-runtimes.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { startRedisServer, type RedisTestServer } from '../../helpers/redis-server.js';
import { sharedBackendOrSkip, sharedStoreArgs } from '../../helpers/shared-cluster.js';

const { skip, pg: sharedPg } = await sharedBackendOrSkip('cluster admin token rotation');

/** The token rotated out: the helpers' token, so each instance's `api` (which sends it) works on both. */
const OLD = CLUSTER_TOKEN;
const NEW = 'new-cluster-admin-token-0123456789';

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

/** Joins `world` through `via`; the URL it ended on, or the close code and wire code of a refusal. */
const joinVia = async (via: RuntimeInstance, world: string, player: string) => {
  const c = new WorldtickClient({ url: via.gameUrl, WebSocket: WebSocket as unknown as WebSocketCtor });
  await c.connect();
  try {
    await c.join(world, player);
    return { url: c.url, redirects: c.stats.redirects };
  } catch (err) {
    await c.closed();
    return { refused: (err as { details?: { wireCode?: string } }).details?.wireCode, closeCode: c.closeCode };
  } finally {
    c.close();
  }
};

const counter = async (i: RuntimeInstance, name: string): Promise<number> => {
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec((await i.api('GET', '/metrics')).text);
  return m ? Number(m[1]) : 0;
};

describe.skipIf(skip !== null)('cluster: an admin token rotation with --admin-token-previous', () => {
  const pg = sharedPg as PgServer;
  const ctx = { inst: [] as unknown as [RuntimeInstance, RuntimeInstance] };
  let redis: RedisTestServer | undefined;
  beforeAll(async () => {
    redis = await startRedisServer();
    const args = sharedStoreArgs(redis, pg);
    ctx.inst[0] = await startRuntimeInstance('a', [...args, '--admin-token', NEW, '--admin-token-previous', OLD]);
    ctx.inst[1] = await startRuntimeInstance('b', [...args, '--admin-token', OLD, '--admin-token-previous', NEW]);
    const [a, b] = ctx.inst;
    expect((await createWorld(a, { id: 'wa', npcs: 5 }, '?placement=local')).status).toBe(201);
    expect((await createWorld(b, { id: 'wb', npcs: 5 }, '?placement=local')).status).toBe(201);
    await until('both instances see each other and the owners', async () => {
      for (const i of ctx.inst) {
        if ((await i.api('GET', '/api/v1/cluster')).json.instances.length !== 2) return false;
        const o = await ownersFrom(i);
        if (o.wa !== 'a' || o.wb !== 'b') return false;
      }
      return true;
    });
  }, 90_000);
  afterAll(async () => {
    await Promise.all(ctx.inst.map((i) => i?.stop()));
    await redis?.stop();
    await pg.destroy();
  }, 30_000);

  it('requests forwarded to the owner are answered with either token, both ways (no 502)', async () => {
    const [a, b] = ctx.inst;
    for (const [via, token, world, owner] of [
      [b, NEW, 'wa', 'a'],
      [b, OLD, 'wa', 'a'],
      [a, OLD, 'wb', 'b'],
      [a, NEW, 'wb', 'b'],
    ] as const) {
      const r = await call(via.adminUrl, token, 'GET', `/api/v1/worlds/${world}/stats`);
      expect(r.status, `${token === NEW ? 'new' : 'old'} token via ${via.id}`).toBe(200);
      expect(r.headers.get('x-worldtick-owner')).toBe(owner);
    }
    // A third token is refused where it arrives.
    expect((await call(b.adminUrl, 'third-admin-token-0123456789', 'GET', '/api/v1/worlds/wa/stats')).status).toBe(401);
    expect(await counter(a, 'worldtick_admin_previous_token_total')).toBeGreaterThan(0);
    expect(await counter(b, 'worldtick_admin_previous_token_total')).toBeGreaterThan(0);
    expect(a.lines.find((l) => l.msg === 'admin listening')?.adminTokens).toEqual([
      '--admin-token',
      '--admin-token-previous (accept only)',
    ]);
  });

  it('balance rounds leave nobody out, from either instance', async () => {
    for (const i of ctx.inst) {
      const round = await i.api('POST', '/api/v1/cluster/balance', { dryRun: true });
      expect(round.status, i.id).toBe(200);
      expect(round.json.leftOut ?? [], i.id).toEqual([]);
    }
  });

  it('redirect tickets signed with either token are accepted (the admin token is the ticket secret), counted as previous', async () => {
    const [a, b] = ctx.inst;
    // b signs with the old token, a accepts it as its previous; a signs with the new one, b accepts it as its previous.
    expect(await joinVia(b, 'wa', 'p1')).toEqual({ url: a.gameUrl, redirects: 1 });
    expect(await joinVia(a, 'wb', 'p2')).toEqual({ url: b.gameUrl, redirects: 1 });
    expect(await counter(a, 'worldtick_cluster_tickets_previous_secret_total')).toBe(1);
    expect(await counter(b, 'worldtick_cluster_tickets_previous_secret_total')).toBe(1);
    // Start line: which secrets verify tickets, by name, never their text.
    expect(a.lines.find((l) => l.msg === 'cluster: redirect tickets accepted')?.ticketSecrets).toEqual([
      'the admin token (signs)',
      '--admin-token-previous (accept only)',
    ]);
    expect(JSON.stringify([...a.lines, ...b.lines])).not.toContain(NEW);
  });

  it('a migration goes through (the source asks the target with its own token, the target takes it as previous)', {
    timeout: 60_000,
  }, async () => {
    const [a, b] = ctx.inst;
    const r = await a.api('POST', '/api/v1/worlds/wa/migrate', { to: 'b' });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    await until('b owns wa', async () => (await ownersFrom(a)).wa === 'b' && (await ownersFrom(b)).wa === 'b');
  });
});
