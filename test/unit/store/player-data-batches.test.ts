/**
 * Player data on the store, the operations added for store outages and operators (schema 5), over
 * SQLite and a real PostgreSQL started here: a batch recorded by its id answers a retry from its
 * record (nothing applied twice, its own conditional saves not refused as stale; its reads answered
 * as they were in the batch, whatever was written since), a recorded batch stops once its read
 * answers pass a byte budget (the record stays bounded),
 * a retry of a batch that never committed applies it; old records are pruned; `list` gives every
 * row with version and size; `forget` tombstones every live key, so a writer holding an older
 * version stays refused.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PlayerDataLimits, PlayerDataOp, Store } from '../../../src/store/types.js';
import { getOp as get, putOp as put } from '../../helpers/player-data-ops.js';
import { type StoreHandle, sqliteAndPostgres } from '../../helpers/store-factories.js';

const factories = await sqliteAndPostgres('player data batches');

const LIMITS: PlayerDataLimits = { maxBytesPerPlayer: 1000, maxKeysPerPlayer: 10 };

for (const { factory, name } of factories) {
  describe.skipIf(!factory)(`player data batches and admin operations: ${name}`, () => {
    let handle: StoreHandle;
    let store: Store;
    beforeEach(async () => {
      handle = await factory!.create();
      store = await handle.open();
    });
    afterEach(async () => {
      await store.close();
      await handle.dispose();
    });

    it('a retried batch whose commit landed is answered from its record: applied once, not refused as stale', async () => {
      const batch = [put('a', 1, 0), put('b', 'x', null), get('a')];
      const first = await store.applyPlayerData(batch, LIMITS, { batchId: 'B1' });
      expect(first).toEqual([
        { status: 'ok', version: 1 },
        { status: 'ok', version: 1 },
        { status: 'ok', version: 1, value: 1 },
      ]);
      // Another writer moves `a` on meanwhile; the retry must neither re-apply nor answer stale.
      await store.applyPlayerData([put('a', 2, 1)], LIMITS, { batchId: 'B2' });
      const again = await store.applyPlayerData(batch, LIMITS, { batchId: 'B1', retry: true });
      expect(again).toEqual(first); // the read too: what it saw in the batch, not the later save
      expect(store.stats().playerDataReplayed).toBe(1);
      expect(await store.applyPlayerData([get('a'), get('b')], LIMITS)).toEqual([
        { status: 'ok', version: 2, value: 2 },
        { status: 'ok', version: 1, value: 'x' },
      ]);
    });

    it("a replay answers every read as it was in the batch: before the batch's own later writes, and before later batches", async () => {
      await store.applyPlayerData([put('a', 'v1', 0), put('gone', 1, 0)], LIMITS);
      const batch: PlayerDataOp[] = [
        get('a'),
        { op: 'list', playerId: 'p1' },
        put('a', 'v2', 1),
        get('a'),
        { op: 'delete', playerId: 'p1', key: 'gone', expectedVersion: 1 },
        get('gone'),
        get('never'),
        { op: 'forget', playerId: 'p1' },
        get('a'),
      ];
      const first = await store.applyPlayerData(batch, LIMITS, { batchId: 'R' });
      expect(first[0]).toEqual({ status: 'ok', version: 1, value: 'v1' });
      expect(first[1]).toMatchObject({
        status: 'listed',
        keys: [
          { key: 'a', version: 1 },
          { key: 'gone', version: 1 },
        ],
      });
      expect(first.slice(2)).toEqual([
        { status: 'ok', version: 2 },
        { status: 'ok', version: 2, value: 'v2' },
        { status: 'ok', version: 2 },
        { status: 'ok', version: 2 },
        { status: 'ok', version: 0 },
        { status: 'forgotten', keys: [{ key: 'a', version: 3 }] },
        { status: 'ok', version: 3 },
      ]);
      // Later batches write every key read (the one never written included) before the retry.
      await store.applyPlayerData([put('a', 'v4', 3), put('gone', 'back', 2), put('never', 'now', 0)], LIMITS, { batchId: 'later' });
      // Every answer as it was, but the loads of a value before the batch's own forget: the record keeps
      // no value of a forgotten player, they answer what a load right after the forget reads (the tombstone).
      const replayed = [...first];
      replayed[0] = replayed[3] = { status: 'ok', version: 3 };
      expect(await store.applyPlayerData(batch, LIMITS, { batchId: 'R', retry: true })).toEqual(replayed);
      expect(store.stats().playerDataReplayed).toBe(1);
      expect(await store.applyPlayerData([get('a'), get('gone'), get('never')], LIMITS)).toEqual([
        { status: 'ok', version: 4, value: 'v4' },
        { status: 'ok', version: 3, value: 'back' },
        { status: 'ok', version: 1, value: 'now' },
      ]);
    });

    it('a recorded batch stops after its read answers pass maxReadBytes: the record stays bounded, a replay answers the same prefix', async () => {
      const big = 'x'.repeat(300);
      await store.applyPlayerData([put('k1', big, 0), put('k2', big, 0), put('k3', big, 0)], LIMITS);
      const batch = [put('w', 1, 0), get('k1'), get('k2'), get('k3'), put('w', 2, 1)];
      const first = await store.applyPlayerData(batch, LIMITS, { batchId: 'S', maxReadBytes: 500 });
      // k1's answer (~340 bytes) is under the budget, k2's passes it: the batch ends there, uncommitted ops not run.
      expect(first).toEqual([
        { status: 'ok', version: 1 },
        { status: 'ok', version: 1, value: big },
        { status: 'ok', version: 1, value: big },
      ]);
      expect(await store.applyPlayerData([get('w')], LIMITS)).toEqual([{ status: 'ok', version: 1, value: 1 }]);
      await store.applyPlayerData([put('k1', 'new', 1)], LIMITS);
      expect(await store.applyPlayerData(batch, LIMITS, { batchId: 'S', retry: true, maxReadBytes: 500 })).toEqual(first);
      // Without a batch id nothing is recorded and nothing stops; a batch without writes is not recorded either.
      expect(await store.applyPlayerData(batch, LIMITS, { maxReadBytes: 500 })).toHaveLength(5);
      expect(await store.applyPlayerData([get('k1'), get('k2'), get('k3')], LIMITS, { batchId: 'RO', maxReadBytes: 10 })).toHaveLength(3);
    });

    it('a record written before reads were recorded (null for each read) replays its writes and runs its reads again', async () => {
      await store.applyPlayerData([put('a', 1, 0)], LIMITS);
      await handle.raw(
        `INSERT INTO player_data_batches (batch_id, results, created_at) VALUES ('older', '[{"status":"ok","version":1},null]', ${Date.now()})`,
      );
      expect(await store.applyPlayerData([put('a', 1, 0), get('a')], LIMITS, { batchId: 'older', retry: true })).toEqual([
        { status: 'ok', version: 1 },
        { status: 'ok', version: 1, value: 1 },
      ]);
      expect(store.stats().playerDataReplayed).toBe(1);
    });

    it('a retry of a batch that never committed applies it, with its version checks made then', async () => {
      const r = await store.applyPlayerData([put('a', 1, 0), put('c', 1, 5)], LIMITS, { batchId: 'never', retry: true });
      expect(r).toEqual([
        { status: 'ok', version: 1 },
        { status: 'stale', version: 0 },
      ]);
      expect(store.stats().playerDataReplayed).toBe(0);
      // Recorded now: a further retry replays it.
      expect(await store.applyPlayerData([put('a', 1, 0), put('c', 1, 5)], LIMITS, { batchId: 'never', retry: true })).toEqual(r);
      expect(store.stats().playerDataReplayed).toBe(1);
    });

    it('records older than pruneBefore are deleted (a retry then applies again: records must outlive retries)', async () => {
      await store.applyPlayerData([put('a', 1, null)], LIMITS, { batchId: 'old' });
      await store.applyPlayerData([get('a')], LIMITS, { pruneBefore: Date.now() + 1 });
      expect(await store.applyPlayerData([put('a', 1, null)], LIMITS, { batchId: 'old', retry: true })).toEqual([
        { status: 'ok', version: 2 },
      ]);
    });

    it('list gives every row (tombstones too) with version and size; forget tombstones every live key in one write', async () => {
      await store.applyPlayerData([put('stats', { w: 1 }, 0), put('name', 'ann', 0), put('gone', 1, 0)], LIMITS);
      await store.applyPlayerData([{ op: 'delete', playerId: 'p1', key: 'gone', expectedVersion: 1 }, put('stats', { w: 2 }, 1)], LIMITS);
      await store.applyPlayerData([put('x', 1, 0, 'p2')], LIMITS);
      const [listed] = await store.applyPlayerData([{ op: 'list', playerId: 'p1' }], LIMITS);
      expect(listed).toMatchObject({
        status: 'listed',
        keys: [
          { key: 'gone', version: 2, bytes: 0, deleted: true },
          { key: 'name', version: 1, bytes: 5, deleted: false },
          { key: 'stats', version: 2, bytes: 7, deleted: false },
        ],
      });
      if (listed?.status !== 'listed') throw new Error('not listed');
      for (const k of listed.keys) expect(k.updatedAt).toBeGreaterThan(Date.now() - 60_000);

      const [forgotten] = await store.applyPlayerData([{ op: 'forget', playerId: 'p1' }], LIMITS, { batchId: 'F' });
      expect(forgotten).toEqual({
        status: 'forgotten',
        keys: [
          { key: 'name', version: 2 },
          { key: 'stats', version: 3 },
        ],
      });
      // A stale writer (holding version 2 of stats) is refused; the other player is untouched.
      expect(await store.applyPlayerData([put('stats', 'old', 2), get('stats'), get('x', 'p2')], LIMITS)).toEqual([
        { status: 'stale', version: 3 },
        { status: 'ok', version: 3 },
        { status: 'ok', version: 1, value: 1 },
      ]);
      const [after] = await store.applyPlayerData([{ op: 'list', playerId: 'p1' }], LIMITS);
      expect(after).toMatchObject({ status: 'listed' });
      if (after?.status === 'listed') expect(after.keys.every((k) => k.deleted && k.bytes === 0)).toBe(true);
      // Forgetting again deletes nothing; a replay of the first forget answers what it did.
      expect(await store.applyPlayerData([{ op: 'forget', playerId: 'p1' }], LIMITS)).toEqual([{ status: 'forgotten', keys: [] }]);
      expect(await store.applyPlayerData([{ op: 'forget', playerId: 'p1' }], LIMITS, { batchId: 'F', retry: true })).toEqual([forgotten]);
      expect(await store.applyPlayerData([{ op: 'list', playerId: 'nobody' }], LIMITS)).toEqual([{ status: 'listed', keys: [] }]);
    });
  });
}
