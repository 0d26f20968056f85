/**
 * Turn a worldtick SQLite store file (or PostgreSQL database) into what the release before player data
 * (schema 3) left: the objects of migration 4 and every later one dropped, their rows in
 * `schema_migrations` removed. Used by the upgrade, restore and refused-start tests. A new migration that creates a table or index must
 * drop it here too (both tests then fail with "… already exists" until it does).
 */
import Database from 'better-sqlite3';
import pg from 'pg';

const DROP_AFTER_SCHEMA_3 = [
  'DROP TABLE player_data', // 4
  'DROP TABLE player_data_batches', // 5
  'DROP INDEX ledger_refusals_created', // 6
  'DROP INDEX ledger_refusals_player', // 7
  'DROP TABLE player_data_batch_reads', // 8
  'DROP TRIGGER ledger_balances_ok', // 9
  'DROP TABLE ledger_balances', // 9
  'DROP INDEX players_anonymous', // 10
  'DELETE FROM schema_migrations WHERE version >= 4',
];

export const downgradeToSchema3 = (file: string): void => {
  const db = new Database(file);
  try {
    db.exec(DROP_AFTER_SCHEMA_3.join('; '));
  } finally {
    db.close();
  }
};

/** The same on a PostgreSQL database (its trigger named with its table, then its function dropped). */
export const downgradePostgresToSchema3 = async (url: string): Promise<void> => {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  try {
    await c.query(
      [
        'BEGIN',
        ...DROP_AFTER_SCHEMA_3.map((q) => (q.startsWith('DROP TRIGGER') ? `${q} ON ledger` : q)),
        'DROP FUNCTION ledger_balances_ok()',
        'COMMIT',
      ].join('; '),
    );
  } finally {
    await c.end();
  }
};
