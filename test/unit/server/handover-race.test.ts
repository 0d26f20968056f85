/**
 * A migration's target whose control tick runs between the handover and the adopt request
 * (src/server/cluster-lease-tick.ts, cluster-takeover.ts; docs/CLUSTER.md "Migration"): the target
 * keeps a copy of the world (as every instance has of the default world), so its lease step finds the
 * handed lease already its own. It must not take the world over as a failover then: it renews the
 * lease, holds the world and waits for the adopt request, which adopts it as a migration. When no
 * request comes within the grace (`HANDOVER_GRACE_TICKS` control ticks), the world is taken over as
 * a failover. An instance restarted with the same id, its old lease still live, takes its world back
 * at once. Two cluster services over one in-process hub whose clock stands still (no lease expires).
 */
import { describe, expect, it } from 'vitest';
import { LocalCoordinator, LocalHub } from '../../../src/cluster/local-coordinator.js';
import { createLogger } from '../../../src/log.js';
import { migrationRoutes } from '../../../src/server/cluster-migration-routes.js';
import { ClusterService } from '../../../src/server/cluster-service.js';
import { HANDOVER_GRACE_TICKS } from '../../../src/server/cluster-takeover.js';
import { createSimWorld, type SimWorld } from '../../../src/world/sim-world.js';
import { clusterServiceOptions } from '../../helpers/cluster-service-options.js';

/** An instance `id` with its copy of world `w`; its adopt hook records why it was called. */
const instance = (hub: LocalHub, id: string, adopted: string[]) => {
  const world: SimWorld = createSimWorld({ id: 'w', capacity: 10, seed: 1 });
  const cluster = new ClusterService(
    clusterServiceOptions({
      coordinator: new LocalCoordinator({ hub }),
      instanceId: id,
      leaseTtlMs: 1000,
      worlds: () => [world],
      adopt: async (worldId, _token, why) => {
        adopted.push(`${worldId} ${why}`);
        return true;
      },
    }),
  );
  return { cluster, world };
};

/** a owns `w`, b has seen a's token (its copy is a standby); then a hands the lease to b. */
const handedToB = async () => {
  const hub = new LocalHub(() => 0);
  const adoptedA: string[] = [];
  const adoptedB: string[] = [];
  const a = instance(hub, 'a', adoptedA);
  const b = instance(hub, 'b', adoptedB);
  await a.cluster.kick();
  await b.cluster.kick();
  expect(a.cluster.canStep(a.world)).toBe(true);
  expect(b.cluster.canStep(b.world)).toBe(false);
  a.cluster.hold('w');
  const handed = await a.cluster.handOver('w', 'b');
  return { hub, a, b, adoptedB, handed };
};

