/**
 * The cluster service over the in-process coordinator with a synthetic clock and a real
 * SQLite store: the step gate follows the lease validity (minus the step guard), a new owner
 * announces its token to the store before stepping, a stale owner's write is refused, and a
 * refused renewal closes the world's sessions with 4015. A lapse of the lease's validity (its renewal
 * late) pauses the world but keeps its sessions while the renewal that ends it keeps the token, for
 * half a TTL (src/server/cluster-watchdog.ts). A clean stop deregisters before it releases, so the others'
 * `instance left` line names the worlds it held.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalCoordinator, LocalHub } from '../../../src/cluster/local-coordinator.js';
import { createLogger } from '../../../src/log.js';
import { ClusterService } from '../../../src/server/cluster-service.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { createSimWorld, type SimWorld } from '../../../src/world/sim-world.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const service = (
  hub: LocalHub,
  id: string,
  world: SimWorld,
  store: SqliteStore,
  closed: Array<[string, number]>,
  logger = createLogger('silent'),
) =>
  new ClusterService({
    coordinator: new LocalCoordinator({ hub }),
    instanceId: id,
    leaseTtlMs: 1000,
    enforce: true,
    logger,
    worlds: () => [world],
    gameUrl: () => `ws://${id}:1`,
    adminUrl: () => `http://${id}:2`,
    capacity: () => 100,
    load: () => ({ sessions: 0, stepCostMs: 0, cpu: 0 }),
    closeSessions: (worldId, code) => {
      closed.push([worldId, code]);
      return 1;
    },
    store,
  });

describe('cluster service (LocalCoordinator, synthetic clock, SQLite store)', () => {
  it('gates steps on the lease, fences the store with each new owner, refuses the stale owner', async () => {
    let t = 0;
    const hub = new LocalHub(() => t);
    const dir = mkdtempSync(join(tmpdir(), 'wt-cluster-svc-'));
    dirs.push(dir);
    const store = new SqliteStore({ dataDir: dir });
    const closedA: Array<[string, number]> = [];
    const wa = createSimWorld({ id: 'w' });
    const wb = createSimWorld({ id: 'w' });
    const a = service(hub, 'a', wa, store, closedA);
    const b = service(hub, 'b', wb, store, []);
    try {
      await a.kick();
      expect(a.canStep(wa)).toBe(true);
      expect(a.fence('w')).toEqual({ worldId: 'w', token: 1 });
      expect(await store.currentFence('w')).toBe(1);
      await b.kick();
      expect(b.canStep(wb)).toBe(false);
      expect(b.fence('w')).toBeNull();
      expect(b.ownerOf('w')).toMatchObject({ instanceId: 'a', fencingToken: 1, gameUrl: 'ws://a:1' });

      // validUntil = 0 + 1000 − (2 + 1 % of 1000) = 988; the guard is 100 ms: a stops at 888.
      t = 887;
      expect(a.canStep(wa)).toBe(true);
      t = 888;
      expect(a.canStep(wa)).toBe(false);
      expect(a.fence('w')).toBeNull();

      // a is silent (cut off); its lease expires at 1000; b takes the world with token 2.
      t = 1000;
      await b.kick();
      expect(b.canStep(wb)).toBe(true);
      expect(b.fence('w')).toEqual({ worldId: 'w', token: 2 });
      expect(await store.currentFence('w')).toBe(2);
      expect(b.counters.failovers).toBe(1);
      // A write a still tries with its old token is refused by the store.
      await expect(store.putWorldConfig('w', { from: 'a' }, { fence: { worldId: 'w', token: 1 } })).rejects.toMatchObject({
        code: 'WT_ERR_STORE_FENCED',
      });

      // a comes back: its renewal is refused, its sessions are closed with 4015, it routes to b.
      await a.kick();
      expect(a.canStep(wa)).toBe(false);
      expect(a.counters.leaseFailures).toBe(1);
      expect(a.counters.leasesLost).toBe(1);
      expect(closedA).toEqual([['w', 4015]]);
      expect(a.ownerOf('w')).toMatchObject({ instanceId: 'b', fencingToken: 2 });
    } finally {
      await a.stop();
      await b.stop();
      await store.close();
    }
  });

  it("a late renewal under the same token keeps the world's sessions; a lapse past the grace, or a takeover, closes them", async () => {
    let t = 0;
    const hub = new LocalHub(() => t);
    const dir = mkdtempSync(join(tmpdir(), 'wt-cluster-svc-'));
    dirs.push(dir);
    const store = new SqliteStore({ dataDir: dir });
    const closed: Array<[string, number]> = [];
    const w = createSimWorld({ id: 'w' });
    const wb = createSimWorld({ id: 'w' });
    const a = service(hub, 'a', w, store, closed);
    const b = service(hub, 'b', wb, store, []);
    // A watchdog pass with no renewal before it (as after an event loop held past the renewal's time).
    const watch = (): void => a.unhold('w');
    try {
      await a.kick(); // token 1, valid until 988; steps until 888 (guard 100)
      expect(a.canStep(w)).toBe(true);
      t = 900;
      watch();
      expect(a.canStep(w)).toBe(false); // not stepped while its validity is not renewed
      expect(closed).toEqual([]);
      expect(a.counters.leasesLost).toBe(0);
      t = 950; // the renewal comes late, before the hub's expiry at 1000: the same token
      await a.kick();
      expect(a.canStep(w)).toBe(true);
      expect(a.fence('w')).toEqual({ worldId: 'w', token: 1 });
      expect(closed).toEqual([]);
      expect(a.counters).toMatchObject({ leasesLost: 0, leaseLapsesRecovered: 1 });

      // Valid until 950 + 988 = 1938: lapsed at 1900, and no renewal within the grace (500 ms): a loss.
      t = 1900;
      watch();
      t = 2350;
      watch();
      expect(closed).toEqual([]);
      t = 2401;
      watch();
      expect(closed).toEqual([['w', 4015]]);
      expect(a.counters).toMatchObject({ leasesLost: 1, leaseLapsesRecovered: 1 });

      // a takes the world again (its lease expired in the hub at 1950: a new token), lapses again, and this time b
      // takes the world before a's renewal: a's renewal is refused, the sessions are closed at once.
      await a.kick();
      expect(a.canStep(w)).toBe(true);
      const token = a.fence('w')?.token;
      t = 2401 + 900;
      watch();
      expect(closed).toHaveLength(1);
      t = 2401 + 1000;
      await b.kick();
      expect(b.fence('w')?.token).toBeGreaterThan(token ?? 0);
      await a.kick();
      expect(closed).toEqual([
        ['w', 4015],
        ['w', 4015],
      ]);
      expect(a.counters).toMatchObject({ leasesLost: 2, leaseLapsesRecovered: 1 });
    } finally {
      await a.stop();
      await b.stop();
      await store.close();
    }
  });

  it('a lease that lapsed while nobody took it is taken again at once, with a new token', async () => {
    let t = 0;
    const hub = new LocalHub(() => t);
    const dir = mkdtempSync(join(tmpdir(), 'wt-cluster-svc-'));
    dirs.push(dir);
    const store = new SqliteStore({ dataDir: dir });
    const closed: Array<[string, number]> = [];
    const w = createSimWorld({ id: 'w' });
    const a = service(hub, 'a', w, store, closed);
    try {
      await a.kick();
      expect(a.fence('w')).toEqual({ worldId: 'w', token: 1 });
      t = 1500; // a missed its renewals (a pause, a short partition); the lease expired in the hub
      expect(a.canStep(w)).toBe(false);
      await a.kick();
      expect(a.fence('w')).toEqual({ worldId: 'w', token: 2 });
      expect(a.canStep(w)).toBe(true);
      expect(await store.currentFence('w')).toBe(2);
      expect(a.counters).toMatchObject({ leaseFailures: 1, leaseAcquired: 2 });
    } finally {
      await a.stop();
      await store.close();
    }
  });

  it("a clean stop's instance-left line at the others names the worlds it held, whenever their control tick reads", async () => {
    const t = 0;
    const hub = new LocalHub(() => t);
    const dir = mkdtempSync(join(tmpdir(), 'wt-cluster-svc-'));
    dirs.push(dir);
    const store = new SqliteStore({ dataDir: dir });
    const lines: Array<Record<string, unknown>> = [];
    const out = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    const a = service(hub, 'a', createSimWorld({ id: 'p' }), store, [], createLogger('info', out));
    const b = service(hub, 'b', createSimWorld({ id: 'q' }), store, []);
    try {
      await b.kick();
      await a.kick(); // a reads b live, holding q
      expect(a.ownerOf('q')).toMatchObject({ instanceId: 'b' });
      // a's control tick reads between b's two steps of a clean stop (a starved b: double runs 34-35 of the
      // cluster tests): released first, that read showed b live and holding nothing, and the line named no worlds.
      const release = b.coordinator.release.bind(b.coordinator);
      b.coordinator.release = async (worldId, instanceId) => {
        const r = await release(worldId, instanceId);
        await a.kick();
        return r;
      };
      await b.stop();
      await a.kick();
      await new Promise((r) => setImmediate(r));
      const left = lines.filter((l) => l.msg === 'cluster: instance left (stopped, or its heartbeat expired)');
      expect(left).toHaveLength(1);
      expect(left[0]).toMatchObject({ peer: 'b', worlds: ['q'] });
    } finally {
      await a.stop();
      await b.stop();
      await store.close();
    }
  });

  it('a token below one the store has seen is refused; the lease is given back and the next grant is re-seeded above it', async () => {
    const t = 0;
    const hub = new LocalHub(() => t);
    const dir = mkdtempSync(join(tmpdir(), 'wt-cluster-svc-'));
    dirs.push(dir);
    const store = new SqliteStore({ dataDir: dir });
    await store.fence({ worldId: 'w', token: 50 }); // e.g. the coordinator's counter was lost
    const w = createSimWorld({ id: 'w' });
    const a = service(hub, 'a', w, store, []);
    try {
      await a.kick();
      // Token 1 is refused (the store has seen 50): the world does not step and the lease is released.
      expect(a.canStep(w)).toBe(false);
      expect(a.counters.fenceRefusals).toBe(1);
      expect(a.coordinator.heldLease('w')).toBeNull();
      expect(await store.currentFence('w')).toBe(50);
      // The next tick's grant is seeded above the store's token, so the world steps again (docs/CLUSTER.md).
      await a.kick();
      expect(a.coordinator.heldLease('w')?.fencingToken).toBe(51);
      expect(a.canStep(w)).toBe(true);
      expect(a.counters.fenceRefusals).toBe(1);
      expect(await store.currentFence('w')).toBe(51);
    } finally {
      await a.stop();
      await store.close();
    }
  });
});
