/**
 * The player-data game API (src/game/player-data.ts) and its group-committing service
 * (src/player-data/player-data-service.ts) on a real SQLite store in a temporary directory: bad
 * calls throw WT_ERR_PLAYER_DATA_INVALID naming each problem; a world without a store answers
 * PD_UNAVAILABLE; an entity that is not a bound player PD_NOT_PLAYER; a stale save PD_VERSION_STALE
 * with the stored version; many calls share few transactions; `updatePlayerData` retries a lost race.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { attachLedger, bindPlayer, detachLedger } from '../../../src/ledger/world-ledger.js';
import { PlayerDataService } from '../../../src/player-data/player-data-service.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { spawnPlayer } from '../../../src/world/spawn.js';
import {
  createGameWorld,
  defineGame,
  deletePlayerData,
  ErrorCode,
  isWorldtickError,
  loadPlayerData,
  PLAYER_DATA_LIMITS,
  PlayerDataCode,
  savePlayerData,
  spawn,
  updatePlayerData,
  type GameWorld,
} from '../../../src/index.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const game = defineGame({ name: 'player-data-test' });

const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
};

describe('player data (game API)', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  /** A world with a ledger and a player-data service on a fresh SQLite store; player `t:alice` bound. */
  const served = (id: string, opts: { store?: SqliteStore; service?: PlayerDataService } = {}) => {
    let store = opts.store;
    if (!store) {
      const dir = tempDataDir('wt-pdata-');
      cleanup.push(() => dir.remove());
      store = new SqliteStore({ dataDir: dir.dir });
      const s = store;
      cleanup.push(() => s.close());
    }
    const service = opts.service ?? new PlayerDataService({ store });
    if (!opts.service) cleanup.push(() => service.close());
    const world = createGameWorld(game, { id, capacity: 16 });
    attachLedger(world, { store, epoch: 'inc-1', rateLimit: { perSecond: 0 } });
    cleanup.push(() => detachLedger(world));
    world.playerData = service;
    const p = spawnPlayer(world, 1, 1);
    bindPlayer(world, p, 't:alice');
    return { world, p, store, service };
  };

  it('refuses bad keys, values, versions and players with WT_ERR_PLAYER_DATA_INVALID naming each problem', () => {
    const world = createGameWorld(game, { id: 'v0', capacity: 16 });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const bad: Array<[() => unknown, RegExp]> = [
      [() => loadPlayerData(world, 1, ''), /key must be 1-64/],
      [() => loadPlayerData(world, 1, 'has space'), /key must be/],
      [() => loadPlayerData(world, 1, 'k'.repeat(65)), /key must be/],
      [() => loadPlayerData(world, -1, 'k'), /player must be an entity id/],
      [() => loadPlayerData(world, 'bad id', 'k'), /player id must be/],
      [() => savePlayerData(world, 1, 'k', undefined, { version: 0 }), /value is undefined/],
      [() => savePlayerData(world, 1, 'k', { n: Number.NaN }, { version: 0 }), /value\.n is not a finite number/],
      [() => savePlayerData(world, 1, 'k', { d: new Date() }, { version: 0 }), /value\.d is not a plain object/],
      [() => savePlayerData(world, 1, 'k', new Map(), { version: 0 }), /value is not a plain object/],
      [() => savePlayerData(world, 1, 'k', [1, () => 1], { version: 0 }), /value\[1\] is function/],
      [() => savePlayerData(world, 1, 'k', { a: 1n }, { version: 0 }), /value\.a is bigint/],
      [() => savePlayerData(world, 1, 'k', cyclic, { version: 0 }), /nested deeper than 32/],
      [() => savePlayerData(world, 1, 'k', 'x'.repeat(PLAYER_DATA_LIMITS.maxValueBytes), { version: 0 }), /more than 65536/],
      [() => savePlayerData(world, 1, 'k', 1, { version: -1 }), /options\.version must be/],
      [() => savePlayerData(world, 1, 'k', 1, { version: 1.5 }), /options\.version must be/],
      [() => savePlayerData(world, 1, 'k', 1, undefined as never), /options\.version must be/],
      [() => deletePlayerData(world, 1, 'k', { version: 'latest' as never }), /options\.version must be/],
      // A JavaScript caller's: answered PD_UNAVAILABLE without a store, UPDATE_FAILED later with one, before.
      [() => updatePlayerData(world, 1, 'k', null as never), /update must be a function/],
    ];
    for (const [fn, message] of bad) {
      const err = thrown(fn);
      expect(isWorldtickError(err, ErrorCode.PLAYER_DATA_INVALID), String(fn)).toBe(true);
      expect((err as Error).message).toMatch(message);
    }
    // Every problem of one call is listed.
    const err = thrown(() => savePlayerData(world, 'a b', '', Number.POSITIVE_INFINITY, { version: -2 }));
    expect((err as { details: { problems: string[] } }).details.problems).toHaveLength(4);
  });

  it('without a store: PD_UNAVAILABLE, nothing thrown', async () => {
    const world = createGameWorld(game, { id: 'v1', capacity: 16 });
    const p = spawnPlayer(world, 1, 1);
    expect(await loadPlayerData(world, p, 'stats')).toEqual({
      status: 'rejected',
      key: 'stats',
      code: PlayerDataCode.UNAVAILABLE,
      reason: 'no-store',
    });
    expect(await savePlayerData(world, 't:x', 'stats', 1, { version: 0 })).toMatchObject({ code: 'PD_UNAVAILABLE' });
    expect(await deletePlayerData(world, p, 'stats', { version: 'any' })).toMatchObject({ code: 'PD_UNAVAILABLE' });
    expect(await updatePlayerData(world, p, 'stats', () => 1)).toMatchObject({ code: 'PD_UNAVAILABLE' });
  });

  it('saves and loads by entity or durable id; a stale version is refused with the stored one; delete frees the key', async () => {
    const { world, p } = served('v2');
    expect(await loadPlayerData(world, p, 'stats')).toEqual({ status: 'ok', key: 'stats', value: undefined, version: 0 });
    const saved = await savePlayerData(world, p, 'stats', { captures: 1 }, { version: 0 });
    expect(saved).toEqual({ status: 'ok', key: 'stats', value: { captures: 1 }, version: 1 });
    // The same player by its durable id (e.g. after the entity is gone).
    expect(await loadPlayerData(world, 't:alice', 'stats')).toEqual({ status: 'ok', key: 'stats', value: { captures: 1 }, version: 1 });
    expect(await savePlayerData(world, p, 'stats', { captures: 5 }, { version: 0 })).toEqual({
      status: 'rejected',
      key: 'stats',
      code: 'PD_VERSION_STALE',
      version: 1,
    });
    expect(await loadPlayerData(world, p, 'stats')).toMatchObject({ value: { captures: 1 }, version: 1 });
    expect(await savePlayerData(world, p, 'stats', { captures: 2 }, { version: 'any' })).toMatchObject({ status: 'ok', version: 2 });
    expect(await deletePlayerData(world, p, 'stats', { version: 1 })).toMatchObject({ code: 'PD_VERSION_STALE', version: 2 });
    expect(await deletePlayerData(world, p, 'stats', { version: 2 })).toEqual({ status: 'ok', key: 'stats', value: undefined, version: 3 });
    expect(await loadPlayerData(world, p, 'stats')).toEqual({ status: 'ok', key: 'stats', value: undefined, version: 3 });
    // Re-created on the delete's version only (a writer that loaded before the delete is refused).
    expect(await savePlayerData(world, p, 'stats', { captures: 9 }, { version: 2 })).toMatchObject({
      code: 'PD_VERSION_STALE',
      version: 3,
    });
    expect(await savePlayerData(world, p, 'stats', { captures: 0 }, { version: 3 })).toMatchObject({ status: 'ok', version: 4 });
    // An entity that is not a bound player.
    const npc = spawn(world, { kind: 1, x: 2, y: 2 });
    expect(await loadPlayerData(world, npc, 'stats')).toMatchObject({ status: 'rejected', code: 'PD_NOT_PLAYER' });
    expect(await savePlayerData(world, npc, 'stats', 1, { version: 0 })).toMatchObject({ code: 'PD_NOT_PLAYER' });
  });

  it('a player past its per-player bytes is refused PD_QUOTA_EXCEEDED and nothing changes', async () => {
    const { world, p } = served('v3');
    const chunk = 'x'.repeat(PLAYER_DATA_LIMITS.maxValueBytes - 2); // exactly maxValueBytes as JSON
    const n = PLAYER_DATA_LIMITS.maxBytesPerPlayer / PLAYER_DATA_LIMITS.maxValueBytes;
    for (let i = 0; i < n; i++) expect(await savePlayerData(world, p, `slot${i}`, chunk, { version: 0 })).toMatchObject({ status: 'ok' });
    expect(await savePlayerData(world, p, 'one-more', 1, { version: 0 })).toMatchObject({ status: 'rejected', code: 'PD_QUOTA_EXCEEDED' });
    expect(await loadPlayerData(world, p, 'one-more')).toMatchObject({ status: 'ok', version: 0 });
    // Freeing a key makes room.
    expect(await deletePlayerData(world, p, 'slot0', { version: 1 })).toMatchObject({ status: 'ok' });
    expect(await savePlayerData(world, p, 'one-more', 1, { version: 0 })).toMatchObject({ status: 'ok', version: 1 });
  });

  it('group-commits: 300 saves of 100 players in a few transactions; the service stops with the close', async () => {
    const { world, service, store } = served('v4');
    const before = store.stats().transactions;
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => savePlayerData(world, `t:p${i % 100}`, `k${Math.floor(i / 100)}`, { i }, { version: 0 })),
    );
    expect(results.every((r) => r.status === 'ok' && r.version === 1)).toBe(true);
    const st = service.stats();
    expect(st.saves).toBe(300);
    expect(st.batches).toBeLessThanOrEqual(5); // at most maxBatch (64) per transaction
    expect(st.maxBatch).toBe(64);
    expect(store.stats().transactions - before).toBe(st.batches);
    expect(await loadPlayerData(world, 't:p42', 'k2')).toMatchObject({ value: { i: 242 }, version: 1 });
    await service.close();
    expect(await loadPlayerData(world, 't:p42', 'k2')).toMatchObject({ status: 'rejected', code: 'PD_UNAVAILABLE' });
  });

  it('a batch is bounded by bytes too: big values are split over several transactions', async () => {
    const dir = tempDataDir('wt-pdata-bytes-');
    cleanup.push(() => dir.remove());
    const store = new SqliteStore({ dataDir: dir.dir });
    cleanup.push(() => store.close());
    const service = new PlayerDataService({ store, maxBatchBytes: 100_000 });
    cleanup.push(() => service.close());
    const { world } = served('v5', { store, service });
    const chunk = 'y'.repeat(40_000);
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => savePlayerData(world, `t:q${i}`, 'blob', chunk, { version: 0 })));
    expect(results.every((r) => r.status === 'ok')).toBe(true);
    expect(service.stats().batches).toBeGreaterThanOrEqual(3); // two 40 kB values per 100 kB batch
  });

  it('updatePlayerData: two instances incrementing one counter concurrently lose no increment', async () => {
    const dir = tempDataDir('wt-pdata-race-');
    cleanup.push(() => dir.remove());
    const worlds: GameWorld[] = [];
    for (const id of ['i1', 'i2']) {
      // Two stores on one file: two instances' connections (each with its own service).
      const store = new SqliteStore({ dataDir: dir.dir });
      cleanup.push(() => store.close());
      worlds.push(served(id, { store }).world);
    }
    const inc = (w: GameWorld) =>
      updatePlayerData(w, 't:alice', 'lifetime', (cur) => ((cur as number | undefined) ?? 0) + 1, { attempts: 50 });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => inc(worlds[i % 2] as GameWorld)));
    expect(results.every((r) => r.status === 'ok')).toBe(true);
    expect(await loadPlayerData(worlds[0] as GameWorld, 't:alice', 'lifetime')).toMatchObject({ value: 20, version: 20 });
    // A bad call throws at the call (a bug in the game), not later as a rejection.
    expect(() => updatePlayerData(worlds[0] as GameWorld, 't:alice', 'x', () => 1, { attempts: 0 })).toThrow(/attempts/);
  });

  it('updatePlayerData never rejects: an update that throws or returns a refused value resolves PD_UPDATE_FAILED, nothing saved', async () => {
    const { world, p } = served('upd-fail');
    const huge = 'x'.repeat(70_000); // over the 64 KiB per value (as a client-built value could be)
    const big = await updatePlayerData(world, p, 'notes', () => ({ text: huge }));
    expect(big).toMatchObject({ status: 'rejected', code: 'PD_UPDATE_FAILED', key: 'notes' });
    expect(big.status === 'rejected' ? big.problem : '').toMatch(/bytes as JSON/);
    const thrown = await updatePlayerData(world, p, 'notes', () => {
      throw new Error('game bug');
    });
    expect(thrown).toMatchObject({ status: 'rejected', code: 'PD_UPDATE_FAILED', problem: 'game bug' });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(await updatePlayerData(world, p, 'notes', () => cyclic)).toMatchObject({ code: 'PD_UPDATE_FAILED' });
    expect(await loadPlayerData(world, p, 'notes')).toMatchObject({ status: 'ok', value: undefined, version: 0 });
  });
});
