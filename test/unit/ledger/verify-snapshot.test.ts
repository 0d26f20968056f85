/**
 * `verifyLedger` reads a player's entries and summary from one snapshot (`Store.readPlayerLedger`), on a
 * real PostgreSQL: a commit landing between the read of the entries and the read of the summary — caused
 * as in test/unit/store/ledger-snapshot.test.ts, another session holding `ledger_balances` locked so that
 * the summary's SELECT waits, committing an entry meanwhile — is in neither half, not a mismatch.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { verifyLedger } from '../../../src/ledger/verify.js';
import { rewardEntry } from '../../helpers/ledger-entries.js';
import { freshStoreEach, sqliteAndPostgres } from '../../helpers/store-factories.js';

const factories = await sqliteAndPostgres('verify snapshot');
const pgFactory = factories.find((f) => f.name === 'postgres')?.factory;

describe.skipIf(!pgFactory)('verify: one snapshot per player (postgres)', () => {
  const fresh = freshStoreEach(pgFactory);

  it('a commit landing while verify reads the player is in neither the entries nor the summary: no mismatch', async () => {
    const { store, handle } = fresh;
    await store.commitLedger([rewardEntry('a', { coinsDelta: 5 })]);
    const seqA = (await store.ledgerBalance('p1')).lastSeq;
    const other = new pg.Client({ connectionString: handle.url });
    await other.connect();
    const watcher = new pg.Client({ connectionString: handle.url });
    await watcher.connect();
    try {
      await other.query('BEGIN');
      await other.query('LOCK TABLE ledger_balances IN ACCESS EXCLUSIVE MODE');
      const verified = verifyLedger({ store, live: [{ playerId: 'p1', coins: 5, items: {}, appliedSeq: seqA }] });
      // A read of the summary waits for the lock (this file's database only: the server is shared).
      for (;;) {
        const r = await watcher.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%ledger_balances%'`,
        );
        if (r.rows[0].n > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await other.query(
        `INSERT INTO ledger (world_id, player_id, idem_key, kind, item, quantity, unit_price, coins_delta, status, code, fingerprint, created_at)
         VALUES ('w', 'p1', 'late', 'reward', NULL, 0, 0, 3, 'ok', NULL, 'reward|3||0', 0)`,
      );
      await other.query('COMMIT');
      const report = await verified;
      expect(report.mismatches).toEqual([]);
      // The late entry is above the live wallet's watermark: committed, not yet applied.
      expect(report.players).toBe(1);
      const again = await verifyLedger({ store, live: [{ playerId: 'p1', coins: 5, items: {}, appliedSeq: seqA }] });
      expect(again).toMatchObject({ entriesRead: 2, unapplied: 1, mismatches: [] });
    } finally {
      await other.end();
      await watcher.end();
    }
  });
});
