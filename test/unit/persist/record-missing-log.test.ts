/**
 * Loading one persisted world (src/persist/restore.ts `loadPersistedWorld`, the path of an adopted
 * world: migration, failover) says which of two things it skipped: a world whose stored record is
 * missing (deleted meanwhile) — `stored world record not found; world skipped` — or one whose record
 * is there but not understood — `stored world record not understood; world skipped`. Both log lines
 * used to read "not understood". The first is info (its caller logs what it concluded), the second a warning. Real SQLite store.
 */
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { loadPersistedWorld } from '../../../src/persist/restore.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const lines = (out: PassThrough): Array<{ msg?: string; world?: string; level?: number }> =>
  String(out.read() ?? '')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { msg?: string; world?: string; level?: number });

describe('loading one persisted world without a usable record', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  it('logs a missing record and a record not understood differently', async () => {
    const dir = tempDataDir();
    cleanup.push(() => dir.remove());
    const store = new SqliteStore({ dataDir: dir.dir });
    cleanup.push(() => store.close());
    await store.putWorldConfig('odd', { format: 'something else' });
    const out = new PassThrough();
    const logger = createLogger('info', out);
    expect(await loadPersistedWorld(store, logger, 'gone')).toBeNull();
    expect(await loadPersistedWorld(store, logger, 'odd')).toBeNull();
    // A missing record is info (the caller logs what it concluded), a record not understood a warning.
    expect(lines(out).map((l) => [l.world, l.msg, l.level])).toEqual([
      ['gone', 'stored world record not found; world skipped', 30],
      ['odd', 'stored world record not understood; world skipped', 40],
    ]);
  });
});
