/**
 * "Forget player" erases the player's values from batch records (table `player_data_batches`,
 * read here directly), over SQLite and a real PostgreSQL started here: the loads of writing batches
 * recorded before the forget, and a load earlier in the forget's own batch. A retry of such a batch
 * still replays its writes (not applied again); its redacted loads answer what a load right after
 * the forget reads (no value, the tombstone's version). Other players' recorded loads are kept. A
 * new service prunes records past the retention at start, without waiting for a batch.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PlayerDataService } from '../../../src/player-data/player-data-service.js';
import type { PlayerDataLimits, PlayerDataOp, Store } from '../../../src/store/types.js';
import { getOp as get, putOp as put } from '../../helpers/player-data-ops.js';
import { type StoreHandle, sqliteAndPostgres } from '../../helpers/store-factories.js';

const factories = await sqliteAndPostgres('player data forget records');

const LIMITS: PlayerDataLimits = { maxBytesPerPlayer: 1000, maxKeysPerPlayer: 10 };
const forget = (playerId = 'p1'): PlayerDataOp => ({ op: 'forget', playerId });

for (const { factory, name } of factories) {
  describe.skipIf(!factory)(`forget erases the player's values from batch records: ${name}`, () => {
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

    /** Every batch record's text, in one string. */
    const records = async (): Promise<string> =>
      (await handle.query('SELECT batch_id, results FROM player_data_batches ORDER BY batch_id'))
        .map((r) => `${String(r.batch_id)}=${String(r.results)}`)
        .join('\n');

    it('after a forget no record holds a value of the player; retries replay the writes, the loads answer the tombstone', async () => {
      await store.applyPlayerData(
        [put('stats', { s: 'P1-SECRET-A' }, 0), put('name', 'P1-SECRET-B', 0), put('x', 'P2-KEEP', 0, 'p2')],
        LIMITS,
      );
      const w1 = [get('stats'), put('score', 1, 0), get('x', 'p2')];
      const w2 = [get('name'), put('name', 'P1-SECRET-C', 1), get('name'), put('y', 2, 0, 'p2')];
      const first1 = await store.applyPlayerData(w1, LIMITS, { batchId: 'W1' });
      const first2 = await store.applyPlayerData(w2, LIMITS, { batchId: 'W2' });
      expect(first1[0]).toEqual({ status: 'ok', version: 1, value: { s: 'P1-SECRET-A' } });
      expect(first2[2]).toEqual({ status: 'ok', version: 2, value: 'P1-SECRET-C' });
      expect(await records()).toContain('P1-SECRET-A'); // the records do hold the values before the forget

      const [forgotten] = await store.applyPlayerData([forget()], LIMITS, { batchId: 'F' });
      expect(forgotten).toEqual({
        status: 'forgotten',
        keys: [
          { key: 'name', version: 3 },
          { key: 'score', version: 2 },
          { key: 'stats', version: 2 },
        ],
      });
      const text = await records();
      expect(text).not.toContain('P1-SECRET');
      expect(text).toContain('P2-KEEP'); // another player's recorded load is kept

      // Retries of the batches (their COMMIT landed, the answer was lost): the writes are replayed, not
      // applied again; each load of p1 answers what a load right after the forget reads.
      expect(await store.applyPlayerData(w1, LIMITS, { batchId: 'W1', retry: true })).toEqual([
        { status: 'ok', version: 2 },
        { status: 'ok', version: 1 },
        { status: 'ok', version: 1, value: 'P2-KEEP' },
      ]);
      expect(await store.applyPlayerData(w2, LIMITS, { batchId: 'W2', retry: true })).toEqual([
        { status: 'ok', version: 3 },
        { status: 'ok', version: 2 },
        { status: 'ok', version: 3 },
        { status: 'ok', version: 1 },
      ]);
      expect(store.stats().playerDataReplayed).toBe(2);
      expect(await store.applyPlayerData([get('name'), get('score'), get('y', 'p2')], LIMITS)).toEqual([
        { status: 'ok', version: 3 },
        { status: 'ok', version: 2 },
        { status: 'ok', version: 1, value: 2 },
      ]);
    });

    it("a load before a forget in the forget's own batch: answered the value, recorded without it", async () => {
      await store.applyPlayerData([put('stats', 'P1-SECRET-D', 0)], LIMITS);
      const batch = [get('stats'), forget(), get('stats')];
      expect(await store.applyPlayerData(batch, LIMITS, { batchId: 'G' })).toEqual([
        { status: 'ok', version: 1, value: 'P1-SECRET-D' },
        { status: 'forgotten', keys: [{ key: 'stats', version: 2 }] },
        { status: 'ok', version: 2 },
      ]);
      expect(await records()).not.toContain('P1-SECRET');
      expect(await store.applyPlayerData(batch, LIMITS, { batchId: 'G', retry: true })).toEqual([
        { status: 'ok', version: 2 },
        { status: 'forgotten', keys: [{ key: 'stats', version: 2 }] },
        { status: 'ok', version: 2 },
      ]);
    });

    it("a damaged record: a forget in a batch with other players' calls goes through, the record emptied; its retry runs nothing again", async () => {
      await store.applyPlayerData([put('stats', { s: 'P1-SECRET-A' }, 0)], LIMITS);
      await store.applyPlayerData([get('stats'), put('score', 1, 0)], LIMITS, { batchId: 'W1' });
      // A flipped bit on disk, a hand edit: the record's text is no longer JSON (it still holds the value's bytes).
      await handle.raw(`UPDATE player_data_batches SET results = 'x[{"value":{"s":"P1-SECRET-A"}' WHERE batch_id = 'W1'`);
      // Before: the forget's SyntaxError failed this whole batch, p2's save too.
      const answers = await store.applyPlayerData([forget(), put('x', 'P2', 0, 'p2')], LIMITS, { batchId: 'F' });
      expect(answers).toEqual([
        {
          status: 'forgotten',
          keys: [
            { key: 'score', version: 2 },
            { key: 'stats', version: 2 },
          ],
        },
        { status: 'ok', version: 1 },
      ]);
      expect(await records()).not.toContain('P1-SECRET-A');
      expect(await records()).toContain('W1=[]');
      // A retry of W1 answers nothing from its record, and runs none of its operations again.
      expect(await store.applyPlayerData([get('stats'), put('score', 1, 0)], LIMITS, { batchId: 'W1', retry: true })).toEqual([]);
      expect(await store.applyPlayerData([get('score')], LIMITS)).toEqual([{ status: 'ok', version: 2 }]);
    });

    it('a new service prunes records past the retention at start, before any batch', async () => {
      await handle.raw(
        `INSERT INTO player_data_batches (batch_id, results, created_at) VALUES ('ancient', '[{"status":"ok","version":1,"value":"OLD"}]', 1)`,
      );
      await store.applyPlayerData([put('k', 1, 0)], LIMITS, { batchId: 'recent' });
      const svc = new PlayerDataService({ store });
      await svc.close();
      expect(svc.stats().batches).toBe(0);
      const ids = (await handle.query('SELECT batch_id FROM player_data_batches')).map((r) => r.batch_id);
      expect(ids).toEqual(['recent']);
    });
  });
}
