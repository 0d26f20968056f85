/**
 * Loading one persisted world (src/persist/restore.ts `loadPersistedWorld`, the path of an adopted
 * world: migration, failover) says which of two things it skipped: a world whose stored record is
 * missing (deleted meanwhile) — `stored world record not found; world skipped` — or one whose record
 * is there but not understood — `stored world record not understood; world skipped`. Both log lines
 * used to read "not understood". The first is info (its caller logs what it concluded), the second a warning,
 * and the second refuses the world `WT_ERR_WORLD_RECORD_UNUSABLE` (listed as not started by the runtime).
 * Loading every world (`loadPersistedWorlds`) refuses a record that says origin default under another id, and
 * one the world cannot be built from, telling `refused`; the default world's unusable record is skipped. Real SQLite store.
 */
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, type WorldtickError } from '../../../src/errors.js';
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
  it('refuses a record of origin default under another id, and one no world can be built from; the others load', async () => {
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
    await store.putWorldConfig('w3', { ...record('admin'), size: -5 }); // parses; createSimWorld refuses the size
    const out = new PassThrough();
    const refused: Array<[string, string, unknown]> = [];
    const found = await loadPersistedWorlds(store, createLogger('warn', out), '1', {}, undefined, (id, err: WorldtickError) =>
      refused.push([id, err.code, (err.details as { problem?: unknown }).problem]),
    );
    expect(found.map((p) => [p.record.origin, p.world?.id ?? null])).toEqual([
      ['default', null], // no checkpoint and no fresh builder: the runtime applies it to the world it built
      ['admin', 'w2'],
    ]);
    expect(lines(out).map((l) => [l.world, l.msg])).toEqual([
      ['999', 'stored world record not understood (origin default under another id); world skipped'],
      ['w3', 'stored world could not be rebuilt; world skipped'],
    ]);
    expect(refused.map(([id, code]) => [id, code])).toEqual([
      ['999', ErrorCode.WORLD_RECORD_UNUSABLE],
      ['w3', ErrorCode.WORLD_RECORD_UNUSABLE],
    ]);
    expect(String(refused[1]?.[2])).toMatch(/cannot be built from it: .*size/);
  });

  // The default world's record not understood: skipped (the runtime builds the default world afresh), not thrown.
  it('skips the default world whose record is not understood, without refusing the start', async () => {
    const dir = tempDataDir();
    cleanup.push(() => dir.remove());
    const store = new SqliteStore({ dataDir: dir.dir });
    cleanup.push(() => store.close());
    await store.putWorldConfig('1', { format: 'something else' });
    const out = new PassThrough();
    const refused: string[] = [];
    expect(await loadPersistedWorlds(store, createLogger('warn', out), '1', {}, undefined, (id) => refused.push(id))).toEqual([]);
    expect(refused).toEqual([]);
    expect(lines(out).map((l) => [l.world, l.msg])).toEqual([['1', 'stored world record not understood; world skipped']]);
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
    await expect(loadPersistedWorld(store, logger, 'odd')).rejects.toMatchObject({
      code: ErrorCode.WORLD_RECORD_UNUSABLE,
      details: { worldId: 'odd', problem: 'it is not a world record this build reads' },
    });
    // A missing record is info (the caller logs what it concluded), a record not understood a warning.
    expect(lines(out).map((l) => [l.world, l.msg, l.level])).toEqual([
      ['gone', 'stored world record not found; world skipped', 30],
      ['odd', 'stored world record not understood; world skipped', 40],
    ]);
  });
});
