/**
 * A takeover that finds nothing stored to take over (src/server/cluster-takeover.ts, cluster-migration.ts;
 * docs/CLUSTER.md "A failed create taken over while it is undone", docs/ADMIN.md "Logs"): an instance granted
 * an orphan's lease announces its token, but the world's record was deleted first (the undo of a failed
 * create, or a delete, landed before the announce — PostgreSQL makes the announce wait behind it for the
 * world's fence row). Nothing is wrong: the lease is given back with an info line saying the world was
 * deleted, not the error of a failed takeover — which a real failure (a record this build cannot read)
 * still logs. The real cluster service, world mover and restore over the in-process coordinator and a
 * real SQLite store; the delete is run by the fence call, as the fence row's wait orders it.
 */
import { describe, expect, it } from 'vitest';
import { LocalCoordinator, LocalHub } from '../../../src/cluster/local-coordinator.js';
import { createLogger } from '../../../src/log.js';
import { LoopRunner } from '../../../src/loop/loop-runner.js';
import type { GameServer } from '../../../src/net/game-server.js';
import { Checkpointer } from '../../../src/persist/checkpointer.js';
import { loadPersistedWorld } from '../../../src/persist/restore.js';
import { WorldMover } from '../../../src/server/cluster-migration.js';
import { ClusterService } from '../../../src/server/cluster-service.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { createSimWorld } from '../../../src/world/sim-world.js';
import { clusterServiceOptions } from '../../helpers/cluster-service-options.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { jsonLogSink } from '../../helpers/log-lines.js';

/** The few game-server calls an adoption makes (no sessions here). */
const noSessions = { worldAdopted: () => undefined, releaseWorld: () => undefined, closeWorldSessions: () => 0 };

/**
 * Instance `c` over a store holding world `w`'s record (the one its dead owner left); `beforeFence` runs
 * when c announces its token (before the store takes it). Ticks until c tried to take `w` over.
 */
const takeOver = async (beforeFence: (store: SqliteStore) => Promise<unknown>) => {
  const data = tempDataDir('wt-takeover-gone-');
  const store = new SqliteStore({ dataDir: data.dir });
  const silent = createLogger('silent');
  const wa = createSimWorld({ id: 'w', capacity: 50, seed: 3 });
  const ck = new Checkpointer({ store: () => store, logger: silent, intervalSeconds: 0 });
  ck.track(wa, { origin: 'admin', npcs: 0 });
  await ck.persist('w');
  const { lines, logger } = jsonLogSink('info');
  const runner = new LoopRunner();
  let mover: WorldMover | undefined;
  const c = new ClusterService(
    clusterServiceOptions({
      coordinator: new LocalCoordinator({ hub: new LocalHub(() => 0) }),
      instanceId: 'c',
      leaseTtlMs: 1000,
      logger,
      worlds: () => runner.worlds(),
      store: {
        fence: async (f) => {
          await beforeFence(store);
          return store.fence(f);
        },
      },
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
    load: (id) => loadPersistedWorld(store, logger, id),
    store: () => store,
    runner,
    defaultWorldId: 'default',
    replaceDefault: () => undefined,
    attach: () => undefined,
    withLedger: () => undefined,
  });
  const released = (l: Record<string, unknown>) => l.world === 'w' && String(l.msg).endsWith('lease released');
  // The orphan is taken at the first tick that sees it (c is placement's pick) or the one after.
  for (let i = 0; i < 4 && !lines.some(released); i++) await c.kick();
  const owner = await c.coordinator.getOwner('w');
  await c.stop();
  store.close();
  data.remove();
  return { lines: lines.filter(released), errors: lines.filter((l) => Number(l.level) >= 50), owner, runner };
};

describe('a takeover of a world whose stored record is gone', () => {
  it('gives the lease back with an info line (the world was deleted), no error', async () => {
    // The undo of a failed create (or a delete) removed the record before c's announce reached the store.
    const r = await takeOver((store) => store.deleteWorldConfig('w'));
    expect(r.lines).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'cluster: nothing stored to take over (the world was deleted); lease released',
        fencingToken: 1,
      }),
    ]);
    expect(r.errors).toEqual([]);
    expect(r.owner).toBeNull();
    expect(r.runner.has('w')).toBe(false);
  });

  it('still logs an error when the record is there but cannot be taken over (a record this build cannot read)', async () => {
    const r = await takeOver((store) => store.putWorldConfig('w', { damaged: true }));
    expect(r.lines).toEqual([
      expect.objectContaining({ level: 50, msg: 'cluster: world could not be taken over; lease released', fencingToken: 1 }),
    ]);
    expect(r.owner).toBeNull();
    expect(r.runner.has('w')).toBe(false);
  });
});
