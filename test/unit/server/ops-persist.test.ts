/**
 * Operator-state persistence (src/server/ops-persist.ts) on a real SQLite store: writes of one
 * world commit in call order (the last is the newest state); a write that cannot be made answers
 * `false` (store closed, or a cluster world not owned here) and changes nothing stored; a record
 * of another incarnation is not applied; a deleted world's record goes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OpsState } from '../../../src/admin/ops-state.js';
import { createLogger } from '../../../src/log.js';
import { createOpsPersistence, worldOpsScope } from '../../../src/server/ops-persist.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import type { Fence, Store } from '../../../src/store/types.js';
import { createSimWorld } from '../../../src/world/sim-world.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const dirs: Array<{ remove(): void }> = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

const setup = (fence: (id: string) => Fence | null | undefined = () => undefined) => {
  const dir = tempDataDir('wt-ops-persist-');
  dirs.push(dir);
  let store: Store | null = new SqliteStore({ dataDir: dir.dir });
  const persist = createOpsPersistence({
    logger: createLogger('silent'),
    store: () => store,
    fence,
    incarnation: () => 'inc-1',
    runtimeScope: () => 'runtime',
  });
  const ops = new OpsState({ durability: persist.durability });
  return {
    persist,
    ops,
    store: () => store!,
    closeStore: async () => {
      await store?.close();
      store = null;
    },
  };
};

describe('operator state persistence', () => {
  it('writes of one world commit in call order; the record carries the incarnation', async () => {
    const { ops, store } = setup();
    const w = createSimWorld({ id: 'a', capacity: 16 });
    ops.setWorld(w, true, 'one');
    const p1 = ops.saveWorld(w);
    ops.setWorld(w, false, '');
    const p2 = ops.saveWorld(w);
    ops.setWorld(w, true, 'three');
    const p3 = ops.saveWorld(w);
    expect(await Promise.all([p1, p2, p3])).toEqual([true, true, true]);
    const row = await store().getOperatorState(worldOpsScope('a'));
    expect(row?.state).toMatchObject({ format: 1, incarnation: 'inc-1', maintenance: { on: true, reason: 'three' } });
    await store().close();
  });

  it('answers false when it cannot write: store closed, world not owned here', async () => {
    const notOwned = setup(() => null);
    const w = createSimWorld({ id: 'b', capacity: 16 });
    notOwned.ops.setWorld(w, true, 'x');
    expect(await notOwned.ops.saveWorld(w)).toBe(false);
    expect(await notOwned.store().getOperatorState(worldOpsScope('b'))).toBeUndefined();
    expect(notOwned.ops.isOn('b')).toBe(true); // in force in this process
    await notOwned.closeStore();
    expect(await notOwned.ops.saveRuntime()).toBe(false);
  });

  it('restores only the same incarnation; runtime flag back; a deleted world loses its record', async () => {
    const { ops, persist, store } = setup();
    const w = createSimWorld({ id: 'c', capacity: 16 });
    ops.setWorld(w, true, 'kept');
    expect(await ops.saveWorld(w)).toBe(true);
    ops.setRuntime([w], true, 'all');
    expect(await ops.saveRuntime()).toBe(true);

    const fresh = new OpsState();
    const again = createSimWorld({ id: 'c', capacity: 16 });
    await persist.restoreRuntime(store(), fresh, [again]);
    expect(fresh.runtime).toMatchObject({ on: true, reason: 'all' });
    expect(await persist.restoreWorld(store(), fresh, again, 'another-incarnation')).toBeNull();
    expect(fresh.worldFlag('c').on).toBe(false);
    expect((await persist.restoreWorld(store(), fresh, again, 'inc-1'))?.maintenance).toBe(true);
    expect(fresh.worldFlag('c')).toMatchObject({ on: true, reason: 'kept' });

    ops.forget('c');
    // The delete is queued on the world's scope (not awaited by forget): poll the store.
    for (let i = 0; i < 50 && (await store().getOperatorState(worldOpsScope('c'))); i++) await new Promise((r) => setTimeout(r, 10));
    expect(await store().getOperatorState(worldOpsScope('c'))).toBeUndefined();
    await store().close();
  });
});
