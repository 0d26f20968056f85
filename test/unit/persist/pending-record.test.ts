/**
 * Records of a cluster create not confirmed yet (src/persist/world-record.ts `pending`,
 * src/server/unconfirmed-create.ts), on a real SQLite store: a world tracked `pending` has its records
 * written with the mark until `confirm` wrote one without it; a record stored with the mark is not restored
 * at start (a record without it, as written before the mark existed, is), and a takeover removes it under
 * its own fence instead of adopting it (a confirmed record is left to be adopted).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isWorldtickError } from '../../../src/errors.js';
import { createLogger } from '../../../src/log.js';
import { Checkpointer } from '../../../src/persist/checkpointer.js';
import { loadPersistedWorlds } from '../../../src/persist/restore.js';
import { newIncarnation, parseWorldRecord, worldRecordOf } from '../../../src/persist/world-record.js';
import { refuseUnconfirmedCreate } from '../../../src/server/unconfirmed-create.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import type { Fence } from '../../../src/store/types.js';
import { createSimWorld } from '../../../src/world/sim-world.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const logger = createLogger('silent');
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

const openSqlite = (): SqliteStore => {
  const d = tempDataDir('wt-pending-record-');
  const store = new SqliteStore({ dataDir: d.dir });
  cleanups.push(() => d.remove());
  cleanups.push(() => store.close());
  return store;
};

const stored = async (store: SqliteStore, id: string) => parseWorldRecord((await store.getWorldConfig(id))?.config);

describe('a record of a create not confirmed', () => {
  it('is written pending until confirmed, under the fence of its world', async () => {
    const store = openSqlite();
    await store.fence({ worldId: 'p', token: 2 });
    let fence: Fence | null = { worldId: 'p', token: 2 };
    const ck = new Checkpointer({ store: () => store, logger, intervalSeconds: 0, fence: () => fence });
    ck.track(createSimWorld({ id: 'p', capacity: 50 }), { origin: 'admin', pending: true });
    await ck.record('p');
    expect((await stored(store, 'p'))?.pending).toBe(true);
    expect(await ck.confirm('p')).toBe(true);
    expect(await stored(store, 'p')).not.toHaveProperty('pending');
    await ck.record('p'); // every later write is confirmed too
    expect(await stored(store, 'p')).not.toHaveProperty('pending');
    // A confirm whose write is not done (no proof of ownership here: nothing written) says so.
    ck.track(createSimWorld({ id: 'q', capacity: 50 }), { origin: 'admin', pending: true });
    fence = null;
    expect(await ck.confirm('q')).toBe(false);
    expect(await ck.confirm('untracked')).toBe(false);
  });

  it('is not restored at start; a record without the mark (confirmed, or written before it existed) is', async () => {
    const store = openSqlite();
    const w = createSimWorld({ id: 'x', capacity: 50 });
    const base = { origin: 'admin' as const, incarnation: newIncarnation(), npcs: 0 };
    await store.putWorldConfig('pend', { ...worldRecordOf(w, base), pending: true });
    await store.putWorldConfig('old', worldRecordOf(w, base));
    const restored = await loadPersistedWorlds(store, logger, 'default', { fresh: (o) => createSimWorld(o) });
    expect(restored.map((p) => p.world?.id)).toEqual(['old']);
    expect(await store.hasWorldConfig('pend')).toBe(true); // left for the instance granted its lease
  });

  it('is removed by a takeover under its fence, refused as a world; a confirmed record is left to be adopted', async () => {
    const store = openSqlite();
    const w = createSimWorld({ id: 'x', capacity: 50 });
    const base = { origin: 'admin' as const, incarnation: newIncarnation(), npcs: 0 };
    await store.fence({ worldId: 'pend', token: 1 });
    await store.putWorldConfig('pend', { ...worldRecordOf(w, base), pending: true }, { fence: { worldId: 'pend', token: 1 } });
    await store.putWorldConfig('ok', worldRecordOf(w, base));
    await store.fence({ worldId: 'pend', token: 2 }); // the taking instance announced its token
    const err = await refuseUnconfirmedCreate(store, logger, 'pend', 2).catch((e: unknown) => e);
    expect(isWorldtickError(err, 'WT_ERR_WORLD_NOT_DURABLE')).toBe(true);
    expect(await store.hasWorldConfig('pend')).toBe(false);
    // The creating instance, come back, cannot confirm it: its write is fenced out.
    await expect(store.putWorldConfig('pend', worldRecordOf(w, base), { fence: { worldId: 'pend', token: 1 } })).rejects.toMatchObject({
      code: 'WT_ERR_STORE_FENCED',
    });
    await expect(refuseUnconfirmedCreate(store, logger, 'ok', 1)).resolves.toBeUndefined();
    expect(await store.hasWorldConfig('ok')).toBe(true);
  });
});
