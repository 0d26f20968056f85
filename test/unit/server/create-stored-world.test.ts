/**
 * A world id is cluster-wide, and a stored world hosted by nobody right now (its owner died and its
 * lease lapsed; or every instance restarted with `--standby-copies` below -1, so no instance has
 * a copy of it yet) is still a world: a create of that id must not build a fresh world over it (its
 * lease is free, so the create would take it and write a new record over the stored one, losing
 * the world's state). It is refused with 409 `WT_ERR_WORLD_EXISTS` until an instance took it over
 * from the store — unless its record is of a create never confirmed (answered 503, its instance died before
 * removing it: docs/CLUSTER.md "A create answered 503 whose instance dies"): 503 `WT_ERR_WORLD_NOT_DURABLE`,
 * retry; the same while another instance holds its lease with the record pending. One cluster service on the
 * in-process coordinator, the admin intercept called as the admin server calls it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LocalCoordinator, LocalHub } from '../../../src/cluster/local-coordinator.js';
import { createLogger } from '../../../src/log.js';
import { ClusterService } from '../../../src/server/cluster-service.js';
import { createAdminIntercept } from '../../../src/server/cluster-routes.js';
import { clusterServiceOptions } from '../../helpers/cluster-service-options.js';
import { interceptedRequest } from '../../helpers/intercepted-request.js';

const services: ClusterService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.stop();
});

const service = (stored: () => Promise<string[]>, hub = new LocalHub()): ClusterService => {
  const s = new ClusterService(
    clusterServiceOptions({
      coordinator: new LocalCoordinator({ hub }),
      instanceId: 'a',
      leaseTtlMs: 60_000, // no control tick of its own during the test (no orphan taken over)
      storedWorlds: stored,
    }),
  );
  services.push(s);
  return s;
};

const createReq = (id: string) => interceptedRequest('POST', '/api/v1/worlds', { query: 'placement=local', body: { id } });

describe('cluster: creating a world whose id is stored', () => {
  it('is refused (409 WT_ERR_WORLD_EXISTS) while the stored world is hosted by nobody; another id is created', async () => {
    const sa = service(async () => ['sw']);
    const created: string[] = [];
    const intercept = createAdminIntercept(sa, createLogger('silent'), () => false);
    const next = (id: string) => async () => {
      created.push(id);
      return { status: 201, json: { id } };
    };
    const r = await intercept(createReq('sw'), next('sw'));
    expect(r.status).toBe(409);
    expect(r.json).toMatchObject({ code: 'WT_ERR_WORLD_EXISTS', details: { worldId: 'sw', owner: null } });
    expect(created).toEqual([]);
    expect((await intercept(createReq('new'), next('new'))).status).toBe(201);
    expect(created).toEqual(['new']);
  });

  it('stored only by a create never confirmed (its instance died before removing the record): 503, retry; not 409', async () => {
    const sa = service(async () => ['pend', 'sw']);
    const created: string[] = [];
    const intercept = createAdminIntercept(sa, createLogger('silent'), () => false, { unconfirmed: async (id) => id === 'pend' });
    const next = async () => {
      created.push('x');
      return { status: 201, json: {} };
    };
    const r = await intercept(createReq('pend'), next);
    expect(r.status).toBe(503);
    expect(r.headers?.['Retry-After']).toBe('1');
    expect(r.json).toMatchObject({
      code: 'WT_ERR_WORLD_NOT_DURABLE',
      details: { worldId: 'pend', reason: 'unconfirmed-create', owner: null },
    });
    expect((await intercept(createReq('sw'), next)).status).toBe(409); // a confirmed record: a world
    expect(created).toEqual([]);
  });

  it('leased by another instance: 409, or 503 while its record is of a create not confirmed there', async () => {
    const hub = new LocalHub();
    const sa = service(async () => ['pend', 'sw', 'down'], hub);
    const b = new LocalCoordinator({ hub });
    for (const id of ['pend', 'sw', 'down']) expect((await b.acquire(id, 'b', 60_000, 0)).ok).toBe(true);
    await sa.kick(); // a's view: both leased by b
    let pendingRead = 0;
    const unconfirmed = async (id: string) => {
      pendingRead++;
      if (id === 'down') throw new Error('store down');
      return id === 'pend';
    };
    const intercept = createAdminIntercept(sa, createLogger('silent'), () => false, { unconfirmed });
    const next = async () => ({ status: 201, json: {} });
    const r = await intercept(createReq('pend'), next);
    expect(r.status).toBe(503);
    expect(r.json).toMatchObject({
      code: 'WT_ERR_WORLD_NOT_DURABLE',
      details: { worldId: 'pend', reason: 'unconfirmed-create', owner: 'b' },
    });
    expect((await intercept(createReq('sw'), next)).json).toMatchObject({ code: 'WT_ERR_WORLD_EXISTS', details: { owner: 'b' } });
    // The store cannot be read: 409 as before (the world is leased elsewhere).
    expect((await intercept(createReq('down'), next)).json).toMatchObject({ code: 'WT_ERR_WORLD_EXISTS', details: { owner: 'b' } });
    expect(pendingRead).toBe(3);
  });

  it('leased by this instance, which does not host it (removing the record of a create never confirmed, restoring a stored world): 503 or 409, nothing created', async () => {
    // Seen on a loaded machine (test/integration/cluster/create-orphan-after-kill.test.ts): the instance held
    // the lease to remove the late record of a failed create; a create sent to it then was made (201).
    const hub = new LocalHub();
    const sa = service(async () => ['pend', 'sw'], hub);
    const self = new LocalCoordinator({ hub });
    for (const id of ['pend', 'sw', 'fresh']) expect((await self.acquire(id, 'a', 60_000, 0)).ok).toBe(true);
    await sa.kick(); // a's view: all three leased by a itself
    expect(sa.ownerOf('pend')?.instanceId).toBe('a');
    const created: string[] = [];
    const intercept = createAdminIntercept(sa, createLogger('silent'), () => false, { unconfirmed: async (id) => id === 'pend' });
    const next = (id: string) => async () => {
      created.push(id);
      return { status: 201, json: { id } };
    };
    const r = await intercept(createReq('pend'), next('pend'));
    expect(r.status).toBe(503);
    expect(r.json).toMatchObject({
      code: 'WT_ERR_WORLD_NOT_DURABLE',
      details: { worldId: 'pend', reason: 'unconfirmed-create', owner: 'a' },
    });
    expect((await intercept(createReq('sw'), next('sw'))).json).toMatchObject({ code: 'WT_ERR_WORLD_EXISTS', details: { owner: 'a' } });
    // Leased here and not stored (this instance's own create of it under way): the local create decides.
    expect((await intercept(createReq('fresh'), next('fresh'))).status).toBe(201);
    expect(created).toEqual(['fresh']);
  });

  it('a store that cannot list its worlds: 503 with Retry-After, nothing created', async () => {
    const sa = service(() => Promise.reject(new Error('store down')));
    let created = 0;
    const r = await createAdminIntercept(
      sa,
      createLogger('silent'),
      () => false,
    )(createReq('x'), async () => {
      created++;
      return { status: 201, json: {} };
    });
    expect(r.status).toBe(503);
    expect(r.json).toMatchObject({ code: 'WT_ERR_CLUSTER_UNAVAILABLE' });
    expect(created).toBe(0);
  });
});
