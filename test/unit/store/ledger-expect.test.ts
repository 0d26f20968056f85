/**
 * `Store.commitLedger`'s `expect` (src/store/types.ts): a batch decided on a player's balance as of
 * `lastSeq` commits only while the stored balance is still at that seq; otherwise the whole batch is
 * refused `WT_ERR_LEDGER_STALE` and nothing is written. On PostgreSQL two writers of one player
 * (two instances, or two worlds) that decided on the same balance — none yet included — exactly one
 * commits. The ledger services use it so one identity live in two worlds cannot spend the same coins
 * twice (test/integration/tx/cross-world-wallet.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { isWorldtickError } from '../../../src/errors.js';
import { freshStoreEach, sqliteAndPostgres } from '../../helpers/store-factories.js';
import { rewardEntry } from '../../helpers/ledger-entries.js';
import { settleWhileLedgerHeld } from '../../helpers/ledger-inserts-held.js';

const factories = await sqliteAndPostgres('ledger expect');

const grant = (key: string, coins = 5) => rewardEntry(key, { playerId: 'p1', coinsDelta: coins, fingerprint: `reward|${coins}` });

for (const { factory, name } of factories) {
  describe.skipIf(!factory)(`commitLedger expect (${name})`, () => {
    const s = freshStoreEach(factory);

    it('commits while the stored lastSeq is the expected one; refuses a stale batch whole, writing nothing', async () => {
      const [first] = await s.store.commitLedger([grant('a')], undefined, new Map([['p1', 0]]));
      const seq = first?.entry.seq ?? -1;
      expect((await s.store.ledgerBalance('p1')).lastSeq).toBe(seq);
      const stale = await s.store
        .commitLedger(
          [grant('b'), rewardEntry('c', { playerId: 'p2' })],
          undefined,
          new Map([
            ['p1', 0],
            ['p2', 0],
          ]),
        )
        .catch((e: unknown) => e);
      expect(isWorldtickError(stale, 'WT_ERR_LEDGER_STALE')).toBe(true);
      expect((stale as { details: { players: string[] } }).details.players).toEqual(['p1']);
      expect((await s.store.readLedger({})).map((e) => e.key)).toEqual(['a']); // p2's entry was not written either
      await s.store.commitLedger([grant('b')], undefined, new Map([['p1', seq]]));
      expect((await s.store.ledgerBalance('p1')).coins).toBe(10);
    });

    it('a first batch without an ok entry leaves the player reading as without a balance (PostgreSQL: its neutral row)', async () => {
      const refusal = rewardEntry('r', {
        playerId: 'p2',
        kind: 'purchase',
        coinsDelta: 0,
        status: 'rejected',
        code: 'TX_INSUFFICIENT_FUNDS',
      });
      await s.store.commitLedger([refusal], undefined, new Map([['p2', 0]]));
      const none = { coins: 0, items: {}, lastSeq: 0 };
      expect(await s.store.ledgerBalance('p2')).toEqual(none);
      expect((await s.store.readPlayerLedger('p2')).balance).toEqual(none);
      const [first] = await s.store.commitLedger([rewardEntry('g', { playerId: 'p2' })], undefined, new Map([['p2', 0]]));
      expect(await s.store.ledgerBalance('p2')).toEqual({ coins: 1, items: {}, lastSeq: first?.entry.seq });
    });

    // Two writers of one store file at once exist only on PostgreSQL (SQLite: one process writes, in order).
    if (name !== 'postgres') return;
    it('two writers decided on the same balance: exactly one commits', async () => {
      await s.store.commitLedger([grant('a')]);
      const seq = (await s.store.ledgerBalance('p1')).lastSeq;
      const other = await s.handle.open();
      try {
        const tries = await Promise.allSettled([
          s.store.commitLedger([grant('x', -5)], undefined, new Map([['p1', seq]])),
          other.commitLedger([grant('y', -5)], undefined, new Map([['p1', seq]])),
        ]);
        expect(tries.filter((t) => t.status === 'fulfilled')).toHaveLength(1);
        const refused = tries.find((t) => t.status === 'rejected');
        expect(isWorldtickError(refused?.status === 'rejected' ? refused.reason : null, 'WT_ERR_LEDGER_STALE')).toBe(true);
        expect((await s.store.ledgerBalance('p1')).coins).toBe(0);
      } finally {
        await other.close();
      }
    });

    it('two first entries at once (both decided on no balance row yet): exactly one commits', async () => {
      const other = await s.handle.open();
      try {
        // Both writers run their check while `ledger` is held, so neither has inserted when the other checks.
        const tries = await settleWhileLedgerHeld(s.handle.url, 2, () => [
          s.store.commitLedger([grant('x', 5)], undefined, new Map([['p1', 0]])),
          other.commitLedger([grant('y', 7)], undefined, new Map([['p1', 0]])),
        ]);
        expect(tries.filter((t) => t.status === 'fulfilled')).toHaveLength(1);
        const refused = tries.find((t) => t.status === 'rejected');
        expect(isWorldtickError(refused?.status === 'rejected' ? refused.reason : null, 'WT_ERR_LEDGER_STALE')).toBe(true);
        const entries = await s.store.readLedger({});
        expect(entries).toHaveLength(1);
        const balance = await s.store.ledgerBalance('p1');
        expect(balance).toEqual({ coins: entries[0]?.coinsDelta, items: {}, lastSeq: entries[0]?.seq });
      } finally {
        await other.close();
      }
    });
  });
}
