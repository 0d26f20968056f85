/**
 * A fencing-token announce that fails because the store is unavailable is not a refusal by the store
 * (docs/CLUSTER.md "Fencing of durable writes"; `worldtick_cluster_fence_refusals_total` counts the
 * tokens the store refused because it had seen a higher one). Real PostgreSQL store with a pool of
 * one connection, busy on another world's fence row a test session holds: the announce of a created
 * world's token waits for a pooled connection past the store's pool wait (`pool-busy`). Seen at load with 12
 * concurrent creates on one instance: the create was answered `503 … the store refused fencing token 1`
 * and the refusal counted, as if the coordinator had lost its token counter. Now: the reason says the
 * store could not record it, nothing is counted as refused, and the same claim succeeds once a
 * connection is free.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalCoordinator, LocalHub } from '../../../src/cluster/local-coordinator.js';
import { isWorldtickError } from '../../../src/errors.js';
import { ClusterService } from '../../../src/server/cluster-service.js';
import { PostgresStore } from '../../../src/store/postgres-store.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { freshDatabase } from '../../helpers/shared-postgres.js';
import { clusterServiceOptions } from '../../helpers/cluster-service-options.js';

const db = await freshDatabase();

describe.skipIf('skip' in db)('cluster: a fencing-token announce with the store unavailable', () => {
  const server = db as PgServer;
  afterAll(() => server.destroy(), 30_000);

  it('is no refusal: the claim fails saying the store could not record the token, and succeeds once a connection is free', async () => {
    const store = await PostgresStore.open({ url: server.url, maxConnections: 1, poolWaitMs: 200 });
    const svc = new ClusterService(
      clusterServiceOptions({
        coordinator: new LocalCoordinator({ hub: new LocalHub() }),
        instanceId: 'a',
        store,
      }),
    );
    const holder = new pg.Client({ connectionString: server.url });
    await holder.connect();
    try {
      // The pool's only connection waits for world x's fence row, which the test session holds.
      await holder.query('BEGIN');
      await holder.query('INSERT INTO fences (world_id, token) VALUES ($1, 5)', ['x']);
      const busy = store.fence({ worldId: 'x', token: 6 }, { lockWaitMs: 30_000 });
      busy.catch(() => undefined);
      const err = await svc.claim('y').then(
        () => null,
        (e: unknown) => e,
      );
      expect(isWorldtickError(err, 'WT_ERR_WORLD_NOT_DURABLE'), String(err)).toBe(true);
      const message = (err as Error).message;
      expect(message).toContain('the store could not record fencing token 1');
      expect(message).toContain('store unavailable (pool-busy): no pooled connection came free within 200 ms');
      expect(message).not.toContain('refused');
      expect(svc.counters.fenceRefusals).toBe(0);
      // A connection free again: the same claim goes through (the lease was given back by the failed one).
      await holder.query('ROLLBACK');
      await busy;
      expect(await svc.claim('y')).toBeGreaterThan(0);
      expect(await store.currentFence('y')).toBeGreaterThan(0);
      expect(svc.counters.fenceRefusals).toBe(0);
    } finally {
      await holder.end();
      await store.close();
    }
  }, 20_000);
});
