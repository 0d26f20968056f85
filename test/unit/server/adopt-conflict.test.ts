/**
 * An adopt request that finds nothing handed to take in (src/server/cluster-migration-routes.ts, `adoptConflict` in
 * src/server/cluster-takeover.ts) restores nothing: a second request while a handover's adoption runs is refused 409
 * `adopt-in-progress` (the world restored once), a lease this instance holds without the world (a create's) 409
 * `lease-held-here`, and a world it steps under its own lease is answered `alreadyHere`. Before (stop 67), each ran a
 * restore from the store over whatever was there. Over the in-process coordinator and a real SQLite store.
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

describe('adopt requests with nothing handed to take in', () => {
  it('a second request during an adoption, a create-held lease, a world stepped here: nothing restored', async () => {
    const hub = new LocalHub(() => 0);
    const dir = mkdtempSync(join(tmpdir(), 'wt-adopt-conflict-'));
    dirs.push(dir);
    const store = new SqliteStore({ dataDir: dir });
    const wa = createSimWorld({ id: 'w' });
    const own = createSimWorld({ id: 'own' });
    const bWorlds: SimWorld[] = [own];
    let adopts = 0;
    let release: (ok: boolean) => void = () => {};
    const options = (id: string, worlds: SimWorld[], adopt?: () => Promise<boolean>) =>
      clusterServiceOptions({
        coordinator: new LocalCoordinator({ hub }),
        instanceId: id,
        leaseTtlMs: 1000,
        worlds: () => worlds,
        store,
        ...(adopt ? { adopt } : {}),
      });
    const a = new ClusterService(options('a', [wa]));
    const b = new ClusterService(
      options('b', bWorlds, () => {
        adopts++;
        return new Promise<boolean>((r) => (release = r));
      }),
    );
    const surface: MoverSurface = {
      history: [],
      stopping: false,
      migrate: () => Promise.reject(new Error('not here')),
      track: (_id, p) => p,
    };
    const route = migrationRoutes(surface, {
      cluster: b,
      logger: createLogger('silent'),
      getWorld: (id) => bWorlds.find((w) => w.id === id),
    }).find((x) => x.pattern === '/api/v1/cluster/adopt')!;
    const adopt = (body: unknown) => route.handler({ method: 'POST', path: route.pattern, query: new URLSearchParams(), params: {}, body });
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
