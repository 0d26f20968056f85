/**
 * The per-player ledger summary (schema 9 `ledger_balances`, kept by a trigger in the inserting
 * transaction) over SQLite and a real PostgreSQL: `ledgerBalance` reads it, and it always equals
 * the sum of the player's `ok` entries — after many batches, replayed keys, recorded refusals,
 * fenced commits, pruned refusals, two writers at once, and after a pre-summary database upgrades.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyOffline } from '../../../src/cli/verify.js';
import { LATEST_SCHEMA_VERSION } from '../../../src/store/migrations.js';
import { sumBalance } from '../../../src/store/rows.js';
import type { Balance, LedgerEntryInput, Store } from '../../../src/store/types.js';
import { rewardEntry } from '../../helpers/ledger-entries.js';
import { type StoreHandle, sqliteAndPostgres } from '../../helpers/store-factories.js';
import { codeOf } from '../../helpers/code-of.js';

const factories = await sqliteAndPostgres('ledger summary');

const ITEMS = ['potion', 'arrow', 'odd.id-with_dots', 'quote"d'];

/** Entry `i` of a deterministic mix: rewards with and without items, purchases, refusals. */
const mixed = (playerId: string, i: number, prefix = 'k'): LedgerEntryInput => {
  const key = `${prefix}${i}`;
  const item = ITEMS[i % ITEMS.length] ?? null;
  switch (i % 5) {
    case 0:
      return rewardEntry(key, { playerId, coinsDelta: 20 + (i % 7) });
    case 1:
      return rewardEntry(key, { playerId, item, quantity: 1 + (i % 3), coinsDelta: 0 });
    case 2:
      return rewardEntry(key, { playerId, kind: 'purchase', item, quantity: 2, unitPrice: 3, coinsDelta: -6 });
    case 3:
      return rewardEntry(key, {
        playerId,
        kind: 'purchase',
        item,
        quantity: 9,
        unitPrice: 99,
        coinsDelta: 0,
        status: 'rejected',
        code: 'TX_INSUFFICIENT_FUNDS',
        createdAt: 1000,
      });
    default:
      return rewardEntry(key, { playerId, coinsDelta: -1 });
  }
};

/** The balance summed from every stored entry of `playerId` (the old, O(history) way). */
const summed = async (store: Store, playerId: string): Promise<Balance> => sumBalance(await store.readLedger({ playerId }));

