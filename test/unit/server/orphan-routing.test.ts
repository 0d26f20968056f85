/**
 * A stored world hosted by nobody right now — its owner died, its lease expired, and the instance placement
 * picks has not taken it over yet — is a world all the same. Until then a hello for it at any other instance
 * was served as if the world were unknown there: answered `UNKNOWN_WORLD` and closed 4004, after which a client
 * stops for good; an admin call of it was answered 404 (a DELETE too, though the world comes back at the
 * failover). This lasts from an instance's control tick that finds the orphan until one that sees its taker:
 * up to two ticks (TTL/3 each) for worlds with no copy on that instance, as every world created after the
 * instance started (docs/CLUSTER.md "Standby copies"). Now the hello is refused `NOT_OWNER` with close 4015
 * (retry) and the admin call answers 503, and once a listing names the taker the hello is redirected there.
 * Two cluster services on the in-process coordinator: `b`, placement's pick (same load, the smaller id), and
 * `c`, which sees the orphan first but leaves it to `b` for a tick. A record of an admin create never confirmed
 * (`pending`: answered 503, its instance gone) is no world: it stays unknown (removed by the instance granted its lease).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LocalCoordinator, LocalHub } from '../../../src/cluster/local-coordinator.js';
import { createLogger } from '../../../src/log.js';
import { worldRecordOf } from '../../../src/persist/world-record.js';
import type { HelloMsg } from '../../../src/net/protocol.js';
import { ClusterService } from '../../../src/server/cluster-service.js';
import { createHelloRouter } from '../../../src/server/cluster-hello-route.js';
import { createAdminIntercept } from '../../../src/server/cluster-routes.js';
import { createSimWorld } from '../../../src/world/sim-world.js';
import { clusterServiceOptions } from '../../helpers/cluster-service-options.js';
import { interceptedRequest } from '../../helpers/intercepted-request.js';

const services: ClusterService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.stop();
});

/** The stored record of an admin world `id` (pending: its create never confirmed), as the store lists it. */
const record = (id: string, pending: boolean) => ({
  worldId: id,
  updatedAt: Date.now(),
  config: worldRecordOf(createSimWorld({ id, capacity: 10, seed: 1 }), { origin: 'admin', incarnation: `i-${id}`, npcs: 0, pending }),
});

const service = (hub: LocalHub, id: string, stored: string[], pendingIds: string[] = []): ClusterService => {
  const s = new ClusterService(
    clusterServiceOptions({
      coordinator: new LocalCoordinator({ hub }),
      instanceId: id,
      leaseTtlMs: 60_000, // no control tick of its own during the test: the test kicks them
      storedRecords: async () => [...stored.map((w) => record(w, false)), ...pendingIds.map((w) => record(w, true))],
      adopt: async () => true,
    }),
  );
  services.push(s);
  return s;
};

const hello = (worldId: string): HelloMsg => ({ type: 1, version: 1, worldId, name: 'p', token: 't', resumeToken: null, ticket: null });

const worldReq = (method: string, id: string) =>
  interceptedRequest(method, `/api/v1/worlds/${id}`, { pattern: '/api/v1/worlds/:id', params: { id } });

describe('cluster: a stored world whose owner died, before an instance took it over', () => {
  it('is "retry" at the other instances (hello NOT_OWNER + 4015, admin 503), not unknown; then redirected to its taker', async () => {
    const hub = new LocalHub();
    const storedAtB: string[] = [];
    const b = service(hub, 'b', storedAtB);
    const c = service(hub, 'c', ['w'], ['unconfirmed']);
    await b.kick();
    await c.kick();
    // c found w stored with no lease and no copy here; placement picks b, so c leaves it for a tick.
    expect(c.orphaned('w')).toBe(true);
    expect(c.coordinator.heldLease('w')).toBeNull();
    const route = createHelloRouter(c, { tickets: { secret: 'a-secret-of-enough-bytes' }, hasWorld: () => false });
    expect(route(hello('w'))).toEqual({
      kind: 'refuse',
      code: 'NOT_OWNER',
      message: 'no instance can prove it owns this world right now; retry',
      closeCode: 4015,
    });
    expect(route(hello('nowhere'))).toEqual({ kind: 'serve' }); // unknown everywhere: the game server answers UNKNOWN_WORLD
    expect(c.orphaned('unconfirmed')).toBe(false);
    expect(route(hello('unconfirmed'))).toEqual({ kind: 'serve' }); // a create answered 503: no world
    const reached: string[] = [];
    const intercept = createAdminIntercept(c, createLogger('silent'), () => false);
    const next = (what: string) => async () => {
      reached.push(what);
      return { status: 404, json: { code: 'WT_ERR_WORLD_NOT_FOUND' } };
    };
    for (const method of ['GET', 'DELETE']) {
      const r = await intercept(worldReq(method, 'w'), next(`${method} w`));
      expect([r.status, r.json]).toEqual([
        503,
        {
          code: 'WT_ERR_CLUSTER_UNAVAILABLE',
          message: 'world w has no live owner right now (it is being taken over from the store); retry',
        },
      ]);
      expect(r.headers?.['Retry-After']).toBe('1');
    }
    expect((await intercept(worldReq('GET', 'nowhere'), next('GET nowhere'))).status).toBe(404);
    expect((await intercept(worldReq('GET', 'unconfirmed'), next('GET unconfirmed'))).status).toBe(404);
    expect(reached).toEqual(['GET nowhere', 'GET unconfirmed']);
    // b takes it over; c's next listing names b: the hello is redirected there.
    storedAtB.push('w');
    await b.kick();
    expect(b.coordinator.heldLease('w')).not.toBeNull();
    await c.kick();
    expect(c.orphaned('w')).toBe(false);
    expect(route(hello('w'))).toMatchObject({ kind: 'redirect', url: 'ws://b:1' });
  });
});
