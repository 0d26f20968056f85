/**
 * A commit landing between two reads of a player's ledger on a real PostgreSQL (test/unit/store/ledger-snapshot.test.ts,
 * test/unit/ledger/verify-snapshot.test.ts): another session holds `ledger_balances` locked while `read` starts, so the
 * read's balance SELECT waits (seen in `pg_stat_activity` of this database only: the server is shared; no timing);
 * that session then commits a reward of 3 coins to `p1` (key `late`) and lets the read finish.
 */
import pg from 'pg';

export const commitWhileBalancesLocked = async <T>(url: string | undefined, read: () => Promise<T>): Promise<T> => {
  const other = new pg.Client({ connectionString: url });
  const watcher = new pg.Client({ connectionString: url });
  await other.connect();
  await watcher.connect();
  try {
    await other.query('BEGIN');
    await other.query('LOCK TABLE ledger_balances IN ACCESS EXCLUSIVE MODE');
    const pending = read();
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
    return await pending;
  } finally {
    await other.end();
    await watcher.end();
  }
};
