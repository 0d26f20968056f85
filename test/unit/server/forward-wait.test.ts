/**
 * How long an admin request forwarded to a world's owner is waited for (docs/CLUSTER.md "Admin"): 5 s by
 * default, longer for a migration and a checkpoint, which run as long as their own bounded waits allow (a
 * migration: the target's check, the checkpoint, the adopt). A forwarded migrate answered after the 5 s was
 * told `503 the owner … did not answer` although the owner went on and moved the world (seen in
 * test/integration/cluster/migration.test.ts at load ~25). When the wait runs out on a write, the answer says
 * it may still be applied there. Two cluster services on the in-process coordinator, the owner's admin URL a
 * real HTTP server that answers late, the admin intercept called as the admin server calls it; waits scaled down.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalCoordinator, LocalHub } from '../../../src/cluster/local-coordinator.js';
import { isWorldtickError, type WorldtickError, worldNotDurable } from '../../../src/errors.js';
import { createLogger } from '../../../src/log.js';
import { ClusterService } from '../../../src/server/cluster-service.js';
import { createAdminIntercept } from '../../../src/server/cluster-routes.js';
import { clusterServiceOptions } from '../../helpers/cluster-service-options.js';
import { interceptedRequest } from '../../helpers/intercepted-request.js';

const services: ClusterService[] = [];
let server: Server | null = null;
afterEach(async () => {
  for (const s of services.splice(0)) await s.stop();
  await closeServer();
});

const closeServer = async (): Promise<void> => {
  const s = server;
  server = null;
  if (!s) return;
  s.closeAllConnections();
  await new Promise((r) => s.close(r));
};

/** b's admin server: answers every request `delayMs` after it arrived, with the path it got. */
const lateOwner = async (delayMs: number): Promise<{ url: string; seen: string[] }> => {
  const seen: string[] = [];
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ answeredBy: 'b', path: req.url }));
    }, delayMs);
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
};

/**
 * a and b on one hub, b holding world w1's lease with `adminUrl` as its admin URL; the intercept of a. `a` varies a's
 * options (a busy a: placement picks b; a stored world id).
 */
const cluster = async (
  adminUrl: string,
  waits: { timeoutMs: number; longTimeoutMs: number },
  a0: Partial<Parameters<typeof clusterServiceOptions>[0]> = {},
) => {
  const hub = new LocalHub();
  const b = new ClusterService(
    clusterServiceOptions({ coordinator: new LocalCoordinator({ hub }), instanceId: 'b', leaseTtlMs: 60_000, adminUrl: () => adminUrl }),
  );
  services.push(b);
  await b.start();
  expect((await b.coordinator.acquire('w1', 'b', 60_000)).ok).toBe(true);
  const a = new ClusterService(
    clusterServiceOptions({ coordinator: new LocalCoordinator({ hub }), instanceId: 'a', leaseTtlMs: 60_000, ...a0 }),
  );
  services.push(a);
  await a.start();
  expect(a.ownerOf('w1')?.instanceId).toBe('b');
  return createAdminIntercept(a, createLogger('silent'), () => false, waits);
};

const req = (method: string, path: string, pattern: string) =>
  interceptedRequest(method, path, { pattern, params: { id: 'w1' }, body: method === 'GET' ? undefined : {} });
const notHere = async () => ({ status: 599, json: { answeredBy: 'a' } });

