/**
 * A draining instance places no new world on itself, from the moment the drain starts: two cluster
 * services on one in-process coordinator (real clock), b's admin API a real HTTP server. `a` is the
 * least loaded, so a world created through a's admin API lands on a; once a drains, the same create
 * must be forwarded to b at once — not only after a's next control tick has refreshed a's view of
 * its own record (capacity 0), which with a long lease TTL is many seconds later.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalCoordinator, LocalHub } from '../../../src/cluster/local-coordinator.js';
import { createLogger } from '../../../src/log.js';
import { ClusterService } from '../../../src/server/cluster-service.js';
import { createAdminIntercept } from '../../../src/server/cluster-routes.js';
import { clusterServiceOptions } from '../../helpers/cluster-service-options.js';
import { interceptedRequest } from '../../helpers/intercepted-request.js';

const servers: Server[] = [];
const services: ClusterService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.stop();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

const service = (hub: LocalHub, id: string, adminUrl: string, cpu: number): ClusterService => {
  const s = new ClusterService(
    clusterServiceOptions({
      coordinator: new LocalCoordinator({ hub }),
      instanceId: id,
      leaseTtlMs: 60_000, // no control tick of its own during the test: only the kicks below
      adminUrl: () => adminUrl,
      load: () => ({ sessions: 0, stepCostMs: 0, cpu }),
    }),
  );
  services.push(s);
  return s;
};

/** b's admin API: answers every create 201 and counts them. */
const adminOfB = async (): Promise<{ url: string; creates: string[] }> => {
  const creates: string[] = [];
  const srv = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      creates.push(`${req.method} ${req.url} ${body}`);
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'created-on-b' }));
    });
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, creates };
};

const createReq = (id: string) => interceptedRequest('POST', '/api/v1/worlds', { body: { id } });

describe('draining: placement of new worlds', () => {
  it('a draining instance forwards a create at once instead of creating the world on itself', async () => {
    const hub = new LocalHub();
    const b = await adminOfB();
    const sa = service(hub, 'a', 'http://127.0.0.1:9', 0);
    const sb = service(hub, 'b', b.url, 0.5);
    await sa.kick();
    await sb.kick();
    await sa.kick(); // a's view: a (cpu 0) and b (cpu 0.5)
    let local = 0;
    const intercept = createAdminIntercept(sa, createLogger('silent'), () => false);
    const next = async () => {
      local++;
      return { status: 201, json: { id: 'created-on-a' } };
    };

    // Not draining: a is the least loaded, the world is created here.
    const before = await intercept(createReq('w1'), next);
    expect(before.status).toBe(201);
    expect(before.headers?.['X-Worldtick-Owner']).toBe('a');
    expect(local).toBe(1);

    // Draining, before any control tick ran again: the create goes to b.
    await sa.setDraining(true);
    expect(sa.instances().find((i) => i.id === 'a')?.capacity).toBe(0);
    const during = await intercept(createReq('w2'), next);
    expect(during.status).toBe(201);
    expect(during.headers?.['X-Worldtick-Owner']).toBe('b');
    expect(local).toBe(1);
    expect(b.creates).toHaveLength(1);
    expect(b.creates[0]).toContain('"id":"w2"');

    // Ended: a takes worlds again at once.
    await sa.setDraining(false);
    expect(sa.instances().find((i) => i.id === 'a')?.capacity).toBe(100);
    const after = await intercept(createReq('w3'), next);
    expect(after.headers?.['X-Worldtick-Owner']).toBe('a');
    expect(local).toBe(2);
  });
});
