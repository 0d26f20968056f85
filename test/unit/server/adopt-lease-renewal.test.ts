/**
 * A world being adopted here (a migration's target restoring it, or a failover's restore) is not hosted until its
 * restore ends, yet its lease is this instance's: the control ticks renew it meanwhile, so a restore slower than the
 * lease TTL keeps the world (src/server/cluster-control-tick.ts, `keptLeases`). Before, only hosted worlds and kept
 * create/delete leases were renewed: the handed lease was renewed once when the adopt request came, and lapsed under
 * a restore past the TTL; another instance then took the world over as an orphan (seen in balance.test under two
 * suites at once: a 3 s TTL, a move whose pause was 3.06 s, `cannot prove ownership of the world` on the target
 * 0.4 s after it stepped). Two cluster services over one in-process hub whose clock the test moves.
 */
import { describe, expect, it } from 'vitest';
import { LocalCoordinator, LocalHub } from '../../../src/cluster/local-coordinator.js';
import { ClusterService } from '../../../src/server/cluster-service.js';
import { createSimWorld, type SimWorld } from '../../../src/world/sim-world.js';
import { clusterServiceOptions } from '../../helpers/cluster-service-options.js';

const TTL = 1000;

describe('a world being adopted keeps its lease through a restore longer than the TTL', () => {
  it("the target's control ticks renew the handed lease until the restore ends; the world then steps there", async () => {
    let now = 0;
    const hub = new LocalHub(() => now);
    const worldA: SimWorld = createSimWorld({ id: 'w', capacity: 10, seed: 1 });
    const worldB: SimWorld = createSimWorld({ id: 'w', capacity: 10, seed: 1 });
    const hostedB: SimWorld[] = []; // b hosts the world only once restored (no standby copy)
    let release: () => void = () => {};
    const restored = new Promise<void>((r) => (release = r));
    const service = (id: string, worlds: () => SimWorld[], adopt: () => Promise<boolean>): ClusterService =>
      new ClusterService(
        clusterServiceOptions({
          coordinator: new LocalCoordinator({ hub }),
          instanceId: id,
          leaseTtlMs: TTL,
          worlds,
          adopt,
        }),
      );
    const a = service(
      'a',
      () => [worldA],
      async () => true,
    );
    const b = service(
      'b',
      () => hostedB,
      async () => {
        await restored; // the restore: store reads and decoding, as long as the test says
        hostedB.push(worldB);
        return true;
      },
    );
    await a.kick();
    await b.kick();
    expect(hub.lease('w')).toMatchObject({ instanceId: 'a' });
    a.hold('w');
    const handed = await a.handOver('w', 'b');
    const taking = b.takeHandover('w'); // renews the handed lease, then restores
    await new Promise((r) => setTimeout(r, 0));
    // Five control ticks 0.6 TTL apart while the restore runs: 3 TTLs in all.
    for (let i = 0; i < 5; i++) {
      now += 0.6 * TTL;
      await b.kick();
      expect(hub.lease('w'), `tick ${i}: the lease lapsed mid-restore`).toMatchObject({
        instanceId: 'b',
        fencingToken: handed.fencingToken,
      });
    }
    release();
    expect(await taking).toBe(handed.fencingToken);
    expect(b.canStep(worldB)).toBe(true);
    now += 0.6 * TTL;
    await b.kick();
    expect(hub.lease('w')).toMatchObject({ instanceId: 'b', fencingToken: handed.fencingToken });
    expect(b.counters.failovers).toBe(0);
  });
});
