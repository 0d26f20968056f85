/**
 * Two ledger writers truly at once on a real PostgreSQL (test/unit/store/ledger-expect.test.ts):
 * another session holds `ledger` locked against inserts while `start` begins the writes, until
 * `waiters` sessions of this database wait on a lock (seen in `pg_stat_activity`: each writer has
 * decided and run its check, and waits at its ledger insert or on the other writer; no timing).
 * Then the lock is let go and the writes' outcomes are returned.
 */
import pg from 'pg';

export const settleWhileLedgerHeld = async <T>(
  url: string | undefined,
  waiters: number,
  start: () => Array<Promise<T>>,
): Promise<Array<PromiseSettledResult<T>>> => {
  const holder = new pg.Client({ connectionString: url });
  const watcher = new pg.Client({ connectionString: url });
  await holder.connect();
  await watcher.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE ledger IN SHARE MODE');
    const holderPid = (await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const pending = Promise.allSettled(start());
    for (;;) {
      const r = await watcher.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> $1`,
        [holderPid],
      );
      if (r.rows[0].n >= waiters) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await holder.query('COMMIT');
    return await pending;
  } finally {
    await holder.end();
    await watcher.end();
  }
};
