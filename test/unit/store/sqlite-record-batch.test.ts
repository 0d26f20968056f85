/**
 * World records on the SQLite store are group-committed (src/store/sqlite-record-batch.ts): every
 * world's record is written every 10 steps (src/persist/checkpointer.ts), and one transaction —
 * one fsync on the event loop — per record took a third of the loop in a probe of 200 idle worlds
 * (and the loop was 99 % busy with 300 worlds of 50 NPCs: bench/many-worlds.ts). Records asked for close together share a transaction; each is still
 * answered alone (a fenced one refused, the others written), and no other operation overtakes one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const dirs: Array<{ remove(): void }> = [];
const open = (dir?: string): { store: SqliteStore; dir: string } => {
  const d = dir === undefined ? tempDataDir('wt-record-batch-') : null;
  if (d) dirs.push(d);
  const at = dir ?? (d ? d.dir : '');
  return { store: new SqliteStore({ dataDir: at }), dir: at };
};
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

describe('SQLite world records, group-committed', () => {
  it('records of many worlds asked for together share one transaction', async () => {
    const { store } = open();
    const before = store.stats().transactions;
    const ids = Array.from({ length: 20 }, (_, i) => `w${i}`);
    const written = await Promise.all(ids.map((id, i) => store.putWorldConfig(id, { clock: { step: i } })));
    expect(written.map((r) => r.worldId)).toEqual(ids);
    expect(store.stats().transactions - before).toBe(1);
    expect((await store.getWorldConfig('w7'))?.config).toEqual({ clock: { step: 7 } });
    await store.close();
  });

  it('a fenced record is refused alone; the others of its transaction are written', async () => {
    const { store } = open();
    await store.fence({ worldId: 'f', token: 5 });
    const out = await Promise.allSettled([
      store.putWorldConfig('a', { n: 1 }),
      store.putWorldConfig('f', { n: 2 }, { fence: { worldId: 'f', token: 3 } }),
      store.putWorldConfig('b', { n: 3 }),
    ]);
    expect(out.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(out[1]).toMatchObject({ reason: { code: 'WT_ERR_STORE_FENCED' } });
    expect(await store.getWorldConfig('f')).toBeUndefined();
    expect((await store.getWorldConfig('b'))?.config).toEqual({ n: 3 });
    expect(store.stats().fencedRefusals).toBe(1);
    await store.close();
  });

  it('no later operation overtakes a record: a delete asked for after it removes it', async () => {
    const { store } = open();
    const put = store.putWorldConfig('x', { n: 1 });
    const del = store.deleteWorldConfig('x');
    await put;
    expect(await del).toBe(true);
    expect(await store.getWorldConfig('x')).toBeUndefined();
    await store.close();
  });

  it('a record is the value as it was when asked for, not when its transaction commits', async () => {
    const { store } = open();
    const rec = { clock: { step: 1 } };
    const put = store.putWorldConfig('m', rec);
    rec.clock.step = 2; // the caller reuses its object before the batch commits
    expect((await put).config).toEqual({ clock: { step: 1 } });
    expect((await store.getWorldConfig('m'))?.config).toEqual({ clock: { step: 1 } });
    await store.close();
  });

  it('a record asked for before close is written', async () => {
    const { store, dir } = open();
    const put = store.putWorldConfig('late', { n: 9 });
    await store.close();
    await put;
    const again = open(dir).store;
    expect((await again.getWorldConfig('late'))?.config).toEqual({ n: 9 });
    await again.close();
  });
});
