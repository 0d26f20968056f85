/**
 * A world id is cluster-wide, and a stored world hosted by nobody right now (its owner died and its
 * lease lapsed; or every instance restarted with `--standby-copies` below -1, so no instance has
 * a copy of it yet) is still a world: a create of that id must not build a fresh world over it (its
 * lease is free, so the create would take it and write a new record over the stored one, losing
 * the world's state). It is refused with 409 `WT_ERR_WORLD_EXISTS` until an instance took it over
 * from the store. One cluster service on the in-process coordinator, the admin intercept called
 * as the admin server calls it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LocalCoordinator, LocalHub } from '../../../src/cluster/local-coordinator.js';
import { createLogger } from '../../../src/log.js';
import { ClusterService } from '../../../src/server/cluster-service.js';
import { createAdminIntercept } from '../../../src/server/cluster-routes.js';
import { clusterServiceOptions } from '../../helpers/cluster-service-options.js';

const services: ClusterService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.stop();
});

const service = (stored: () => Promise<string[]>): ClusterService => {
  const s = new ClusterService(
    clusterServiceOptions({
      coordinator: new LocalCoordinator({ hub: new LocalHub() }),
      instanceId: 'a',
      leaseTtlMs: 60_000, // no control tick of its own during the test (no orphan taken over)
      storedWorlds: stored,
    }),
  );
  services.push(s);
  return s;
};

const createReq = (id: string) => ({
  method: 'POST',
  path: '/api/v1/worlds',
  query: new URLSearchParams('placement=local'),
  params: {},
  body: { id },
  authorization: 'Bearer t',
  forwardedBy: '',
  pattern: '/api/v1/worlds',
});

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
