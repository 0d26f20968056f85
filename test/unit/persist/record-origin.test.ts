/**
 * A stored record that says `origin: "default"` under an id other than the default world's (a hand edit,
 * a renamed row) is skipped with a warning (src/persist/restore.ts `loadPersistedWorlds`). Before, it was
 * restored as the default world: its config and clock applied to the default world, whatever its id.
 * Real SQLite store.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadPersistedWorlds } from '../../../src/persist/restore.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { jsonLogSink } from '../../helpers/log-lines.js';

const record = (origin: string) => ({
  format: 1,
  origin,
  incarnation: 'i-1',
  capacity: 100,
  seed: 1,
  size: 500,
  npcs: 0,
  config: {},
  configVersion: 3,
  clock: { now: 500, step: 10_000, at: 0 },
});

describe('a stored record of origin default under another id', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  it('is skipped with a warning; the default world and an admin world load', async () => {
    const dir = tempDataDir();
    cleanup.push(() => dir.remove());
    const store = new SqliteStore({ dataDir: dir.dir });
    cleanup.push(() => store.close());
    await store.putWorldConfig('1', record('default'));
    await store.putWorldConfig('999', record('default'));
    await store.putWorldConfig('w2', record('admin'));
    const { lines, logger } = jsonLogSink('warn');
    const found = await loadPersistedWorlds(store, logger, '1');
    expect(found.map((p) => [p.record.origin, p.world?.id ?? null])).toEqual([
      ['default', null], // no checkpoint and no fresh builder: the runtime applies it to the world it built
      ['admin', 'w2'],
    ]);
    expect(lines.map((l) => [l.world, l.msg])).toEqual([
      ['999', 'stored world record not understood (origin default under another id); world skipped'],
    ]);
  });
});
