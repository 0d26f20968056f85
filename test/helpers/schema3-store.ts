/**
 * Turn a worldtick SQLite store file into what the release before player data (schema 3) left on
 * disk: the objects of migration 4 and every later one dropped, their rows in `schema_migrations`
 * removed. Used by the upgrade and restore tests. A new migration that creates a table or index must
 * drop it here too (both tests then fail with "… already exists" until it does).
 */
import Database from 'better-sqlite3';

const DROP_AFTER_SCHEMA_3 = [
  'DROP TABLE player_data', // 4
  'DROP TABLE player_data_batches', // 5
  'DROP INDEX ledger_refusals_created', // 6
  'DROP INDEX ledger_refusals_player', // 7
  'DROP TABLE player_data_batch_reads', // 8
  'DROP TRIGGER ledger_balances_ok', // 9
  'DROP TABLE ledger_balances', // 9
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
