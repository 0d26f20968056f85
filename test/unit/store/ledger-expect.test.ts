/**
 * `Store.commitLedger`'s `expect` (src/store/types.ts): a batch decided on a player's balance as of
 * `lastSeq` commits only while the stored balance is still at that seq; otherwise the whole batch is
 * refused `WT_ERR_LEDGER_STALE` and nothing is written. On PostgreSQL two writers of one player
 * (two instances, or two worlds) that decided on the same balance: exactly one commits. The ledger
 * services use it so one identity live in two worlds cannot spend the same coins twice
 * (test/integration/tx/cross-world-wallet.test.ts).
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isWorldtickError } from '../../../src/errors.js';
import { freshStoreEach, sqliteAndPostgres } from '../../helpers/store-factories.js';
import { rewardEntry } from '../../helpers/ledger-entries.js';

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

    it('two first entries at once (no balance row yet to lock): the second is refused, not committed past the first', async () => {
      // Found by the crash campaign's cross-world window (PostgreSQL seed 12): two worlds' first entries of one identity both
      // passed the check, and the world whose entry came second never learnt of the other's — its wallet skipped it for good.
      const other = await s.handle.open();
      const blocker = new pg.Client({ connectionString: s.handle.url });
      await blocker.connect();
      try {
        // Hold both writers at their INSERT (after the check) until each has reached it or waits on the other.
        await blocker.query('BEGIN');
        await blocker.query('LOCK TABLE ledger IN SHARE MODE');
        const tries = Promise.allSettled([
          s.store.commitLedger([grant('x')], undefined, new Map([['p1', 0]])),
          other.commitLedger([grant('y')], undefined, new Map([['p1', 0]])),
        ]);
        for (let i = 0; i < 200; i++) {
          const r = await blocker.query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database() AND pid <> pg_backend_pid()",
          );
          if (Number(r.rows[0].n) >= 2) break;
          await new Promise((r) => setTimeout(r, 10));
        }
        await blocker.query('COMMIT');
        const settled = await tries;
        // Before: both fulfilled (two entries decided on an empty balance).
        expect(settled.filter((t) => t.status === 'fulfilled')).toHaveLength(1);
        const refused = settled.find((t) => t.status === 'rejected');
        expect(isWorldtickError(refused?.status === 'rejected' ? refused.reason : null, 'WT_ERR_LEDGER_STALE')).toBe(true);
        expect((await s.store.ledgerBalance('p1')).coins).toBe(5);
      } finally {
        await blocker.end();
        await other.close();
      }
    });
  });
}
