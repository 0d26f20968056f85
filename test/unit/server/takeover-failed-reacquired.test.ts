/**
 * A takeover whose adoption failed must not step the stale copy when its lease comes back by the "re-acquired after it
 * lapsed" path (src/server/cluster-lease-tick.ts `takeOver`, `GrantReads.mustAdopt`). Three copies of the cluster
 * tests beside two busy processes (load ~25): fence-row-locked.test.ts's new owner stepped the world it was taking
 * over without ever restoring it. This race is the one path found in the code that does so (the likely cause, not
 * shown there): a control tick renews the lease of a world whose adoption is in
 * flight past the tick's bound; the adoption fails and gives the lease back while that renewal is out; the renewal
 * finds the lease lapsed and takes it again — a lease of our own that lapsed, so before, a plain grant: the copy (a
 * standby copy, stale) stepped, never restored from the store's last checkpoint. Now it is taken over like any grant
 * after a failed takeover. A cluster service over an in-process hub on a clock the test moves; the renewal of the
 * world is answered when the test says (the one place where the order cannot be had otherwise), a real SQLite store.
 */
import { describe, expect, it } from 'vitest';
import { LocalCoordinator, LocalHub } from '../../../src/cluster/local-coordinator.js';
import type { LeaseResult } from '../../../src/cluster/coordinator.js';
import { ClusterService } from '../../../src/server/cluster-service.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { createSimWorld } from '../../../src/world/sim-world.js';
import { clusterServiceOptions } from '../../helpers/cluster-service-options.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { gate, sleep } from '../../helpers/tick-two-worlds.js';

/** A coordinator whose renewals of `held.world` wait for `held.gate` while `held.on`. */
class SlowRenewals extends LocalCoordinator {
  readonly held = { on: false, world: 'w2', gate: gate<void>(), waiting: false };
  override async renew(worldId: string, instanceId: string, ttlMs: number): Promise<LeaseResult> {
    if (this.held.on && worldId === this.held.world) {
      this.held.waiting = true;
      await this.held.gate.wait;
    }
    return super.renew(worldId, instanceId, ttlMs);
  }
}

describe('a takeover whose adoption failed, its lease taken again after a lapse', () => {
  it('is taken over from the store, not stepped as the stale copy', async () => {
    const data = tempDataDir('wt-takeover-failed-');
    const store = new SqliteStore({ dataDir: data.dir });
    const clock = { now: 0 };
    const hub = new LocalHub(() => clock.now);
    const coordinator = new SlowRenewals({ hub });
    const w1 = createSimWorld({ id: 'w1', capacity: 10, seed: 1 });
    const w2 = createSimWorld({ id: 'w2', capacity: 10, seed: 2 });
    const first = gate<boolean>();
    const adoptions: number[] = [];
    const c = new ClusterService(
      clusterServiceOptions({
        coordinator,
        instanceId: 'a',
        leaseTtlMs: 1000,
        worlds: () => [w1, w2],
        store: { fence: (f) => store.fence(f) },
        adopt: async (_id, token) => {
          adoptions.push(token);
          return adoptions.length === 1 ? first.wait : true;
        },
      }),
    );
    const b = new LocalCoordinator({ hub });
    try {
      expect((await b.acquire('w2', 'b', 500)).ok).toBe(true); // b owns w2 until 500 ms
      await c.start(); // a sees b's lease of w2: a later grant is a takeover
      expect(c.canStep(w2)).toBe(false);

      // b is gone; a is granted w2 (token 2) and adopts it; the restore does not come back within the tick's bound.
      clock.now = 600;
      await c.kick();
      expect(adoptions).toEqual([2]);
      expect(c.canStep(w2)).toBe(false);

      // The next tick's renewal of w2 is out when the adoption fails and gives the lease back; past the TTL, the
      // renewal finds it lapsed and the tick takes it again (token 3).
      clock.now = 1700;
      coordinator.held.on = true;
      const tick = c.kick();
      for (let i = 0; i < 200 && !coordinator.held.waiting; i++) await sleep(5);
      expect(coordinator.held.waiting).toBe(true);
      first.open(false);
      for (let i = 0; i < 200 && coordinator.heldLease('w2') !== null; i++) await sleep(5);
      expect(coordinator.heldLease('w2')).toBeNull(); // given back by the failed adoption
      coordinator.held.on = false;
      coordinator.held.gate.open();
      await tick;
      for (let i = 0; i < 200 && !c.canStep(w2); i++) await sleep(5);

      // Taken over under the new token: restored from the store before it steps (before: adoptions [2], stepping).
      expect(adoptions).toEqual([2, 3]);
      expect(c.canStep(w2)).toBe(true);
      expect(c.fence('w2')).toEqual({ worldId: 'w2', token: 3 });
      expect(c.counters.failovers).toBe(1);
    } finally {
      first.open(false);
      coordinator.held.gate.open();
      await c.stop();
      await store.close();
      data.remove();
    }
  });
});
