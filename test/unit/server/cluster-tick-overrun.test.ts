/**
 * A control tick that runs longer than the interval (a store that does not answer makes it wait up to its
 * bounds: docs/CLUSTER.md "A store that does not answer") is followed by the next one as soon as it ends, so a
 * held lease is renewed once per max(interval, tick) and not once per two intervals. Fake timers: the slow part
 * of each tick is a lease listing that answers 1.2 intervals late.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LeaseOwner, LeaseResult } from '../../../src/cluster/coordinator.js';
import { LocalCoordinator, LocalHub } from '../../../src/cluster/local-coordinator.js';
import { createLogger } from '../../../src/log.js';
import { ClusterService } from '../../../src/server/cluster-service.js';
import { createSimWorld } from '../../../src/world/sim-world.js';

const TTL_MS = 3000;
const INTERVAL_MS = TTL_MS / 3;

/** Records when each lease call was sent; its lease listing answers `slowMs` late. */
class SlowListing extends LocalCoordinator {
  readonly leaseCalls: number[] = [];
  slowMs = 0;
  override acquire(worldId: string, instanceId: string, ttlMs: number, minToken?: number): Promise<LeaseResult> {
    this.leaseCalls.push(Date.now());
    return super.acquire(worldId, instanceId, ttlMs, minToken);
  }
  override renew(worldId: string, instanceId: string, ttlMs: number): Promise<LeaseResult> {
    this.leaseCalls.push(Date.now());
    return super.renew(worldId, instanceId, ttlMs);
  }
  override async listLeases(): Promise<LeaseOwner[]> {
    if (this.slowMs > 0) await new Promise((r) => setTimeout(r, this.slowMs));
    return super.listLeases();
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe('cluster service: a control tick longer than the interval', () => {
  it('starts the next tick when it ends: a held lease is renewed every 1.2 intervals, not every 2', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const coordinator = new SlowListing({ hub: new LocalHub(() => Date.now()) });
    const world = createSimWorld({ id: 'w' });
    const svc = new ClusterService({
      coordinator,
      instanceId: 'a',
      leaseTtlMs: TTL_MS,
      enforce: true,
      logger: createLogger('silent'),
      worlds: () => [world],
      gameUrl: () => 'ws://a:1',
      adminUrl: () => 'http://a:2',
      capacity: () => 100,
      load: () => ({ sessions: 0, stepCostMs: 0, cpu: 0 }),
      closeSessions: () => 0,
    });
    await svc.start();
    expect(svc.canStep(world)).toBe(true);
    // Quick ticks: one per interval.
    await vi.advanceTimersByTimeAsync(3 * INTERVAL_MS);
    const quick = coordinator.leaseCalls.splice(0);
    expect(quick.length).toBeGreaterThanOrEqual(3);
    for (let k = 1; k < quick.length; k++) expect(quick[k] - quick[k - 1]).toBe(INTERVAL_MS);

    coordinator.slowMs = 1.2 * INTERVAL_MS;
    await vi.advanceTimersByTimeAsync(12 * INTERVAL_MS);
    const slow = coordinator.leaseCalls.splice(0);
    const gaps = slow.slice(1).map((t, k) => t - slow[k]);
    expect(gaps.length).toBeGreaterThanOrEqual(8); // 12 intervals / 1.2: about 10 ticks (6 when every other interval is skipped)
    expect(Math.max(...gaps)).toBeLessThanOrEqual(1.2 * INTERVAL_MS);
    expect(svc.canStep(world)).toBe(true);

    // Quick again: back to one tick per interval (no tick runs twice in a row for one late interval).
    coordinator.slowMs = 0;
    await vi.advanceTimersByTimeAsync(2 * INTERVAL_MS);
    coordinator.leaseCalls.splice(0);
    await vi.advanceTimersByTimeAsync(4 * INTERVAL_MS);
    const after = coordinator.leaseCalls.splice(0);
    expect(after.length).toBe(4);
    await svc.stop();
  });
});
