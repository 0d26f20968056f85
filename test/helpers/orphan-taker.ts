/**
 * Instance `c` for the unit tests of a takeover from the store (takeover-nothing-stored, takeover-store-outage):
 * the real cluster service over an in-process hub whose clock stands still, with the real world mover and
 * restore over a real SQLite store, and no game server (no sessions); `kick()` takes an orphan over. And the
 * world `w` its dead owner left there: a record and a checkpoint.
 */
import { LocalCoordinator, LocalHub } from '../../src/cluster/local-coordinator.js';
import { createLogger, type Logger } from '../../src/log.js';
import { LoopRunner } from '../../src/loop/loop-runner.js';
import type { GameServer } from '../../src/net/game-server.js';
import { Checkpointer } from '../../src/persist/checkpointer.js';
import { loadPersistedWorld } from '../../src/persist/restore.js';
import { WorldMover } from '../../src/server/cluster-migration.js';
import { ClusterService } from '../../src/server/cluster-service.js';
import type { ClusterFenceStore } from '../../src/server/cluster-types.js';
import type { SqliteStore } from '../../src/store/sqlite-store.js';
import { populateNpcs } from '../../src/world/populate.js';
import { createSimWorld, type SimWorld } from '../../src/world/sim-world.js';
import { clusterServiceOptions } from './cluster-service-options.js';

type MoverOptions = ConstructorParameters<typeof WorldMover>[0];

/** The few game-server calls an adoption makes (no sessions here). */
const noSessions = { worldAdopted: () => undefined, releaseWorld: () => undefined, closeWorldSessions: () => 0 };

const silent = createLogger('silent');

/** Store world `w` (`capacity`, `npcs` NPCs, seed 3) as its dead owner left it: a record and a checkpoint. */
export const storeOrphan = async (store: SqliteStore, capacity: number, npcs: number): Promise<void> => {
  const w = createSimWorld({ id: 'w', capacity, seed: 3 });
  if (npcs > 0) populateNpcs(w, { count: npcs });
  const ck = new Checkpointer({ store: () => store, logger: silent, intervalSeconds: 0 });
  ck.track(w, { origin: 'admin', npcs });
  await ck.persist('w');
};

/**
 * Instance `c` over `store`: `fence` the store's fencing (default the store itself), `load` the mover's
 * (default the restore's), `attach` called for each world it installs.
 */
export const orphanTaker = (o: {
  store: SqliteStore;
  logger: Logger;
  fence?: ClusterFenceStore;
  load?: MoverOptions['load'];
  attach?: (w: SimWorld) => void;
}): { c: ClusterService; runner: LoopRunner } => {
  const { store, logger } = o;
  const runner = new LoopRunner();
  let mover: WorldMover | undefined;
  const c = new ClusterService(
    clusterServiceOptions({
      coordinator: new LocalCoordinator({ hub: new LocalHub(() => 0) }),
      instanceId: 'c',
      leaseTtlMs: 1000,
      logger,
      worlds: () => runner.worlds(),
      store: o.fence ?? store,
      storedWorlds: async () => (await store.listWorldConfigs()).map((r) => r.worldId),
      adopt: (w, token, why) => (mover as WorldMover).adopt(w, token, why),
    }),
  );
  mover = new WorldMover({
    logger,
    cluster: c,
    checkpointer: new Checkpointer({ store: () => store, logger: silent, intervalSeconds: 0 }),
    gameServer: () => noSessions as Pick<GameServer, keyof typeof noSessions> as GameServer,
    adminToken: 't',
    secret: 's',
    getWorld: (id) => (runner.has(id) ? runner.get(id) : undefined),
    load: o.load ?? ((id) => loadPersistedWorld(store, logger, id)),
    store: () => store,
    runner,
    defaultWorldId: 'default',
    replaceDefault: () => undefined,
    attach: o.attach ?? (() => undefined),
    withLedger: () => undefined,
  });
  return { c, runner };
};
