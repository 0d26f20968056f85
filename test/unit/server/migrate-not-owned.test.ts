/**
 * `POST /api/v1/worlds/{id}/migrate` sent to an instance that does not own the world and knows no
 * other owner to forward it to (found by hand: a world created on instance b, migrate sent to a
 * within a control tick). The 409 says why and what to do; before, it said only "is not owned here".
 * The real world mover over the in-process coordinator and a real SQLite store.
 */
import { describe, expect, it } from 'vitest';
import { LocalCoordinator, LocalHub } from '../../../src/cluster/local-coordinator.js';
import { createLogger } from '../../../src/log.js';
import { LoopRunner } from '../../../src/loop/loop-runner.js';
import { Checkpointer } from '../../../src/persist/checkpointer.js';
import { loadPersistedWorld } from '../../../src/persist/restore.js';
import { WorldMover } from '../../../src/server/cluster-migration.js';
import { ClusterService } from '../../../src/server/cluster-service.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { clusterServiceOptions } from '../../helpers/cluster-service-options.js';

const logger = createLogger('silent');

describe('a migration asked of an instance that does not own the world', () => {
  it('is refused with 409 saying no owner is known yet, to retry or send it to the owner', async () => {
    const data = tempDataDir('wt-migrate-not-owned-');
    const store = new SqliteStore({ dataDir: data.dir });
    const a = new ClusterService(
      clusterServiceOptions({
        coordinator: new LocalCoordinator({ hub: new LocalHub(() => 0) }),
        instanceId: 'a',
        leaseTtlMs: 3000,
        logger,
        worlds: () => [],
        adminUrl: () => 'http://a:2',
        store,
        storedWorlds: async () => [],
      }),
    );
    const mover = new WorldMover({
      logger,
      cluster: a,
      checkpointer: new Checkpointer({ store: () => store, logger, intervalSeconds: 0 }),
      gameServer: () => {
        throw new Error('no game server here');
      },
      adminToken: 't',
      secret: 's',
      getWorld: () => undefined,
      load: (id) => loadPersistedWorld(store, logger, id),
      runner: new LoopRunner(),
      defaultWorldId: 'default',
      replaceDefault: () => undefined,
      attach: () => undefined,
      withLedger: () => undefined,
    });
    try {
      await a.kick();
      const err = await mover.migrate('arena').catch((e: unknown) => e);
      expect(err).toMatchObject({ status: 409, code: 'WT_ERR_MIGRATION_FAILED' });
      expect((err as Error).message).toBe(
        'world arena is not owned here and this instance knows no owner of it yet (a world created or moved in the last 1 s is seen at the next control tick): retry, or send it to the instance that owns it',
      );
    } finally {
      await a.stop();
      store.close();
      data.remove();
    }
  });
});
