/**
 * A resume from the store (src/server/cluster-lease-tick.ts `staleResume`) whose copy is, or may be, older than the
 * store's last checkpoint is taken over from the store (the `adopt` hook). When that adoption meets a passing store
 * outage, the lease is given back — and the copy restored at start must not step at the next grant either: only
 * once the check said it is current or the world was taken over from the store. Else the world's state would go
 * back in time (another instance checkpointed it after this one's start-up restore). A real SQLite store (fencing
 * tokens), the hooks made to fail as the store's outage makes them; a cluster service over an in-process hub on a
 * clock the test moves.
 */
import { describe, expect, it } from 'vitest';
import { LocalCoordinator, LocalHub } from '../../../src/cluster/local-coordinator.js';
import { ErrorCode, WorldtickError } from '../../../src/errors.js';
import { ClusterService } from '../../../src/server/cluster-service.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { createSimWorld } from '../../../src/world/sim-world.js';
import { clusterServiceOptions } from '../../helpers/cluster-service-options.js';
import { tempDataDir } from '../../helpers/data-dir.js';

/** What the PostgreSQL store rejects with when its connection is refused (test/unit/server/takeover-store-outage.test.ts). */
const outage = () => new WorldtickError(ErrorCode.STORE_UNAVAILABLE, 'store down', { details: { reason: 'connection' } });

/**
 * `b` held w (token 1) and is gone before `a`'s first control tick; `a`'s copy of w was restored at start. While
 * `checkDown` / `adoptDown`, the check / the adoption fail as in a store outage; `newer` is the check's answer.
 */
const setUp = async (store: SqliteStore, newer: boolean) => {
  const clock = { now: 0 };
  const hub = new LocalHub(() => clock.now);
  const w = createSimWorld({ id: 'w', capacity: 10, seed: 1 });
  const s = { checkDown: true, adoptDown: true, checks: 0, adopts: 0 };
  const c = new ClusterService(
    clusterServiceOptions({
      coordinator: new LocalCoordinator({ hub }),
      instanceId: 'a',
      leaseTtlMs: 1000,
      worlds: () => [w],
      store: { fence: (f) => store.fence(f) },
      restoredFromStore: () => true,
      newerCheckpointStored: async () => {
        s.checks++;
        if (s.checkDown) throw outage();
        return newer;
      },
      adopt: async () => {
        s.adopts++;
        if (s.adoptDown) throw outage();
        return true;
      },
    }),
  );
  const b = new LocalCoordinator({ hub });
  expect((await b.acquire('w', 'b', 1000)).ok).toBe(true);
  expect(await b.release('w', 'b')).toBe(true);
  return { clock, hub, w, c, s, b };
};

/** Run `body` on {@link setUp} over a real SQLite store in a temp dir (closed and removed after). */
const withSetUp = async (body: (x: Awaited<ReturnType<typeof setUp>>) => Promise<void>): Promise<void> => {
  const data = tempDataDir('wt-resume-outage-');
  const store = new SqliteStore({ dataDir: data.dir });
  try {
    await body(await setUp(store, true));
  } finally {
    await store.close();
    data.remove();
  }
};

describe('a resume whose takeover from the store meets a store outage', () => {
  it('the check failed: the copy restored at start does not step at a later grant until taken over from the store', async () => {
    await withSetUp(async (x) => {
      await x.c.kick(); // the check fails (counts as stale), the adoption meets the outage: lease given back
      expect(x.s.checks).toBe(1);
      expect(x.s.adopts).toBe(1);
      expect(x.hub.lease('w')).toBeUndefined();
      expect(x.c.canStep(x.w)).toBe(false);

      // The next grants, the store still down: never the stale copy.
      for (let i = 1; i <= 3; i++) {
        x.clock.now = i * 600;
        await x.c.kick();
        expect(x.c.canStep(x.w)).toBe(false);
      }
      expect(x.s.adopts).toBeGreaterThan(1);
      expect(x.c.counters.failovers).toBe(0);

      // The store answers: the world is taken over from it, then steps.
      x.s.checkDown = false;
      x.s.adoptDown = false;
      x.clock.now = 3000;
      await x.c.kick();
      expect(x.c.canStep(x.w)).toBe(true);
      expect(x.c.counters.failovers).toBe(1);
      expect(x.hub.lease('w')).toMatchObject({ instanceId: 'a' });
    });
  });

  it('the check said stale: the copy does not step at a later grant until the adoption got through', async () => {
    await withSetUp(async (x) => {
      x.s.checkDown = false;
      await x.c.kick(); // stale; the adoption meets the outage: lease given back
      expect(x.s.checks).toBe(1);
      expect(x.s.adopts).toBe(1);
      expect(x.hub.lease('w')).toBeUndefined();

      x.clock.now = 600;
      await x.c.kick();
      expect(x.c.canStep(x.w)).toBe(false);
      expect(x.s.adopts).toBe(2);

      x.s.adoptDown = false;
      x.clock.now = 1200;
      await x.c.kick();
      expect(x.c.canStep(x.w)).toBe(true);
      expect(x.s.adopts).toBe(3);
      expect(x.c.counters.failovers).toBe(1);
    });
  });

  it('a copy replaced by a migration here since is not taken over again when its lease lapses and is taken back', async () => {
    await withSetUp(async (x) => {
      x.s.checkDown = false;
      await x.c.kick(); // stale; the adoption meets the outage: lease given back
      expect(x.s.adopts).toBe(1);

      // b takes the world (a's tick sees it held there), then migrates it here: adopted as a migration.
      x.clock.now = 600;
      expect((await x.b.acquire('w', 'b', 1000)).ok).toBe(true);
      await x.c.kick();
      expect(x.c.canStep(x.w)).toBe(false);
      x.s.adoptDown = false;
      expect((await x.b.handover('w', 'b', 'a', 1000)).ok).toBe(true);
      await x.c.takeHandover('w');
      expect(x.s.adopts).toBe(2);
      await x.c.kick();
      expect(x.c.canStep(x.w)).toBe(true);

      // a's lease lapses with nobody taking it (a short partition) and a takes it again: its copy steps on.
      x.clock.now = 3000;
      await x.c.kick();
      expect(x.hub.lease('w')).toMatchObject({ instanceId: 'a' });
      expect(x.s.adopts).toBe(2);
      expect(x.c.canStep(x.w)).toBe(true);
    });
  });
});
