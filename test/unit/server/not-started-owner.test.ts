/**
 * `GET /api/v1/worlds`'s `notStarted` entries name the world's owner elsewhere (docs/ADMIN.md "Worlds not
 * started"), never this instance: it runs none of them. An instance that declines a world taken over from the
 * store (a newer build wrote its checkpoint) lists it at once and still holds its lease until the release is
 * answered; a listing in that window named the instance itself as the owner (seen in
 * test/integration/cluster/declined-expiry.test.ts at load 25-31, reproduced there by a 1 s delay put into the
 * release). One cluster service on the in-process coordinator, another instance holding a world on the same hub,
 * the admin intercept called as the admin server calls it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LocalCoordinator, LocalHub } from '../../../src/cluster/local-coordinator.js';
import { ErrorCode, WorldtickError } from '../../../src/errors.js';
import { createLogger } from '../../../src/log.js';
import { ClusterService } from '../../../src/server/cluster-service.js';
import { createAdminIntercept } from '../../../src/server/cluster-routes.js';
import { clusterServiceOptions } from '../../helpers/cluster-service-options.js';
import { interceptedRequest } from '../../helpers/intercepted-request.js';

const services: ClusterService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.stop();
});

const tooNew = new WorldtickError(ErrorCode.CHECKPOINT_TOO_NEW, 'newer', { details: { what: 'schema', found: 99, known: 1, step: 10 } });

const listReq = interceptedRequest('GET', '/api/v1/worlds');

describe('cluster: the owner of a world not started here', () => {
  it('is the instance elsewhere that holds its lease, and null while this instance still holds it', async () => {
    const hub = new LocalHub();
    const b = new LocalCoordinator({ hub });
    expect((await b.acquire('yw', 'b', 60_000)).ok).toBe(true);
    const sa = new ClusterService(
      // No control tick of its own after the start's (the view lists b's lease from it).
      clusterServiceOptions({ coordinator: new LocalCoordinator({ hub }), instanceId: 'a', leaseTtlMs: 60_000 }),
    );
    services.push(sa);
    await sa.start();
    // a took xw (a takeover) and declined it; its release is not answered yet.
    expect((await sa.coordinator.acquire('xw', 'a', 60_000)).ok).toBe(true);
    sa.notStarted.add('xw', tooNew, 'failover');
    sa.notStarted.add('yw', tooNew, 'failover');
    const intercept = createAdminIntercept(sa, createLogger('silent'), () => false);
    const r = await intercept(listReq, async () => ({ status: 200, json: { worlds: [] } }));
    expect(r.status).toBe(200);
    const owners = (r.json as { notStarted: Array<{ worldId: string; owner: string | null }> }).notStarted.map((w) => [w.worldId, w.owner]);
    expect(owners).toEqual([
      ['xw', null],
      ['yw', 'b'],
    ]);
  });
});
