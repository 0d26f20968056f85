/**
 * `verifyLedger` reads a player's entries and summary from one snapshot (`Store.readPlayerLedger`), on a
 * real PostgreSQL: a commit landing between the read of the entries and the read of the summary — caused
 * as in test/unit/store/ledger-snapshot.test.ts, another session holding `ledger_balances` locked so that
 * the summary's SELECT waits, committing an entry meanwhile — is in neither half, not a mismatch.
 */
import { describe, expect, it } from 'vitest';
import { verifyLedger } from '../../../src/ledger/verify.js';
import { commitWhileBalancesLocked } from '../../helpers/balances-locked.js';
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
    const report = await commitWhileBalancesLocked(handle.url, () =>
      verifyLedger({ store, live: [{ playerId: 'p1', coins: 5, items: {}, appliedSeq: seqA }] }),
    );
    expect(report.mismatches).toEqual([]);
    // The late entry is above the live wallet's watermark: committed, not yet applied.
    expect(report.players).toBe(1);
    const again = await verifyLedger({ store, live: [{ playerId: 'p1', coins: 5, items: {}, appliedSeq: seqA }] });
    expect(again).toMatchObject({ entriesRead: 2, unapplied: 1, mismatches: [] });
  });
});
