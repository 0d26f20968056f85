/**
 * The cluster service checks one world id against the shared store by a lookup of that one record
 * (`storedRecord`: the store's `hasWorldConfig`, src/server/cluster-stored.ts), not by listing every
 * record: an admin create's check no longer reads all world records, and a record this build cannot
 * parse (not JSON) no longer makes every create's check fail — it only counts as stored. Real stores
 * (SQLite, and PostgreSQL on the run's shared server).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalCoordinator, LocalHub } from '../../../src/cluster/local-coordinator.js';
import { ClusterService } from '../../../src/server/cluster-service.js';
import type { Store } from '../../../src/store/types.js';
import { sqliteAndPostgres, type StoreHandle } from '../../helpers/store-factories.js';
import { clusterServiceOptions } from '../../helpers/cluster-service-options.js';

const factories = await sqliteAndPostgres('cluster-stored');

for (const { factory, name } of factories) {
  describe.skipIf(!factory)(`cluster: is a world id stored (${name})`, () => {
    let handle: StoreHandle;
    let store: Store;
    beforeEach(async () => {
      handle = await (factory as NonNullable<typeof factory>).create();
      store = await handle.open();
    });
    afterEach(async () => {
      await store.close();
      await handle.dispose();
    });

    const service = (o: { lookup: boolean }): ClusterService =>
      new ClusterService(
        clusterServiceOptions({
          coordinator: new LocalCoordinator({ hub: new LocalHub() }),
          instanceId: 'a',
          storedRecords: () => store.listWorldConfigs(),
          ...(o.lookup ? { storedRecord: (id: string) => store.hasWorldConfig(id) } : {}),
        }),
      );

    it('looks the one record up; a record that cannot be parsed counts as stored and does not stop the check', async () => {
      await store.putWorldConfig('arena', { incarnation: 'i1' });
      await handle.raw(`INSERT INTO world_configs (world_id, config, updated_at) VALUES ('garbled', 'not json', 1)`);
      const svc = service({ lookup: true });
      expect(await svc.isStored('arena')).toBe(true);
      expect(await svc.isStored('garbled')).toBe(true);
      expect(await svc.isStored('new-world')).toBe(false);
      // Listing every record (without the lookup) reads the garbled one too, as unreadable (src/store/rows.ts
      // `checkedJson`): before, its SyntaxError failed every check.
      const listing = service({ lookup: false });
      expect(await listing.isStored('garbled')).toBe(true);
      expect(await listing.isStored('new-world')).toBe(false);
    });
  });
}
