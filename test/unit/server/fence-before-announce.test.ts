/**
 * A lease granted for a copy here gives no write fence until its token is announced to the store
 * (ClusterService.fence, src/server/cluster-service.ts): between the grant and the announce the lease
 * step checks the copy's record (a world deleted elsewhere) or takes the world over from the store, and a
 * write of the copy's record under the new token would land over the stored one — a deleted world's record
 * written back (seen in CI: test/integration/cluster/deleted-copy.test.ts, the copy dropped, then taken over
 * as an orphan from the record written meanwhile), or a standby copy's stale clock over the owner's. A real
 * SQLite store whose `fence` waits for the test; a cluster service over an in-process hub.
 */
import { describe, expect, it } from 'vitest';
import { LocalCoordinator, LocalHub } from '../../../src/cluster/local-coordinator.js';
import { ClusterService } from '../../../src/server/cluster-service.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { createSimWorld } from '../../../src/world/sim-world.js';
import { clusterServiceOptions } from '../../helpers/cluster-service-options.js';
import { tempDataDir } from '../../helpers/data-dir.js';

describe('the write fence of a lease just granted', () => {
  it('is none until the token is announced to the store, then the token', async () => {
    const data = tempDataDir('wt-fence-announce-');
    const store = new SqliteStore({ dataDir: data.dir });
    let open: () => void = () => {};
    const gate = new Promise<void>((r) => {
      open = r;
    });
    let announcing = false;
    try {
      const hub = new LocalHub(() => 0);
      const world = createSimWorld({ id: 'w', capacity: 10, seed: 1 });
      const c = new ClusterService(
        clusterServiceOptions({
          coordinator: new LocalCoordinator({ hub }),
          instanceId: 'c',
          leaseTtlMs: 1000,
          worlds: () => [world],
          store: {
            fence: async (f) => {
              announcing = true;
              await gate;
              return store.fence(f);
            },
          },
        }),
      );
      const tick = c.kick();
      for (let i = 0; i < 200 && !announcing; i++) await new Promise((r) => setTimeout(r, 5));
      expect(announcing).toBe(true);
      expect(hub.lease('w')).toMatchObject({ instanceId: 'c', fencingToken: 1 });
      expect(c.fence('w')).toBeNull(); // granted, not announced: nothing may be written under it
      expect(c.canStep(world)).toBe(false);
      open();
      await tick;
      expect(c.fence('w')).toEqual({ worldId: 'w', token: 1 });
      expect(c.canStep(world)).toBe(true);
    } finally {
      open();
      await store.close();
      data.remove();
    }
  });
});
