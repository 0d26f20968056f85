/**
 * The control tick's orphan scan waits for the store's listing at most a sixth of the lease TTL
 * (src/server/cluster-stored.ts `storedLister`): a listing the store does not answer (its connection
 * silently dropped: test/integration/cluster/cut-owner.test.ts) resolves null, stays the one in flight
 * (never a second query piled on it), and its late answer is the next call's. The store here is a
 * function the test answers by hand: the fault is a query that hangs, which a real store gives only
 * behind a cut network.
 */
import { describe, expect, it } from 'vitest';
import { orphanScanWaitMs, storedLister } from '../../../src/server/cluster-stored.js';
import { clusterServiceOptions } from '../../helpers/cluster-service-options.js';
import { LocalCoordinator, LocalHub } from '../../../src/cluster/local-coordinator.js';

/** A store listing answered by the test: `answer` settles the oldest query not settled yet. */
const handListing = () => {
  const waiting: Array<{ resolve: (r: Stamp[]) => void; reject: (e: Error) => void }> = [];
  let queries = 0;
  const storedRecords = (): Promise<Stamp[]> => {
    queries++;
    return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  };
  return { storedRecords, queries: () => queries, next: () => waiting.shift() };
};

/** A stored world's stamp, as `storedRecords` lists it. */
type Stamp = { worldId: string; updatedAt: number };
const record = (worldId: string): Stamp => ({ worldId, updatedAt: 1 });

describe('storedLister: the orphan scan waits a bounded time for the store', () => {
  const lister = (storedRecords: () => Promise<Stamp[]>) =>
    storedLister(clusterServiceOptions({ coordinator: new LocalCoordinator({ hub: new LocalHub() }), instanceId: 'a', storedRecords }));

  it('a sixth of the lease TTL, at least 50 ms', () => {
    expect(orphanScanWaitMs(6000)).toBe(1000);
    expect(orphanScanWaitMs(2000)).toBe(333);
    expect(orphanScanWaitMs(100)).toBe(50);
  });

  it('resolves null while the store is silent, sends no second query, and gives the late answer to the next call', async () => {
    const h = handListing();
    const list = lister(h.storedRecords);
    expect(await list(20)).toBe(null);
    expect(await list(20)).toBe(null);
    expect(h.queries()).toBe(1);
    h.next()?.resolve([record('w1')]);
    expect((await list(20))?.map((r) => r.worldId)).toEqual(['w1']);
    // Taken: the next call asks the store again.
    const again = list(1000);
    expect(h.queries()).toBe(2);
    h.next()?.resolve([]);
    expect(await again).toEqual([]);
  });

  it('a listing that fails late rejects the next call, and the one after asks again', async () => {
    const h = handListing();
    const list = lister(h.storedRecords);
    expect(await list(20)).toBe(null);
    h.next()?.reject(new Error('store unavailable'));
    await expect(list(20)).rejects.toThrow('store unavailable');
    const again = list(1000);
    expect(h.queries()).toBe(2);
    h.next()?.resolve([record('w2')]);
    expect((await again)?.map((r) => r.worldId)).toEqual(['w2']);
  });
});