for (const { factory, name } of factories) {
  describe.skipIf(!factory)(`ledger summary: ${name}`, () => {
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

    /** The summary row of `playerId` as stored (undefined: none). */
    const row = async (playerId: string): Promise<Record<string, unknown> | undefined> =>
      (await handle.query(`SELECT coins, items, last_seq FROM ledger_balances WHERE player_id = '${playerId}'`))[0];

    const expectSummaryIsSum = async (playerId: string): Promise<Balance> => {
      const b = await summed(store, playerId);
      expect(await store.ledgerBalance(playerId)).toEqual(b);
      const r = await row(playerId);
      expect(r && { coins: Number(r.coins), items: JSON.parse(String(r.items)) as unknown, lastSeq: Number(r.last_seq) }).toEqual(b);
      return b;
    };

    it('keeps one row per player equal to the sum of its ok entries over many batches; refusals leave it alone', async () => {
      for (let batch = 0; batch < 12; batch++) {
        const entries: LedgerEntryInput[] = [];
        for (let i = 0; i < 25; i++) entries.push(mixed(i % 3 === 0 ? 'p2' : 'p1', batch * 25 + i));
        await store.commitLedger(entries);
      }
      const p1 = await expectSummaryIsSum('p1');
      await expectSummaryIsSum('p2');
      // Item ids a JSON path would misread (a dot) or could not quote (a double quote) are summed too.
      expect(p1.items['odd.id-with_dots']).toBeGreaterThan(0);
      expect(p1.items['quote"d']).toBeGreaterThan(0);
      expect(await handle.query('SELECT player_id FROM ledger_balances ORDER BY player_id')).toEqual([
        { player_id: 'p1' },
        { player_id: 'p2' },
      ]);
      // A recorded refusal changes nothing, not even the last seq (ok entries only).
      await store.commitLedger([mixed('p1', 3, 'refused-')]);
      expect(await store.ledgerBalance('p1')).toEqual(p1);
      // A player with refusals only has no summary: the empty balance.
      await store.commitLedger([mixed('p3', 3)]);
      expect(await row('p3')).toBeUndefined();
      expect(await store.ledgerBalance('p3')).toEqual({ coins: 0, items: {}, lastSeq: 0 });
    });

    it('counts a replayed key once (a key again in a later batch, and twice in one batch)', async () => {
      await store.commitLedger([mixed('p1', 0), mixed('p1', 1), mixed('p1', 2)]);
      const before = await expectSummaryIsSum('p1');
      const again = await store.commitLedger([mixed('p1', 0), mixed('p1', 1), mixed('p1', 2)]);
      expect(again.every((r) => r.duplicate)).toBe(true);
      expect(await expectSummaryIsSum('p1')).toEqual(before);
      const twice = await store.commitLedger([rewardEntry('x', { coinsDelta: 7 }), rewardEntry('x', { coinsDelta: 8 })]);
      expect(twice.map((r) => r.duplicate)).toEqual([false, true]);
      expect((await expectSummaryIsSum('p1')).coins).toBe(before.coins + 7);
    });

    it('a fenced commit changes nothing; pruning refusals changes nothing', async () => {
      await store.commitLedger([mixed('p1', 0), mixed('p1', 1), mixed('p1', 3)], { worldId: 'w', token: 5 });
      const before = await expectSummaryIsSum('p1');
      expect(await codeOf(store.commitLedger([mixed('p1', 5), mixed('p1', 6)], { worldId: 'w', token: 4 }))).toBe('WT_ERR_STORE_FENCED');
      expect(await expectSummaryIsSum('p1')).toEqual(before);
      expect(await store.pruneLedgerRefusals(Date.now() + 1, 100)).toBe(1);
      expect(await expectSummaryIsSum('p1')).toEqual(before);
    });

    it('two writers committing for the same players at once lose no update', async () => {
      const other = await handle.open();
      try {
        const writes: Array<Promise<unknown>> = [];
        for (let b = 0; b < 8; b++) {
          const batch = (prefix: string): LedgerEntryInput[] =>
            [0, 1, 2, 4, 5, 6].map((i) => mixed(i % 2 ? 'p1' : 'p2', b * 10 + i, prefix));
          writes.push(store.commitLedger(batch('a')), other.commitLedger(batch('b')));
        }
        await Promise.all(writes);
      } finally {
        await other.close();
      }
      await expectSummaryIsSum('p1');
      await expectSummaryIsSum('p2');
    });

    it("a damaged row reads as the ledger's sum and is rewritten by the player's next commit; the batch's other players are not affected", async () => {
      const entries: LedgerEntryInput[] = [];
      for (let i = 0; i < 40; i++) entries.push(mixed(['p1', 'p2', 'p3', 'p5'][i % 4] ?? 'p1', i));
      await store.commitLedger(entries);
      // Items not JSON, JSON that is not an object, an object whose counts are not integers (a flipped bit, a hand
      // edit); on SQLite, whose INTEGER columns take any value, coins and last_seq that are not integers too
      // (PostgreSQL's BIGINT columns hold integers only: p5 stays intact there).
      const damage: Array<[string, string]> = [
        ['p1', "items = 'x{'"],
        ['p2', "items = '[1]'"],
        ['p3', `items = '{"potion":"x"}'`],
      ];
      if (name === 'sqlite') damage.push(['p5', "coins = 'x', last_seq = 2.5"]);
      for (const [p, set] of damage) await handle.raw(`UPDATE ledger_balances SET ${set} WHERE player_id = '${p}'`);
      const damaged = damage.map(([p]) => p);
      const players = ['p1', 'p2', 'p3', 'p4', 'p5'];
      const before = store.stats().ledgerBalancesDamaged;
      for (const p of players) {
        const sum = await summed(store, p);
        expect(await store.ledgerBalance(p)).toEqual(damaged.includes(p) ? { ...sum, unreadable: true } : sum);
      }
      expect((await store.readPlayerLedger('p1')).balance).toEqual({ ...(await summed(store, 'p1')), unreadable: true });
      expect(store.stats().ledgerBalancesDamaged - before).toBe(damaged.length + 1);
      // `verify` (offline, its own connection) names each damaged row (the mix also spends below 0: negative-coins).
      const summaryMismatches = async () =>
        (await verifyOffline(handle.dataDir ?? '', handle.url ?? '')).mismatches.filter((m) => m.field.startsWith('summary:'));
      expect(await summaryMismatches()).toEqual(
        damaged.map((playerId) => ({ playerId, source: 'ledger', field: 'summary:unreadable', ledger: 0, held: 1 })),
      );
      // One batch of every player, decided on the balances as read (before: the trigger failed on p1's text,
      // and with it the whole batch, p4's entry too).
      const expect0 = new Map<string, number>();
      for (const p of players) expect0.set(p, (await store.ledgerBalance(p)).lastSeq);
      const next = players.map((p, i) => rewardEntry(`again${i}`, { playerId: p, item: 'potion', quantity: 2 }));
      expect((await store.commitLedger(next, undefined, expect0)).map((r) => r.duplicate)).toEqual(players.map(() => false));
      for (const p of players) await expectSummaryIsSum(p); // the stored rows are whole again
      const after = store.stats().ledgerBalancesDamaged;
      // The reads above, as many more for the expectation, as many at the commit.
      expect(after - before).toBe(3 * damaged.length + 1);
      for (const p of players) expect(await store.ledgerBalance(p)).not.toHaveProperty('unreadable');
      expect(store.stats().ledgerBalancesDamaged).toBe(after); // repaired: no longer counted
      expect(await summaryMismatches()).toEqual([]);
    });

    it('entries damaged past an integer, with the summary damaged too: the balance reads; a batch with that player is refused for it alone', async () => {
      await store.commitLedger([0, 1, 2, 3, 4, 5, 6, 7].map((i) => mixed(i % 2 ? 'p1' : 'p2', i)));
      // Two of p1's ok entries hand-edited to 2^63 - 1: their sum is past what an integer holds. Before, on SQLite,
      // sum() failed with "integer overflow" (the read, and every batch holding p1); on PostgreSQL, the rewrite of
      // the summary failed ("out of range for type bigint") and with it the whole batch, p2's entry too.
      await handle.raw("UPDATE ledger SET coins_delta = 9223372036854775807 WHERE player_id = 'p1' AND status = 'ok'");
      await handle.raw("UPDATE ledger_balances SET items = 'x{' WHERE player_id = 'p1'");
      const b = await store.ledgerBalance('p1');
      expect(b).toMatchObject({ unreadable: true });
      expect(b.coins).toBeGreaterThan(Number.MAX_SAFE_INTEGER);
      const p2 = (await store.ledgerBalance('p2')).lastSeq;
      const next = ['p1', 'p2'].map((p, i) => rewardEntry(`big${i}`, { playerId: p, item: 'potion', quantity: 1 }));
      const refused = await store
        .commitLedger(
          next,
          undefined,
          new Map([
            ['p1', b.lastSeq],
            ['p2', p2],
          ]),
        )
        .catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: 'WT_ERR_LEDGER_DAMAGED', details: { players: ['p1'] } });
      expect(await store.findLedgerEntries([{ playerId: 'p2', key: 'big1' }])).toEqual([]); // nothing written
      // Without p1 the batch commits (what the ledger service does with the refusal).
      expect((await store.commitLedger(next.slice(1), undefined, new Map([['p2', p2]]))).map((r) => r.duplicate)).toEqual([false]);
      await expectSummaryIsSum('p2');
    });

    it('a pre-summary database (schema 8) is upgraded: the summary is back-filled from the existing entries', async () => {
      await store.commitLedger([mixed('p1', 0), mixed('p1', 1), mixed('p1', 2), mixed('p2', 5)]);
      await store.close();
      // What the release before the summary left: no table, no trigger, schema 8 ...
      const downgrade =
        name === 'postgres'
          ? 'DROP TRIGGER ledger_balances_ok ON ledger; DROP FUNCTION ledger_balances_ok(); DROP TABLE ledger_balances; DROP INDEX players_anonymous'
          : 'DROP TRIGGER ledger_balances_ok; DROP TABLE ledger_balances; DROP INDEX players_anonymous';
      await handle.raw(`${downgrade}; DELETE FROM schema_migrations WHERE version >= 9`);
      // ... and entries that build wrote (no trigger to keep a summary).
      await handle.raw(`INSERT INTO ledger (world_id, player_id, idem_key, kind, item, quantity, unit_price, coins_delta, status, code, fingerprint, created_at)
        VALUES ('w', 'p1', 'old-1', 'reward', 'potion', 4, 0, 11, 'ok', NULL, 'f', 1),
               ('w', 'p1', 'old-2', 'purchase', 'potion', 40, 5, 0, 'rejected', 'TX_INSUFFICIENT_FUNDS', 'f', 1),
               ('w', 'p3', 'old-3', 'reward', NULL, 0, 0, 5, 'ok', NULL, 'f', 1)`);
      store = await handle.open();
      expect(store.migration?.applied.map((m) => m.version)).toEqual([9, 10]);
      expect(await store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
      const p1 = await expectSummaryIsSum('p1');
      expect(p1.items.potion ?? 0).toBeGreaterThanOrEqual(4);
      await expectSummaryIsSum('p2');
      expect(await expectSummaryIsSum('p3')).toEqual({ coins: 5, items: {}, lastSeq: expect.any(Number) });
      // Kept from then on.
      await store.commitLedger([rewardEntry('after', { item: 'potion', quantity: 1, coinsDelta: 2 })]);
      expect((await expectSummaryIsSum('p1')).coins).toBe(p1.coins + 2);
    });
  });
}
