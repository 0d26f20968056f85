/**
 * The copy of `npm run store-copy` (src/cli/store-copy.ts; docs/DURABILITY.md "Moving to
 * PostgreSQL (operators)"): every table of a SQLite store into an empty PostgreSQL database, in ONE
 * target transaction.
 *
 *   BEGIN ─ migrate (schema created or brought up to date) ─ target empty? ─ per table: insert every
 *   row (the source's seq and id kept) ─ sequences past the copied values ─ per table: row count and
 *   content digest of the target (inside the transaction) = the source's? ─ COMMIT
 *
 * Anything that fails — a refusal, an error, a difference, the process killed (PostgreSQL rolls back
 * the transaction of a connection that ends) — leaves the target as it was: nothing, not even the
 * schema when the copy created it. The source is read in one read transaction (the caller holds its
 * data-directory lock: no server writes it meanwhile).
 *
 * The ledger summary (`ledger_balances`) is copied as the source holds it: the target's trigger adds
 * the copied ledger rows to it as they are inserted, so its rows are replaced by the source's before
 * the digests are compared. Into a schema the copy created, the trigger is off while the ledger goes in
 * (that work would be thrown away) and on again before COMMIT. What both directions share (tables,
 * digests, the comparison): src/store/store-copy-tables.ts; the other direction: store-copy-to-sqlite.ts.
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { migratePostgresIn } from './postgres-tx.js';
import { pgInsert, pgRows, pgSetHighest, pgTables, targetNotEmpty, targetRows } from './store-copy-postgres.js';
import { sqliteColumns, sqliteHighest, sqliteRows, sqliteTables } from './store-copy-sqlite.js';
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
 * Copy the SQLite store open as `db` (migrated to this build's schema) into the database of `c` (a
 * connection of its own, no other statement running on it), in one transaction; see the module
 * comment. Throws `WT_ERR_STORE_COPY_TARGET_NOT_EMPTY` (the target holds worldtick data),
 * `WT_ERR_STORE_COPY_MISMATCH` (a table's count or digest differs: rolled back),
 * `WT_ERR_STORE_MIGRATION_FAILED` (the target's schema is newer than this build's), or the pg error;
 * the target is unchanged after any of them.
 */
export const copySqliteToPostgres = async (
  db: Database.Database,
  c: pg.Client,
  where: string,
  options: CopyOptions = {},
): Promise<CopyResult> => {
  const log = options.log ?? (() => {});
  const phase = phaseClock();
  await c.query('BEGIN');
  try {
    const migration = await migratePostgresIn(c);
    const held = await targetRows(c);
    if (Object.keys(held).length) throw targetNotEmpty(where, held);
    // A table this build's copy does not list (a store grown by a later migration): refused, never half copied.
    refuseUnknownTables(sqliteTables(db), await pgTables(c));
    const migrateMs = phase();
    const sequences: Record<string, number> = {};
    const copied: CopiedRows[] = [];
    db.exec('BEGIN'); // one read transaction: the source as of one moment
    try {
      for (const t of COPIED_TABLES) {
        // The target's trigger summed the copied ledger into ledger_balances: the source's summary replaces it.
        if (t.name === 'ledger_balances') await c.query('DELETE FROM ledger_balances');
        // The summary the ledger's trigger would build is replaced by the source's (above): where the copy made the
        // schema (it owns the table) the trigger is off while the ledger goes in, on again in the same transaction.
        const quiet = t.name === 'ledger' && migration.from === 0;
        if (quiet) await c.query('ALTER TABLE ledger DISABLE TRIGGER ledger_balances_ok');
        const cols = sqliteColumns(db, t.name);
        const insert = pgInsert(c, t.name, cols);
        const done = await digestRows(sqliteRows(db, t, cols), insert.put);
        await insert.flush();
        if (quiet) await c.query('ALTER TABLE ledger ENABLE TRIGGER ledger_balances_ok');
        copied.push({ t, cols, ...done });
        if (t.serial) {
          const high = sqliteHighest(db, t, t.serial);
          await pgSetHighest(c, t.name, t.serial, high);
          sequences[`${t.name}.${t.serial}`] = high;
        }
        log(`copied    ${t.name}: ${done.rows} row(s)`);
      }
    } finally {
      db.exec('COMMIT');
    }
    const insertMs = phase();
    const tables = await compareTables(copied, (t, cols) => digestRows(pgRows(c, t, cols)));
    const compareMs = phase();
    log(`compared  ${tables.length} tables: row counts and content digests equal`);
    await c.query('COMMIT');
    return { migration, tables, sequences, phaseMs: { migrate: migrateMs, insert: insertMs, compare: compareMs, commit: phase() } };
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
};