describe('cluster: the wait for an admin request forwarded to the owner', () => {
  it('a migrate and a checkpoint are waited for past the ordinary wait, and answered by the owner', async () => {
    const owner = await lateOwner(400);
    const intercept = await cluster(owner.url, { timeoutMs: 150, longTimeoutMs: 3000 });
    for (const [path, pattern] of [
      ['/api/v1/worlds/w1/migrate', '/api/v1/worlds/:id/migrate'],
      ['/api/v1/worlds/w1/checkpoint', '/api/v1/worlds/:id/checkpoint'],
    ] as const) {
      const r = await intercept(req('POST', path, pattern), notHere);
      expect(r.status, path).toBe(200);
      expect(JSON.parse(String(r.body)), path).toEqual({ answeredBy: 'b', path });
      expect(r.headers?.['X-Worldtick-Owner'], path).toBe('b');
    }
    expect(owner.seen).toEqual(['POST /api/v1/worlds/w1/migrate', 'POST /api/v1/worlds/w1/checkpoint']);
  });

  it('other requests get the ordinary wait: 503 naming the owner and the wait; a write may still be applied there', async () => {
    const owner = await lateOwner(400);
    const intercept = await cluster(owner.url, { timeoutMs: 150, longTimeoutMs: 3000 });
    const got = await intercept(req('GET', '/api/v1/worlds/w1', '/api/v1/worlds/:id'), notHere);
    expect(got.status).toBe(503);
    expect(got.json).toEqual({
      code: 'WT_ERR_CLUSTER_UNAVAILABLE',
      message: 'the owner of world w1 (b) did not answer within 0.15 s',
    });
    const kick = await intercept(req('POST', '/api/v1/worlds/w1/players/p1/kick', '/api/v1/worlds/:id/players/:playerId/kick'), notHere);
    expect(kick.status).toBe(503);
    expect((kick.json as { message: string }).message).toBe(
      'the owner of world w1 (b) did not answer within 0.15 s; the request may still be applied there: look (GET) before sending it again',
    );
    // And the long wait is a wait, not a free pass: a migrate the owner answers after it is 503 too.
    const slow = await cluster(owner.url, { timeoutMs: 100, longTimeoutMs: 200 });
    const m = await slow(req('POST', '/api/v1/worlds/w1/migrate', '/api/v1/worlds/:id/migrate'), notHere);
    expect(m.status).toBe(503);
    expect((m.json as { message: string }).message).toContain('did not answer within 0.2 s; the request may still be applied there');
  });

  it('a placed create not answered in time is created here; refused here, the answer says it may have been created there', async () => {
    const b = await lateOwner(400);
    // a is busier than b: placement picks b.
    const busy = { load: () => ({ sessions: 50, stepCostMs: 0, cpu: 0.5 }) };
    const stored = new Set(['w3']);
    const intercept = await cluster(
      b.url,
      { timeoutMs: 150, longTimeoutMs: 3000 },
      { ...busy, storedRecord: async (id) => stored.has(id) },
    );
    const create = (id: string) => ({ ...req('POST', '/api/v1/worlds', '/api/v1/worlds'), params: {}, body: { id } });
    const note = (id: string) =>
      `; the create was first sent to instance b (placement), which did not answer within 0.15 s and may have created world ${id} there: look (GET /api/v1/worlds/${id}) before sending it again`;
    // Created here: the 201 as it was, naming a.
    const made = await intercept(create('w2'), async () => ({ status: 201, json: { id: 'w2' } }));
    expect(made).toMatchObject({ status: 201, json: { id: 'w2' }, headers: { 'X-Worldtick-Owner': 'a' } });
    // Refused here by the create (b took the lease first, say): the same code, the message says where to look.
    const refused = await intercept(create('w2'), async () => {
      throw worldNotDurable('w2', 'its lease is held by instance b');
    }).catch((e: unknown) => e);
    expect(isWorldtickError(refused, 'WT_ERR_WORLD_NOT_DURABLE')).toBe(true);
    expect((refused as Error).message).toBe(`world "w2" could not be made durable: its lease is held by instance b${note('w2')}`);
    expect((refused as WorldtickError).details).toEqual({ worldId: 'w2', reason: 'its lease is held by instance b', placedOn: 'b' });
    // Refused by the intercept itself (the id is stored now): 409 with the note and `placedOn`.
    const exists = await intercept(create('w3'), notHere);
    expect(exists.status).toBe(409);
    expect(exists.json).toMatchObject({ code: 'WT_ERR_WORLD_EXISTS', details: { worldId: 'w3', owner: null, placedOn: 'b' } });
    expect((exists.json as { message: string }).message.endsWith(note('w3'))).toBe(true);
    expect(b.seen).toEqual(['POST /api/v1/worlds', 'POST /api/v1/worlds', 'POST /api/v1/worlds']);
  });

  it('a placed create the picked instance cannot be reached for is created here, refused or not, without that note', async () => {
    const closed = await lateOwner(0);
    const url = closed.url;
    await closeServer(); // nothing listens there now: the connection is refused
    const intercept = await cluster(
      url,
      { timeoutMs: 150, longTimeoutMs: 3000 },
      { load: () => ({ sessions: 50, stepCostMs: 0, cpu: 0.5 }) },
    );
    const create = { ...req('POST', '/api/v1/worlds', '/api/v1/worlds'), params: {}, body: { id: 'w2' } };
    expect(await intercept(create, async () => ({ status: 201, json: { id: 'w2' } }))).toMatchObject({ status: 201 });
    const refused = await intercept(create, async () => {
      throw worldNotDurable('w2', 'x');
    }).catch((e: unknown) => e);
    expect((refused as Error).message).toBe('world "w2" could not be made durable: x');
  });
});