describe('a lease handed to an instance whose control tick runs before the adopt request', () => {
  it('is renewed and held, not taken over as a failover; the adopt request then adopts it as a migration', async () => {
    const { hub, b, adoptedB, handed } = await handedToB();
    for (let i = 0; i < HANDOVER_GRACE_TICKS; i++) {
      await b.cluster.kick();
      expect(adoptedB).toEqual([]);
      expect(b.cluster.counters.failovers).toBe(0);
      expect(b.cluster.awaitingHandover('w')).toBe(true);
      expect(b.cluster.canStep(b.world)).toBe(false); // its stale copy does not step meanwhile
      expect(hub.lease('w')).toMatchObject({ instanceId: 'b', fencingToken: handed.fencingToken });
      // Held here with its token, yet moving here: a hello or an admin call is asked to retry, not served by the copy.
      expect(b.cluster.fence('w')).toEqual({ worldId: 'w', token: handed.fencingToken });
      expect(b.cluster.adopting('w')).toBe(true);
    }
    expect(await b.cluster.takeHandover('w')).toBe(handed.fencingToken);
    expect(adoptedB).toEqual(['w migration']);
    expect(b.cluster.awaitingHandover('w')).toBe(false);
    expect(b.cluster.adopting('w')).toBe(false);
    expect(b.cluster.canStep(b.world)).toBe(true);
    // Later ticks renew it: no second adoption, no failover.
    for (let i = 0; i <= HANDOVER_GRACE_TICKS + 1; i++) await b.cluster.kick();
    expect(adoptedB).toEqual(['w migration']);
    expect(b.cluster.counters.failovers).toBe(0);
    expect(b.cluster.canStep(b.world)).toBe(true);
  });

  it('with no adopt request, is taken over as a failover once the grace is spent', async () => {
    const { b, adoptedB, handed } = await handedToB();
    for (let i = 0; i < HANDOVER_GRACE_TICKS; i++) await b.cluster.kick();
    expect(adoptedB).toEqual([]);
    await b.cluster.kick();
    expect(adoptedB).toEqual(['w failover']);
    expect(b.cluster.counters.failovers).toBe(1);
    expect(b.cluster.awaitingHandover('w')).toBe(false);
    expect(b.cluster.coordinator.heldLease('w')?.fencingToken).toBe(handed.fencingToken);
    expect(b.cluster.canStep(b.world)).toBe(true);
  });

  it('refused by the adopt request (the target stopping) while it waits: the lease handed back, the wait ended, nothing adopted', async () => {
    const { a, b, adoptedB, handed } = await handedToB();
    await b.cluster.kick();
    expect(b.cluster.awaitingHandover('w')).toBe(true);
    const route = migrationRoutes(
      { history: [], stopping: true, migrate: () => Promise.reject(new Error('not here')), track: (_id, p) => p },
      { cluster: b.cluster, logger: createLogger('silent'), getWorld: () => b.world },
    ).find((x) => x.pattern === '/api/v1/cluster/adopt');
    const r = await route?.handler({
      method: 'POST',
      path: '/api/v1/cluster/adopt',
      query: new URLSearchParams(),
      params: {},
      body: { worldId: 'w', from: 'a' },
    });
    expect(r?.status).toBe(409);
    expect(r?.json).toMatchObject({ code: 'WT_ERR_MIGRATION_REFUSED', details: { reason: 'stopping', returned: true } });
    expect(await a.cluster.takeBack('w')).toBeGreaterThan(handed.fencingToken);
    a.cluster.unhold('w');
    for (let i = 0; i <= HANDOVER_GRACE_TICKS + 1; i++) {
      await a.cluster.kick();
      await b.cluster.kick();
    }
    expect(b.cluster.awaitingHandover('w')).toBe(false);
    expect(adoptedB).toEqual([]);
    expect(b.cluster.counters.failovers).toBe(0);
    expect(b.cluster.isHeld('w')).toBe(false);
    expect(b.cluster.canStep(b.world)).toBe(false);
    expect(a.cluster.canStep(a.world)).toBe(true);
  });

  it('an instance restarted with the same id while its lease lives takes its world back at once, as before', async () => {
    const hub = new LocalHub(() => 0);
    const first = instance(hub, 'a', []);
    await first.cluster.kick();
    const token = first.cluster.coordinator.heldLease('w')?.fencingToken;
    // Restarted (no clean stop): a new process with the same id, its lease still in the coordinator.
    const adopted: string[] = [];
    const again = instance(hub, 'a', adopted);
    await again.cluster.kick();
    expect(again.cluster.awaitingHandover('w')).toBe(false);
    expect(again.cluster.canStep(again.world)).toBe(true);
    expect(again.cluster.coordinator.heldLease('w')?.fencingToken).toBe(token);
    expect(adopted).toEqual([]);
    expect(again.cluster.counters.failovers).toBe(0);
  });
});

describe('the token floor of a handover', () => {
  // Fuzz seed 80310 (docs/CLUSTER.md "A damaged key in Redis"): with the coordinator's counter lost and the lease rewritten
  // to a lower token by hand (here the in-process hub, edited the same way), a handover minted a token already granted.
  it('a lost counter and a lease lowered by hand: the handover still mints above the token the source holds', async () => {
    const hub = new LocalHub(() => 0);
    const a = instance(hub, 'a', []);
    const b = instance(hub, 'b', []);
    await a.cluster.kick();
    await b.cluster.kick();
    const held = a.cluster.coordinator.heldLease('w')?.fencingToken ?? 0;
    expect(held).toBeGreaterThan(0);
    expect(a.cluster.tokenFloor('w')).toBe(held);
    expect(b.cluster.tokenFloor('w')).toBe(held); // seen as a's
    const lease = hub.leases.get('w');
    if (!lease) throw new Error('no lease of w');
    lease.fencingToken = 0;
    hub.fences.delete('w');
    a.cluster.hold('w');
    const handed = await a.cluster.handOver('w', 'b');
    expect(handed).toMatchObject({ instanceId: 'b', fencingToken: held + 1 });
    expect(hub.lease('w')).toMatchObject({ instanceId: 'b', fencingToken: held + 1 });
  });
});
