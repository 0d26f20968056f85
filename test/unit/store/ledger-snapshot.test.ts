/**
 * `Store.readPlayerLedger`: a player's entries and balance from one snapshot, over SQLite and a real
 * PostgreSQL. The race it closes (a commit landing between two separate reads, counted in the
 * balance and missing from the entries: the crash campaign's probe, seed 309) is caused here on
 * PostgreSQL: another session holds `ledger_balances` locked, so the balance SELECT waits after the
 * entries one; that session commits an entry meanwhile, then lets the read finish.
 */
import { describe, expect, it } from 'vitest';
import { sumBalance } from '../../../src/store/rows.js';
import type { PlayerLedger } from '../../../src/store/types.js';
import { commitWhileBalancesLocked } from '../../helpers/balances-locked.js';
import { rewardEntry } from '../../helpers/ledger-entries.js';
import { freshStoreEach, sqliteAndPostgres } from '../../helpers/store-factories.js';

const factories = await sqliteAndPostgres('ledger snapshot');

/** The two halves agree: the balance is the sum of the entries (all of them read: no limit hit). */
const expectConsistent = (r: PlayerLedger): void => {
  expect(r.balance).toEqual(sumBalance(r.entries));
  expect(r.balance.lastSeq).toBe(r.entries.at(-1)?.seq ?? 0);
};

for (const { factory, name } of factories) {
  describe.skipIf(!factory)(`ledger snapshot: ${name}`, () => {
    const fresh = freshStoreEach(factory);

    it('reads entries and balance of one player, with afterSeq and limit as readLedger', async () => {
      const { store } = fresh;
      expectConsistent(await store.readPlayerLedger('p1'));
      await store.commitLedger([
        rewardEntry('a', { coinsDelta: 5 }),
        rewardEntry('b', { item: 'potion', quantity: 2, coinsDelta: 0 }),
        rewardEntry('c', { playerId: 'p2', coinsDelta: 7 }),
        rewardEntry('d', { coinsDelta: -1 }),
      ]);
      const all = await store.readPlayerLedger('p1');
      expectConsistent(all);
      expect(all.entries.map((e) => e.key)).toEqual(['a', 'b', 'd']);
      expect(all.balance).toMatchObject({ coins: 4, items: { potion: 2 } });
      expect(all.balance).toEqual(await store.ledgerBalance('p1'));
      const page = await store.readPlayerLedger('p1', { afterSeq: all.entries[0]?.seq ?? 0, limit: 1 });
      expect(page.entries.map((e) => e.key)).toEqual(['b']);
      expect(page.balance).toEqual(all.balance);
      expect((await store.readPlayerLedger('p2')).balance.coins).toBe(7);
    });

    it('is not counted as a write transaction', async () => {
      const { store } = fresh;
      const before = store.stats().transactions;
      await store.readPlayerLedger('p1');
      expect(store.stats().transactions).toBe(before);
    });

    it.runIf(name === 'postgres')('a commit landing between the two SELECTs is in neither half', async () => {
      const { store, handle } = fresh;
      await store.commitLedger([rewardEntry('a', { coinsDelta: 5 })]);
      const r = await commitWhileBalancesLocked(handle.url, () => store.readPlayerLedger('p1'));
      // The balance SELECT waited after the entries one: neither half holds the late entry.
      expectConsistent(r);
      expect(r.entries.map((e) => e.key)).toEqual(['a']);
      expectConsistent(await store.readPlayerLedger('p1'));
      expect((await store.readPlayerLedger('p1')).balance.coins).toBe(8);
    });
  });
}
