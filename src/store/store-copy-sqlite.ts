/**
 * The SQLite side of `npm run store-copy` (src/store/store-copy-tables.ts): the source of a copy to
 * PostgreSQL (src/store/store-copy.ts) and the target of a copy from it (store-copy-to-sqlite.ts).
 * Rows are read in key order with integers as bigint (exact beyond 2^53), text keys in SQLite's
 * BINARY collation (byte order, as PostgreSQL's `COLLATE "C"`).
 */
import type Database from 'better-sqlite3';
import { type CopiedTable, quote } from './store-copy-tables.js';

/** The store's tables (SQLite's own `sqlite_*` left out), by name. */
export const sqliteTables = (db: Database.Database): string[] =>
  (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{
      name: string;
    }>
  ).map((r) => r.name);

/** Columns of `table`, in table order. */
export const sqliteColumns = (db: Database.Database, table: string): string[] =>
  (db.prepare(`PRAGMA table_info(${quote(table)})`).all() as Array<{ name: string }>).map((r) => r.name);

/** The rows of `t` in key order, values in `cols` order (integers as bigint). */
export const sqliteRows = (db: Database.Database, t: CopiedTable, cols: readonly string[]): IterableIterator<unknown[]> =>
  db
    .prepare(`SELECT ${cols.map(quote).join(', ')} FROM ${quote(t.name)} ORDER BY ${t.key.map(quote).join(', ')}`)
    .raw(true)
    .safeIntegers(true)
    .iterate() as IterableIterator<unknown[]>;

/** An insert of one row (values in `cols` order) into `table`. */
export const sqliteInsert = (db: Database.Database, table: string, cols: readonly string[]): ((row: unknown[]) => void) => {
  const st = db.prepare(`INSERT INTO ${quote(table)} (${cols.map(quote).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
  return (row) => void st.run(row);
};

/** The highest value `t`'s AUTOINCREMENT column held: its rows' and SQLite's counter (rows since deleted). */
export const sqliteHighest = (db: Database.Database, t: CopiedTable, col: string): number => {
  const row = db
    .prepare(
      `SELECT max(coalesce((SELECT max(${quote(col)}) FROM ${quote(t.name)}), 0),
        coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?), 0)) AS n`,
    )
    .get(t.name) as { n: number };
  return Number(row.n);
};

/** Set `table`'s AUTOINCREMENT counter to `high` (never lower): the next row gets a value above it. */
export const sqliteSetHighest = (db: Database.Database, table: string, high: number): void => {
  const up = db.prepare('UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?').run(high, table);
  if (up.changes === 0 && high > 0) db.prepare('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)').run(table, high);
};

/**
 * Drop `table`'s trigger `name` until the returned function puts it back, as it was (its own SQL),
 * inside the caller's transaction. Nothing is done when it does not exist.
 */
export const sqliteTriggerOff = (db: Database.Database, name: string): (() => void) => {
  const row = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?").get(name) as { sql: string } | undefined;
  if (!row) return () => {};
  db.exec(`DROP TRIGGER ${quote(name)}`);
  return () => db.exec(row.sql);
};
