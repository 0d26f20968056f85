/**
 * Player data on the store (`applyPlayerData`, table `player_data`, schema 4), over SQLite and a
 * real PostgreSQL started here: versions start at 1 and grow per write, a stale expected version is
 * refused and changes nothing, per-player limits hold, operations of a batch run in order, values
 * survive a reopen, and two stores racing on one version (two instances) let exactly one win.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION } from '../../../src/store/migrations.js';
import type { PlayerDataLimits, Store } from '../../../src/store/types.js';
import { deleteOp as del, getOp as get, putOp as put } from '../../helpers/player-data-ops.js';
import { type StoreHandle, sqliteAndPostgres } from '../../helpers/store-factories.js';

const factories = await sqliteAndPostgres('player data store');

const LIMITS: PlayerDataLimits = { maxBytesPerPlayer: 100, maxKeysPerPlayer: 3 };

for (const { factory, name } of factories) {
  describe.skipIf(!factory)(`player data store: ${name}`, () => {
    let handle: StoreHandle;
    let store: Store;
    const extra: Store[] = [];
    beforeEach(async () => {
      handle = await factory!.create();
      store = await handle.open();
    });
    afterEach(async () => {
      for (const s of extra.splice(0)) await s.close();
      await store.close();
      await handle.dispose();
    });

    it('is schema 4; versions start at 1 and grow per write; a stale or absent version is refused and changes nothing', async () => {
      expect(LATEST_SCHEMA_VERSION).toBeGreaterThanOrEqual(4);
      expect(await store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
      expect(await store.applyPlayerData([get('stats')], LIMITS)).toEqual([{ status: 'ok', version: 0 }]);
      expect(await store.applyPlayerData([put('stats', { wins: 1 }, 0)], LIMITS)).toEqual([{ status: 'ok', version: 1 }]);
      expect(await store.applyPlayerData([put('stats', { wins: 9 }, 0)], LIMITS)).toEqual([{ status: 'stale', version: 1 }]);
      expect(await store.applyPlayerData([put('stats', { wins: 2 }, 1)], LIMITS)).toEqual([{ status: 'ok', version: 2 }]);
      expect(await store.applyPlayerData([put('stats', { wins: 9 }, 1)], LIMITS)).toEqual([{ status: 'stale', version: 2 }]);
      expect(await store.applyPlayerData([put('other', 1, 5)], LIMITS)).toEqual([{ status: 'stale', version: 0 }]);
      expect(await store.applyPlayerData([get('stats'), get('other'), get('stats', 'p2')], LIMITS)).toEqual([
        { status: 'ok', version: 2, value: { wins: 2 } },
        { status: 'ok', version: 0 },
        { status: 'ok', version: 0 },
      ]);
      // Unconditional (null) writes and deletes; a delete with a stale version is refused.
      expect(await store.applyPlayerData([put('stats', 'x', null)], LIMITS)).toEqual([{ status: 'ok', version: 3 }]);
      expect(await store.applyPlayerData([del('stats', 2)], LIMITS)).toEqual([{ status: 'stale', version: 3 }]);
      // A delete is a write (version 4); the key keeps its version as a tombstone without a value.
      expect(await store.applyPlayerData([del('stats', 3), get('stats'), del('stats', null)], LIMITS)).toEqual([
        { status: 'ok', version: 4 },
        { status: 'ok', version: 4 },
        { status: 'ok', version: 4 },
      ]);
      // Re-creating needs the delete's version: a writer still holding an older one (or 0) is refused.
      expect(await store.applyPlayerData([put('stats', 'stale', 3), put('stats', 'stale', 0)], LIMITS)).toEqual([
        { status: 'stale', version: 4 },
        { status: 'stale', version: 4 },
      ]);
      expect(await store.applyPlayerData([put('stats', 'again', 4), get('stats')], LIMITS)).toEqual([
        { status: 'ok', version: 5 },
        { status: 'ok', version: 5, value: 'again' },
      ]);
      // Deleting what is absent writes nothing.
      expect(await store.applyPlayerData([del('never', 0), get('never')], LIMITS)).toEqual([
        { status: 'ok', version: 0 },
        { status: 'ok', version: 0 },
      ]);
    });

    it('runs a batch in order (a later op sees an earlier write) and a refusal does not stop the others', async () => {
      const r = await store.applyPlayerData(
        [put('a', 1, 0), put('a', 2, 0), put('a', 3, 1), get('a'), put('b', [1, 'x', null, { y: true }], 0, 'p2')],
        LIMITS,
      );
      expect(r).toEqual([
        { status: 'ok', version: 1 },
        { status: 'stale', version: 1 },
        { status: 'ok', version: 2 },
        { status: 'ok', version: 2, value: 3 },
        { status: 'ok', version: 1 },
      ]);
      expect(await store.applyPlayerData([get('b', 'p2')], LIMITS)).toEqual([
        { status: 'ok', version: 1, value: [1, 'x', null, { y: true }] },
      ]);
    });

    it('keeps each player within its byte and key limits; replacing a value counts its new size only', async () => {
      const big = 'x'.repeat(40); // 42 bytes as JSON
      expect(await store.applyPlayerData([put('a', big, 0), put('b', big, 0)], LIMITS)).toEqual([
        { status: 'ok', version: 1 },
        { status: 'ok', version: 1 },
      ]);
      // 84 + 42 > 100: refused; the same value under an existing key replaces it (84 bytes).
      expect(await store.applyPlayerData([put('c', big, 0)], LIMITS)).toEqual([{ status: 'quota', bytes: 126, keys: 3 }]);
      expect(await store.applyPlayerData([put('a', big, 1)], LIMITS)).toEqual([{ status: 'ok', version: 2 }]);
      expect(await store.applyPlayerData([put('c', 1, 0), put('d', 1, 0)], LIMITS)).toEqual([
        { status: 'ok', version: 1 },
        { status: 'quota', bytes: 86, keys: 4 },
      ]);
      // A deleted key (a tombstone) frees its bytes and its key.
      expect(await store.applyPlayerData([del('a', 2), put('d', 1, 0)], LIMITS)).toEqual([
        { status: 'ok', version: 3 },
        { status: 'ok', version: 1 },
      ]);
      // Another player has its own allowance.
      expect(await store.applyPlayerData([put('c', big, 0, 'p2')], LIMITS)).toEqual([{ status: 'ok', version: 1 }]);
      expect(await store.applyPlayerData([get('c'), get('d'), get('a')], LIMITS)).toEqual([
        { status: 'ok', version: 1, value: 1 },
        { status: 'ok', version: 1, value: 1 },
        { status: 'ok', version: 3 },
      ]);
    });

    it('saving and deleting ever new keys is bounded: tombstones count toward the rows a player may have', async () => {
      const limits: PlayerDataLimits = { ...LIMITS, maxDeletedKeysPerPlayer: 4 };
      const answers: string[] = [];
      for (let i = 0; i < 12; i++) {
        const [r] = await store.applyPlayerData([put(`k${i}`, i, 0), del(`k${i}`, 1)], limits);
        answers.push(r?.status ?? 'none');
      }
      // 3 + 4 rows: the 8th new key and every one after it is refused (nothing written).
      expect(answers).toEqual([...new Array(7).fill('ok'), ...new Array(5).fill('quota')]);
      expect(await store.applyPlayerData([get('k7')], limits)).toEqual([{ status: 'ok', version: 0 }]);
      // A deleted key can be re-created (its row is reused), with the delete's version.
      expect(await store.applyPlayerData([put('k0', 'again', 2)], limits)).toEqual([{ status: 'ok', version: 3 }]);
      // Another player is not affected.
      expect(await store.applyPlayerData([put('k99', 1, 0, 'p2')], limits)).toEqual([{ status: 'ok', version: 1 }]);
    });

    it('values survive a close and reopen', async () => {
      await store.applyPlayerData([put('profile', { name: 'ann', level: 7, tags: ['a', 'é✓'] }, 0)], LIMITS);
      await store.close();
      store = await handle.open();
      expect(await store.applyPlayerData([get('profile')], LIMITS)).toEqual([
        { status: 'ok', version: 1, value: { name: 'ann', level: 7, tags: ['a', 'é✓'] } },
      ]);
    });

    it.skipIf(name !== 'sqlite')(
      'a version that is no integer (a damaged file) reads as 0; the next write stores the version it answers',
      async () => {
        await store.applyPlayerData([put('stats', 1, 0), put('bag', 2, 0), put('gone', 3, 0)], LIMITS);
        // SQLite's INTEGER columns take any value; before, such a row read as NaN: every expected version stale.
        await handle.raw(
          "UPDATE player_data SET version = 'x' WHERE data_key = 'stats'; UPDATE player_data SET version = '7abc' WHERE data_key <> 'stats'",
        );
        expect(await store.applyPlayerData([get('stats'), put('stats', 9, 1)], LIMITS)).toEqual([
          { status: 'ok', version: 0, value: 1 },
          { status: 'stale', version: 0 },
        ]);
        expect(await store.applyPlayerData([put('stats', 9, 0), del('gone', 0)], LIMITS)).toEqual([
          { status: 'ok', version: 1 },
          { status: 'ok', version: 1 },
        ]);
        const versions = async (): Promise<unknown[]> => handle.query('SELECT data_key, version FROM player_data ORDER BY data_key');
        expect(await versions()).toEqual([
          { data_key: 'bag', version: '7abc' },
          { data_key: 'gone', version: 1 },
          { data_key: 'stats', version: 1 },
        ]);
        expect(await store.applyPlayerData([{ op: 'forget', playerId: 'p1' }], LIMITS)).toEqual([
          {
            status: 'forgotten',
            keys: [
              { key: 'bag', version: 1 },
              { key: 'stats', version: 2 },
            ],
          },
        ]);
        expect(await versions()).toEqual([
          { data_key: 'bag', version: 1 },
          { data_key: 'gone', version: 1 },
          { data_key: 'stats', version: 2 },
        ]);
      },
    );

    it('two stores (two instances) saving on the same version: exactly one wins, the other is told the new version', async () => {
      const other = await handle.open();
      extra.push(other);
      await store.applyPlayerData([put('k', 0, 0)], LIMITS);
      for (let round = 1; round <= 5; round++) {
        const [a, b] = await Promise.all([
          store.applyPlayerData([put('k', `a${round}`, round)], LIMITS),
          other.applyPlayerData([put('k', `b${round}`, round)], LIMITS),
        ]);
        const results = [a[0], b[0]];
        expect(results.filter((r) => r?.status === 'ok')).toEqual([{ status: 'ok', version: round + 1 }]);
        expect(results.filter((r) => r?.status === 'stale')).toEqual([{ status: 'stale', version: round + 1 }]);
      }
      const [final] = await store.applyPlayerData([get('k')], LIMITS);
      expect(final).toMatchObject({ status: 'ok', version: 6 });
    });
  });
}
