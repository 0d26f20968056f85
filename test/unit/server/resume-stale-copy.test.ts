/**
 * A resume from the store (src/server/cluster-lease-tick.ts): the first grant of a world whose copy
 * here was restored at start, its token not the world's first, with no other holder seen by this
 * instance. The copy is kept only when the store holds no newer checkpoint of the world; when an
 * earlier holder checkpointed after this instance's start-up restore and its lease lapsed before this
 * instance's first control tick saw it, the copy is stale and the world is taken over from the store
 * (the `adopt` hook) instead. Real cluster services over one in-process hub whose clock the test moves.
 */
import { describe, expect, it } from 'vitest';
import { LocalCoordinator, LocalHub } from '../../../src/cluster/local-coordinator.js';
import { ClusterService } from '../../../src/server/cluster-service.js';
import { restoredCopyHooks } from '../../../src/server/cluster-stored.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { createSimWorld } from '../../../src/world/sim-world.js';
import { clusterServiceOptions } from '../../helpers/cluster-service-options.js';

/** `a` held world `w` (token 1) and vanished; `c`, whose copy was restored at start, then ticks first. */
const resumeOnC = async (newer: () => Promise<boolean>) => {
  let now = 0;
  const hub = new LocalHub(() => now);
  const world = () => createSimWorld({ id: 'w', capacity: 10, seed: 1 });
  const wa = world();
  const a = new ClusterService(
    clusterServiceOptions({ coordinator: new LocalCoordinator({ hub }), instanceId: 'a', leaseTtlMs: 1000, worlds: () => [wa] }),
  );
  await a.kick();
  expect(hub.lease('w')).toMatchObject({ instanceId: 'a', fencingToken: 1 });
  now += 5000; // a's lease lapses (a is gone) before c's first control tick
  const adopted: string[] = [];
  const wc = world();
  const c = new ClusterService(
    clusterServiceOptions({
      coordinator: new LocalCoordinator({ hub }),
      instanceId: 'c',
      leaseTtlMs: 1000,
      worlds: () => [wc],
      restoredFromStore: () => true,
      newerCheckpointStored: newer,
      adopt: async (worldId, _token, why) => {
        adopted.push(`${worldId} ${why}`);
        return true;
      },
    }),
  );
  await c.kick();
  return { c, adopted, wc, hub };
};

describe('a world resumed from the store', () => {
  it('keeps the copy restored at start when the store holds nothing newer', async () => {
    const { c, adopted, wc, hub } = await resumeOnC(async () => false);
    expect(adopted).toEqual([]);
    expect(c.counters.failovers).toBe(1);
    expect(c.canStep(wc)).toBe(true);
    expect(hub.lease('w')).toMatchObject({ instanceId: 'c', fencingToken: 2 });
  });

  it('is taken over from the store when an earlier holder checkpointed after the start-up restore', async () => {
    const { c, adopted, hub } = await resumeOnC(async () => true);
    expect(adopted).toEqual(['w failover']);
    expect(c.counters.failovers).toBe(1);
    expect(hub.lease('w')).toMatchObject({ instanceId: 'c', fencingToken: 2 });
  });

  it('is taken over from the store when the check cannot read the store (the adopt hook meets the outage)', async () => {
    const { adopted } = await resumeOnC(async () => {
      throw new Error('store down');
    });
    expect(adopted).toEqual(['w failover']);
  });
});

describe("the runtime's check of a resumed copy against the store (restoredCopyHooks, a real SQLite store)", () => {
  it('calls a copy stale exactly when the last stored checkpoint is another step than the one it was restored from', async () => {
    const data = tempDataDir('wt-resume-');
    const store = new SqliteStore({ dataDir: data.dir });
    try {
      let restored: { fromStep: number } | null = null;
      const hooks = restoredCopyHooks({ report: () => ({ restored }) }, () => store);
      expect(hooks.restoredFromStore?.('w')).toBe(false);
      restored = { fromStep: -1 }; // restored from a record with no checkpoint
      expect(await hooks.newerCheckpointStored?.('w')).toBe(false);
      const save = (step: number) =>
        store.saveCheckpoint({ worldId: 'w', step, worldTime: step / 20, config: {}, data: new Uint8Array([1]), fencingToken: 1 });
      await save(10);
      expect(await hooks.newerCheckpointStored?.('w')).toBe(true); // written after the restore
      restored = { fromStep: 10 };
      expect(hooks.restoredFromStore?.('w')).toBe(true);
      expect(await hooks.newerCheckpointStored?.('w')).toBe(false);
      await save(30);
      expect(await hooks.newerCheckpointStored?.('w')).toBe(true);
    } finally {
      await store.close();
      data.remove();
    }
  });
});
