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

const service = (
  hub: LocalHub,
  id: string,
  stored: string[],
  pendingIds: string[] = [],
  o: { gate?: () => Promise<void>; adopt?: (worldId: string) => Promise<boolean> } = {},
): ClusterService => {
  const s = new ClusterService(
    clusterServiceOptions({
      coordinator: new LocalCoordinator({ hub }),
      instanceId: id,
      leaseTtlMs: 60_000, // no control tick of its own during the test: the test kicks them
      storedRecords: async () => {
        await o.gate?.();
        return [...stored.map((w) => record(w, false)), ...pendingIds.map((w) => record(w, true))];
      },
      adopt: o.adopt ?? (async () => true),
    }),
  );
  services.push(s);
  return s;
};

const hello = (worldId: string): HelloMsg => ({ type: 1, version: 1, worldId, name: 'p', token: 't', resumeToken: null, ticket: null });

/** A promise and its resolve. */
const deferred = (): { promise: Promise<void>; resolve: () => void } => {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};

const until = async (what: string, ok: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 2));
  if (!ok()) throw new Error(`not reached: ${what}`);
};

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
  it('is "retry" from the moment the view loses its lease, before the scan of that control tick lists it', async () => {
    // The control tick refreshes the view beside the lease steps and scans after the slowest of them; a scan the store
    // does not answer in time keeps the listing before it. A hello between the two at an instance without a copy was
    // answered UNKNOWN_WORLD (double run 66, failover.test: the admin world's player told so once, load ~17).
    const hub = new LocalHub();
    const a = new LocalCoordinator({ hub });
    expect((await a.acquire('w', 'a', 60_000)).ok).toBe(true);
    let stall: { promise: Promise<void>; resolve: () => void } | null = null;
    const c = service(hub, 'c', ['w'], [], { gate: () => stall?.promise ?? Promise.resolve() });
    await c.kick(); // listed while a holds it: no orphan
    expect(c.ownerOf('w')?.instanceId).toBe('a');
    await a.release('w', 'a'); // a is gone
    stall = deferred();
    const tick = c.kick();
    await until("c's view without w's lease", () => c.ownerOf('w') === null);
    const route = createHelloRouter(c, { tickets: { secret: 'a-secret-of-enough-bytes' }, hasWorld: () => false });
    expect(route(hello('w'))).toMatchObject({ kind: 'refuse', code: 'NOT_OWNER', closeCode: 4015 });
    expect(c.orphaned('w')).toBe(true);
    stall.resolve();
    await tick;
    await a.close();
  });

  it('a takeover of a create never confirmed (which only removes its record) is not "being taken over": 404', async () => {
    const adopts = new Map<string, { promise: Promise<void>; resolve: () => void }>();
    const adopt = async (worldId: string): Promise<boolean> => {
      const d = deferred();
      adopts.set(worldId, d);
      await d.promise;
      return false;
    };
    // Each the only instance of its cluster, so placement's pick: a world, and the record of a create answered 503.
    const c = service(new LocalHub(), 'c', ['w'], [], { adopt });
    const d = service(new LocalHub(), 'd', [], ['unconfirmed'], { adopt });
    const ticks: Array<Promise<void>> = [];
    // Taken at the first tick whose view lists the instance itself (placement's pick), else at the next.
    const adoptionOf = async (s: ClusterService, worldId: string): Promise<void> => {
      for (let i = 0; i < 3 && !adopts.has(worldId); i++) {
        const tick = s.kick();
        ticks.push(tick);
        await Promise.race([tick, until(`${worldId} adopted`, () => adopts.has(worldId)).catch(() => undefined)]);
      }
      if (!adopts.has(worldId)) throw new Error(`${worldId} not taken over`);
    };
    await Promise.all([adoptionOf(c, 'w'), adoptionOf(d, 'unconfirmed')]);
    expect(c.adopting('w')).toBe(true);
    expect(d.adopting('unconfirmed')).toBe(false);
    const next = async () => ({ status: 404, json: { code: 'WT_ERR_WORLD_NOT_FOUND' } });
    expect((await createAdminIntercept(c, createLogger('silent'), () => false)(worldReq('GET', 'w'), next)).status).toBe(503);
    // Before: 503 "being taken over by this instance; retry" (double run 66, create-orphan-after-kill: `expected 503 to be 404`).
    expect((await createAdminIntercept(d, createLogger('silent'), () => false)(worldReq('GET', 'unconfirmed'), next)).status).toBe(404);
    const route = createHelloRouter(d, { tickets: { secret: 'a-secret-of-enough-bytes' }, hasWorld: () => false });
    expect(route(hello('unconfirmed'))).toEqual({ kind: 'serve' }); // the game server answers UNKNOWN_WORLD
    for (const x of adopts.values()) x.resolve();
    await Promise.all(ticks);
  });
});
