/**
 * A migration's handover mints above every token its source knows was granted, not only above the
 * lease's own (docs/CLUSTER.md "A damaged key in Redis"): with the coordinator's fence counter lost and
 * the world's lease rewritten to a lower token (fuzz seed 80310 did both by hand in Redis; here the
 * in-process hub is edited the same way), the handover would otherwise mint a token already granted.
 * Two cluster services over one in-process hub whose clock stands still.
 */
import { describe, expect, it } from 'vitest';
import { LocalCoordinator, LocalHub } from '../../../src/cluster/local-coordinator.js';
import { ClusterService } from '../../../src/server/cluster-service.js';
import { createSimWorld } from '../../../src/world/sim-world.js';
import { clusterServiceOptions } from '../../helpers/cluster-service-options.js';

const instance = (hub: LocalHub, id: string) => {
  const world = createSimWorld({ id: 'w', capacity: 10, seed: 1 });
  const cluster = new ClusterService(
    clusterServiceOptions({
      coordinator: new LocalCoordinator({ hub }),
      instanceId: id,
      leaseTtlMs: 1000,
      worlds: () => [world],
      adopt: async () => true,
    }),
  );
  return { cluster, world };
};

describe('the token floor of a handover', () => {
  it('a lost counter and a lease lowered by hand: the handover still mints above the token the source holds', async () => {
    const hub = new LocalHub(() => 0);
    const a = instance(hub, 'a');
    const b = instance(hub, 'b');
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
