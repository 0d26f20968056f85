/**
 * A control tick that runs longer than the interval (a store that does not answer makes it wait up to its
 * bounds: docs/CLUSTER.md "A store that does not answer") is followed by the next one as soon as it ends, so a
 * held lease is renewed once per max(interval, tick) and not once per two intervals. Fake timers: the slow part
 * of each tick is a lease listing that answers 1.2 intervals late. And a tick held by one world's slow grant does not
 * hold the renewal of the leases it holds: each interval that fires meanwhile renews them (their step done).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LeaseOwner, LeaseResult } from '../../../src/cluster/coordinator.js';
import { LocalCoordinator, LocalHub } from '../../../src/cluster/local-coordinator.js';
import { createLogger } from '../../../src/log.js';
import { ClusterService } from '../../../src/server/cluster-service.js';
import { createSimWorld, type SimWorld } from '../../../src/world/sim-world.js';

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

/** Records when each renewal of `w` was sent; an acquire of `w2` answers `slowMs` late. */
class SlowGrant extends LocalCoordinator {
  readonly renewals: number[] = [];
  slowMs = 0;
  override async acquire(worldId: string, instanceId: string, ttlMs: number, minToken?: number): Promise<LeaseResult> {
    if (worldId === 'w2' && this.slowMs > 0) await new Promise((r) => setTimeout(r, this.slowMs));
    return super.acquire(worldId, instanceId, ttlMs, minToken);
  }
  override renew(worldId: string, instanceId: string, ttlMs: number): Promise<LeaseResult> {
    if (worldId === 'w') this.renewals.push(Date.now());
    return super.renew(worldId, instanceId, ttlMs);
  }
}

const service = (coordinator: LocalCoordinator, worlds: () => SimWorld[]): ClusterService =>
  new ClusterService({
    coordinator,
    instanceId: 'a',
    leaseTtlMs: TTL_MS,
    enforce: true,
    logger: createLogger('silent'),
    worlds,
    gameUrl: () => 'ws://a:1',
    adminUrl: () => 'http://a:2',
    capacity: () => 100,
    load: () => ({ sessions: 0, stepCostMs: 0, cpu: 0 }),
    closeSessions: () => 0,
  });

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

  it("a grant that takes a whole TTL holds no other lease's renewal: the held world keeps stepping", async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const coordinator = new SlowGrant({ hub: new LocalHub(() => Date.now()) });
    const w = createSimWorld({ id: 'w' });
    const w2 = createSimWorld({ id: 'w2' });
    const worlds = [w];
    const svc = service(coordinator, () => worlds);
    await svc.start();
    expect(svc.canStep(w)).toBe(true);
    // w2 is hosted here next; its grant answers a whole TTL late (the tick waits for it).
    coordinator.slowMs = TTL_MS;
    worlds.push(w2);
    coordinator.renewals.splice(0);
    const from = Date.now();
    for (let t = 0; t < 2 * TTL_MS; t += INTERVAL_MS / 4) {
      await vi.advanceTimersByTimeAsync(INTERVAL_MS / 4);
      expect(svc.canStep(w), `w at ${Date.now() - from} ms`).toBe(true);
    }
    const gaps = coordinator.renewals.map((t, k) => t - (k === 0 ? from : (coordinator.renewals[k - 1] ?? 0)));
    expect(Math.max(...gaps)).toBeLessThanOrEqual(INTERVAL_MS); // renewed every interval, slow tick or not
    expect(svc.canStep(w2)).toBe(true); // granted at last
    await svc.stop();
  });
});
