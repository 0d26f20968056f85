/**
 * The copy of `npm run store-copy -- --from postgres://… --to sqlite:<dir>` (src/cli/store-copy-to-sqlite.ts;
 * docs/DURABILITY.md "Moving to PostgreSQL (operators)", "…and back"): every table of a PostgreSQL
 * store into a new SQLite store file, in ONE transaction of that file.
 *
 *   source: BEGIN REPEATABLE READ READ ONLY (one snapshot) ─ per table: rows through a cursor, key order
 *   target (a new file, schema created by its migrations): BEGIN ─ per table: insert every row (seq and
 *   id kept) ─ AUTOINCREMENT counters past the copied values ─ per table: count and content digest of
 *   the file (inside the transaction) = the source's? ─ COMMIT
 *
 * The file is not the store yet: the caller writes it under a temporary name and renames it into place
 * only after this returns (so a failure, a difference or a kill leaves no store a server would open).
 * The ledger summary (`ledger_balances`) is copied as the source holds it; the SQLite trigger that would
 * build it from the copied ledger is dropped while the ledger goes in and created again (its own SQL)
 * in the same transaction. Shared with the other direction: src/store/store-copy-tables.ts.
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';
import type { MigrationReport } from './migrations.js';
import { pgColumns, pgHighest, pgRows, pgTables } from './store-copy-postgres.js';
import { sqliteInsert, sqliteRows, sqliteSetHighest, sqliteTables, sqliteTriggerOff } from './store-copy-sqlite.js';
import {
  COPIED_TABLES,
  type CopiedRows,
  type CopyOptions,
  type CopyResult,
  compareTables,
  digestRows,
  phaseClock,
  refuseUnknownTables,
} from './store-copy-tables.js';

/**
 * Copy the PostgreSQL store of `c` — a connection of its own inside the caller's `REPEATABLE READ READ
 * ONLY` transaction (the snapshot) — into the new SQLite database `db` (`migration`: how its schema was
 * made; it holds no rows), in one transaction of `db`; see the module comment. Throws
 * `WT_ERR_STORE_COPY_MISMATCH` (a table the copy does not know: nothing copied; a table's count or digest
 * differs: rolled back) or the error of either side; `db` holds no row after any of them.
 */
export const copyPostgresToSqlite = async (
  c: pg.Client,
  db: Database.Database,
  migration: MigrationReport,
  options: CopyOptions = {},
): Promise<CopyResult> => {
  const log = options.log ?? (() => {});
  const phase = phaseClock();
  refuseUnknownTables(await pgTables(c), sqliteTables(db));
  db.exec('BEGIN IMMEDIATE');
  try {
    const migrateMs = phase();
    const sequences: Record<string, number> = {};
    const copied: CopiedRows[] = [];
    for (const t of COPIED_TABLES) {
      if (t.name === 'ledger_balances') db.exec('DELETE FROM ledger_balances');
      const restore = t.name === 'ledger' ? sqliteTriggerOff(db, 'ledger_balances_ok') : () => {};
      const cols = (await pgColumns(c, t.name)).map((col) => col.name);
      const done = await digestRows(pgRows(c, t, cols), sqliteInsert(db, t.name, cols));
      restore();
      copied.push({ t, cols, ...done });
      if (t.serial) {
        const high = await pgHighest(c, t, t.serial);
        sqliteSetHighest(db, t.name, high);
        sequences[`${t.name}.${t.serial}`] = high;
      }
      log(`copied    ${t.name}: ${done.rows} row(s)`);
    }
    const insertMs = phase();
    const tables = await compareTables(copied, async (t, cols) => digestRows(sqliteRows(db, t, cols)));
    const compareMs = phase();
    log(`compared  ${tables.length} tables: row counts and content digests equal`);
    db.exec('COMMIT');
    return { migration, tables, sequences, phaseMs: { migrate: migrateMs, insert: insertMs, compare: compareMs, commit: phase() } };
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
};
