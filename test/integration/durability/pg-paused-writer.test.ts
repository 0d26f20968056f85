/**
 * A writer paused in the middle of a fenced PostgreSQL write (docs/CLUSTER.md "A writer paused
 * mid-write"). A real process (test/helpers/pg-paused-writer.ts) opens the product's store and
 * commits a fenced ledger entry; the test SIGSTOPs it while its INSERT is held on the server, so its
 * transaction is left open holding the world's fence row. The store's connections carry
 * `idle_in_transaction_session_timeout` (`idleInTransactionTimeoutMs`): the server ends the paused
 * session, its locks go, and another store's `fence` (a new owner's announce, `lockWaitMs` as the
 * cluster sets it) lands while the process is still stopped. SIGCONT: the resumed commit fails
 * `WT_ERR_STORE_UNAVAILABLE` (reason `idle`, counted `idleTransactionsEnded`), nothing of it was
 * committed, and its retry under the old token is refused (fenced). Without the setting the announce
 * never lands while the process is stopped. Real PostgreSQL (test/helpers/shared-postgres.ts).
 */
import { describe, expect, it } from 'vitest';
import { PostgresStore } from '../../../src/store/postgres-store.js';
import { startPausedWriter } from '../../helpers/pg-paused-writer.js';
import { fileDatabase } from '../../helpers/shared-postgres.js';

const { skip, db } = await fileDatabase();

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skip !== null)('PostgreSQL: a writer paused mid-write', () => {
  it('the server ends its transaction, a new owner announces while it is stopped, and its write never lands', async () => {
    const url = db?.url ?? '';
    const owner = await PostgresStore.open({ url });
    expect(await owner.fence({ worldId: 'w', token: 1 })).toBe(1);
    const writer = await startPausedWriter({ url, worldId: 'w', token: 1, idleInTransactionTimeoutMs: 700 });
    try {
      // A new owner announces token 2 with a bounded wait, tick after tick, while the process is stopped.
      let announced = 0;
      let busy = 0;
      const until = Date.now() + 6000;
      while (!announced && Date.now() < until) {
        try {
          announced = await owner.fence({ worldId: 'w', token: 2 }, { lockWaitMs: 100 });
        } catch (err) {
          expect(err).toMatchObject({ code: 'WT_ERR_STORE_UNAVAILABLE', details: { reason: 'busy' } });
          busy++;
          await sleep(100);
        }
      }
      expect(busy).toBeGreaterThan(0); // the paused writer did hold the row
      expect(announced).toBe(2);
      expect(writer.alive()).toBe(true);
      expect(writer.lines().some((l) => l.msg === 'commit')).toBe(false);

      // Resumed: its commit fails (the server ended the session), its retry under token 1 is fenced.
      writer.resume();
      expect(await writer.line('commit')).toMatchObject({
        ok: false,
        code: 'WT_ERR_STORE_UNAVAILABLE',
        reason: 'idle',
        idleTransactionsEnded: 1,
      });
      expect(await writer.line('retry')).toMatchObject({ ok: false, code: 'WT_ERR_STORE_FENCED' });
      expect(await owner.findLedgerEntries([{ playerId: 'p1', key: 'paused-1' }])).toEqual([]);
      expect(await owner.currentFence('w')).toBe(2);
    } finally {
      writer.kill();
      await owner.close();
    }
  }, 30_000);
});
