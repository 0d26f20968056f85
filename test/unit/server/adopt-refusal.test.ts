/**
 * The target side of a migration refused (src/server/cluster-migration-routes.ts): an instance
 * that is stopping (or draining) answers `POST /api/v1/cluster/adopt` with 409
 * `WT_ERR_MIGRATION_REFUSED`, counts it, and hands the lease back to the sender, which takes it
 * back (`ClusterService.takeBack`: a new token, announced to the store) and steps the world on.
 * An adopt request that finds nothing handed to take in (`adoptConflict`, src/server/cluster-takeover.ts) restores
 * nothing: a second request while a handover's adoption runs is refused 409 `adopt-in-progress` (the world restored
 * once), a lease held without the world (a create's) 409 `lease-held-here`, and a world stepped here under its own
 * lease is answered `alreadyHere`. Before (stop 67), each ran a restore from the store over whatever was there.
 * Over the in-process coordinator with a synthetic clock and a real SQLite store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LocalCoordinator, LocalHub } from '../../../src/cluster/local-coordinator.js';
import { createLogger } from '../../../src/log.js';
import { migrationRoutes, type MoverSurface } from '../../../src/server/cluster-migration-routes.js';
import { ClusterService } from '../../../src/server/cluster-service.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { createSimWorld, type SimWorld } from '../../../src/world/sim-world.js';
import { clusterServiceOptions } from '../../helpers/cluster-service-options.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const service = (hub: LocalHub, id: string, worlds: SimWorld[], store: SqliteStore, adopt?: () => Promise<boolean>) =>
  new ClusterService(
    clusterServiceOptions({
      coordinator: new LocalCoordinator({ hub }),
      instanceId: id,
      leaseTtlMs: 1000,
      worlds: () => worlds,
      store,
      ...(adopt ? { adopt } : {}),
    }),
  );

/** A fresh SQLite store in a folder removed after the test. */
const freshStore = (): SqliteStore => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-adopt-'));
  dirs.push(dir);
  return new SqliteStore({ dataDir: dir });
};

const adoptRoute = (cluster: ClusterService, stopping: boolean, worlds: readonly SimWorld[] = []) => {
  const surface: MoverSurface = {
    history: [],
    stopping,
    migrate: () => Promise.reject(new Error('not here')),
    track: (_id, p) => p,
  };
  const getWorld = (id: string) => worlds.find((w) => w.id === id);
  const r = migrationRoutes(surface, { cluster, logger: createLogger('silent'), getWorld }).find(
    (x) => x.pattern === '/api/v1/cluster/adopt',
  )!;
  return (body: unknown) => r.handler({ method: 'POST', path: r.pattern, query: new URLSearchParams(), params: {}, body });
};

describe('adopt refused by a stopping instance', () => {
  it('answers 409 WT_ERR_MIGRATION_REFUSED, counts it, hands the lease back; the sender takes it back and steps on', async () => {
    const hub = new LocalHub(() => 0);
    const store = freshStore();
    const wa = createSimWorld({ id: 'w' });
    const own = createSimWorld({ id: 'own' });
    const a = service(hub, 'a', [wa], store);
    const b = service(hub, 'b', [own], store);
    try {
      await a.kick();
      await b.kick();
      expect(a.canStep(wa)).toBe(true);
      expect(b.canStep(own)).toBe(true);
      // a hands w to b (a migration), b is stopping.
      a.hold('w');
      const handed = await a.handOver('w', 'b');
      expect(handed.instanceId).toBe('b');
      const adopt = adoptRoute(b, true);
      expect((await adopt({ worldId: 7 })).status).toBe(400);
      const r = await adopt({ worldId: 'w', from: 'a' });
      expect(r.status).toBe(409);
      expect(r.json).toMatchObject({
        code: 'WT_ERR_MIGRATION_REFUSED',
        message: 'instance b is stopping: it adopts no world; its lease was handed back to a',
        details: { reason: 'stopping', returned: true },
      });
      expect(b.counters.adoptRefusals).toBe(1);
      expect(b.coordinator.heldLease('w')).toBeNull();
      // a takes it back: a newer token, announced to the store, and it steps again once unheld.
      const token = await a.takeBack('w');
      expect(token).toBeGreaterThan(handed.fencingToken);
      expect(await store.currentFence('w')).toBe(token);
      a.unhold('w');
      expect(a.canStep(wa)).toBe(true);
      expect(a.ownerOf('w')).toMatchObject({ instanceId: 'a', fencingToken: token });
      // A world b steps itself is never handed away by a refusal, whatever `from` says.
      const mine = await adopt({ worldId: 'own', from: 'a' });
      expect(mine.json).toMatchObject({ details: { reason: 'stopping', returned: false } });
      expect(b.canStep(own)).toBe(true);
      expect(b.counters.adoptRefusals).toBe(2);
    } finally {
      await a.stop();
      await b.stop();
      store.close();
    }
  });
});

describe('adopt requests with nothing handed to take in', () => {
  it('a second request during an adoption, a create-held lease, a world stepped here: nothing restored', async () => {
    const hub = new LocalHub(() => 0);
    const store = freshStore();
    const wa = createSimWorld({ id: 'w' });
    const own = createSimWorld({ id: 'own' });
    const bWorlds: SimWorld[] = [own];
    let adopts = 0;
    let release: (ok: boolean) => void = () => {};
    const a = service(hub, 'a', [wa], store);
    const b = service(hub, 'b', bWorlds, store, () => {
      adopts++;
      return new Promise<boolean>((r) => (release = r));
    });
    const adopt = adoptRoute(b, false, bWorlds);
    try {
      await a.kick();
      await b.kick();
      expect(b.canStep(own)).toBe(true);

      // a hands w to b; b's adoption of it is under way when a second request for w comes.
      a.hold('w');
      await a.handOver('w', 'b');
      const first = adopt({ worldId: 'w', from: 'a' });
      const second = await adopt({ worldId: 'w', from: 'a' });
      expect(second.status).toBe(409);
      expect(second.json).toMatchObject({ code: 'WT_ERR_MIGRATION_FAILED', details: { reason: 'adopt-in-progress' } });
      await vi.waitUntil(() => adopts === 1); // the store read of the adoption, held here
      bWorlds.push(wa); // what the adoption installs
      release(true);
      expect((await first).status ?? 200).toBe(200); // a route answer without a status is 200
      expect(adopts).toBe(1);

      // A lease b holds for a create, the world not installed: refused, the lease as it was.
      const token = await b.claim('made');
      const held = await adopt({ worldId: 'made', from: 'a' });
      expect(held.status).toBe(409);
      expect(held.json).toMatchObject({ code: 'WT_ERR_MIGRATION_FAILED', details: { reason: 'lease-held-here' } });
      expect(b.coordinator.heldLease('made')?.fencingToken).toBe(token);

      // A world b steps under its own lease: answered as adopted, nothing restored.
      const step = own.clock.step;
      const here = await adopt({ worldId: 'own', from: 'a' });
      expect(here.status ?? 200).toBe(200);
      expect(here.json).toMatchObject({ worldId: 'own', alreadyHere: true, step });
      expect(adopts).toBe(1);
      expect(b.canStep(own)).toBe(true);
    } finally {
      await a.stop();
      await b.stop();
      store.close();
    }
  });
});
