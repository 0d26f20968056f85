/**
 * Loading one persisted world (src/persist/restore.ts `loadPersistedWorld`, the path of an adopted
 * world: migration, failover) says which of two things it skipped: a world whose stored record is
 * missing (deleted meanwhile) — `stored world record not found; world skipped` — or one whose record
 * is there but not understood — `stored world record not understood; world skipped`. Both log lines
 * used to read "not understood". The first is info (its caller logs what it concluded), the second a warning.
 * Loading every world (`loadPersistedWorlds`) skips a record that says origin default under another id. Real SQLite store.
 */
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { loadPersistedWorld, loadPersistedWorlds } from '../../../src/persist/restore.js';
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

  // A record of origin default under another id (a hand edit, a renamed row) was restored as the default world
  // (its config and clock applied to it); it is skipped with a warning now.
  it('skips a record of origin default under another id; the default world and an admin world load', async () => {
    const dir = tempDataDir();
    cleanup.push(() => dir.remove());
    const store = new SqliteStore({ dataDir: dir.dir });
    cleanup.push(() => store.close());
    const record = (origin: string) => ({
      ...{ format: 1, origin, incarnation: 'i-1', capacity: 100, seed: 1, size: 500, npcs: 0 },
      ...{ config: {}, configVersion: 3, clock: { now: 500, step: 10_000, at: 0 } },
    });
    await store.putWorldConfig('1', record('default'));
    await store.putWorldConfig('999', record('default'));
    await store.putWorldConfig('w2', record('admin'));
    const out = new PassThrough();
    const found = await loadPersistedWorlds(store, createLogger('warn', out), '1');
    expect(found.map((p) => [p.record.origin, p.world?.id ?? null])).toEqual([
      ['default', null], // no checkpoint and no fresh builder: the runtime applies it to the world it built
      ['admin', 'w2'],
    ]);
    expect(lines(out).map((l) => [l.world, l.msg])).toEqual([
      ['999', 'stored world record not understood (origin default under another id); world skipped'],
    ]);
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
