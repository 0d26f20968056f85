/**
 * A writer paused in the middle of a fenced PostgreSQL write (docs/CLUSTER.md "A writer paused
 * mid-write"). A real process (test/helpers/pg-paused-writer-main.ts) opens the product's store and
 * commits a fenced ledger entry; a statement trigger of the test's makes its INSERT sleep, the test
 * SIGSTOPs the process while it does, so the transaction is left open holding the world's fence row
 * once the INSERT returns. The store's connections carry `idle_in_transaction_session_timeout`
 * (`idleInTransactionTimeoutMs`): the server ends the paused session, its locks go, and another
 * store's `fence` (a new owner's announce, `lockWaitMs` as the cluster sets it) lands while the
 * process is still stopped. SIGCONT: the resumed commit fails `WT_ERR_STORE_UNAVAILABLE` (reason
 * `idle`, counted `idleTransactionsEnded`), nothing of it was committed, and its retry under the old token is refused (fenced).
 * Without the setting the announce never lands while the process is stopped. Real PostgreSQL
 * (test/helpers/shared-postgres.ts).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../../src/store/postgres-store.js';
import { childNodeArgs } from '../../helpers/child-node.js';
import type { PgServer } from '../../helpers/postgres-server.js';
import { freshDatabase, withPgClient } from '../../helpers/shared-postgres.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const server = await freshDatabase();
const skip = 'skip' in server ? server.skip : null;
const db = skip ? null : (server as PgServer);
afterAll(async () => {
  await db?.destroy();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const APP = 'wt-paused-writer';
/** The server's idle-in-transaction bound the child's store is opened with (ms). */
const IDLE_MS = 700;

// A statement trigger that holds the paused writer's INSERT into the ledger on the server for a while
// (its session, not the test's), so the test can stop the process with the fence row already locked.
const SLOW_INSERT = [
  `CREATE FUNCTION wt_test_slow_insert() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN IF current_setting('application_name') = '${APP}' THEN PERFORM pg_sleep(1.5); END IF; RETURN NULL; END $$`,
  'CREATE TRIGGER wt_test_slow_insert BEFORE INSERT ON ledger FOR EACH STATEMENT EXECUTE FUNCTION wt_test_slow_insert()',
];

describe.skipIf(skip !== null)('PostgreSQL: a writer paused mid-write', () => {
  it('the server ends its transaction, a new owner announces while it is stopped, and its write never lands', async () => {
    const url = db?.url ?? '';
    const owner = await PostgresStore.open({ url });
    await withPgClient(url, async (c) => {
      for (const sql of SLOW_INSERT) await c.query(sql);
    });
    expect(await owner.fence({ worldId: 'w', token: 1 })).toBe(1);
    const lines: Array<Record<string, unknown>> = [];
    let stderr = '';
    const proc = spawn(
      process.execPath,
      [
        ...(await childNodeArgs('test/helpers/pg-paused-writer-main.ts')),
        JSON.stringify({
          url: `${url}${url.includes('?') ? '&' : '?'}application_name=${APP}`,
          worldId: 'w',
          token: 1,
          queryTimeoutMs: 30_000,
          idleInTransactionTimeoutMs: IDLE_MS,
        }),
      ],
      { cwd: ROOT },
    );
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d: string) => (stderr += d));
    createInterface({ input: proc.stdout }).on('line', (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
    const line = async (msg: string, deadlineMs: number): Promise<Record<string, unknown>> => {
      const until = Date.now() + deadlineMs;
      for (;;) {
        const found = lines.find((l) => l.msg === msg);
        if (found) return found;
        if (proc.exitCode !== null && !lines.some((l) => l.msg === msg)) throw new Error(`child exited: ${stderr.slice(-1500)}`);
        if (Date.now() > until) throw new Error(`no ${msg} line from the child: ${stderr.slice(-1500)}`);
        await sleep(20);
      }
    };
    try {
      await line('open', 20_000);

      // Stop the process while its INSERT sleeps on the server: the fence row is locked by then.
      await withPgClient(url, async (c) => {
        const until = Date.now() + 10_000;
        for (;;) {
          const r = await c.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event = 'PgSleep'`, [APP]);
          if (r.rows.length) break;
          if (Date.now() > until)
            throw new Error(`the child's INSERT was not seen sleeping: ${JSON.stringify(lines)} ${stderr.slice(-1500)}`);
          await sleep(10);
        }
      });
      proc.kill('SIGSTOP');

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
      expect(proc.signalCode).toBeNull();
      expect(lines.some((l) => l.msg === 'commit')).toBe(false);

      // Resumed: its commit fails (the server ended the session), its retry under token 1 is fenced.
      proc.kill('SIGCONT');
      expect(await line('commit', 10_000)).toMatchObject({
        ok: false,
        code: 'WT_ERR_STORE_UNAVAILABLE',
        reason: 'idle',
        idleTransactionsEnded: 1,
      });
      expect(await line('retry', 10_000)).toMatchObject({ ok: false, code: 'WT_ERR_STORE_FENCED' });
      expect(await owner.findLedgerEntries([{ playerId: 'p1', key: 'paused-1' }])).toEqual([]);
      expect(await owner.currentFence('w')).toBe(2);
    } finally {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGCONT');
        proc.kill('SIGKILL');
      }
      await owner.close();
    }
  }, 30_000);
});
