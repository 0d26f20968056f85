/**
 * What a refused start takes back (docs/DURABILITY.md "A refused start writes nothing"): the store it
 * created. Records and checkpoints are written only once a start is committed (src/server/runtime-start.ts),
 * so what a start refused after opening its store leaves behind is what opening did — on a fresh
 * store, its schema. That is removed at the refused start's stop, after the store is closed and while
 * its lock is still held (no other server can be using it):
 * - SQLite: the store file and its WAL, SHM and journal files, when no store file was there before this
 *   start took the data directory's lock; the lock file and the folders the start made, when they were
 *   not there before either. The lock file is removed while its lock is held, then let go: a server
 *   starting meanwhile creates a new one and takes its lock.
 * - PostgreSQL: the schema a start found none of (its migrations ran from version 0) — every table and
 *   function the migrations create, dropped in one transaction — by a single instance only, which holds
 *   the database's lock alone. A cluster instance (`--redis`) shares its lock with the other instances,
 *   which may be using the schema already: it leaves the schema.
 * Only a schema is removed: a created store that holds rows besides its migrations' — written while
 * the start ran, e.g. a world created through the admin API, which answers once it listens — is kept
 * whole (logged at warn). An older store migrated by a start refused after its open stays migrated:
 * migrations must run before its worlds can be restored, and the migrated store is the way forward
 * (docs/DURABILITY.md "Upgrading").
 */
import { existsSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { loadPg } from '../store/load-pg.js';
import type { Logger } from '../log.js';
import { MIGRATIONS } from '../store/migrations.js';
import { SQLITE_FILE_NAME } from '../store/sqlite-store.js';
import { DATA_DIR_LOCK_FILE } from './data-dir-lock.js';

/** What a data directory held before a start took its lock. */
export interface SqliteBefore {
  dataDir: string;
  /** The folders missing, from the outermost to the data directory itself. */
  missingDirs: string[];
  /** Whether the lock file was there. */
  lockFile: boolean;
}

/** A store a start created, removed if that start is refused. */
export type CreatedStore = ({ kind: 'sqlite'; storeFile: boolean } & SqliteBefore) | { kind: 'postgres'; url: string };

/** The SQLite store's files: the database and what SQLite keeps beside it. */
const STORE_FILES = ['', '-wal', '-shm', '-journal'].map((s) => `${SQLITE_FILE_NAME}${s}`);

/** Look at `dataDir` before its lock is taken (which creates it and the lock file). */
export const beforeDataDirLock = (dataDir: string): SqliteBefore => {
  const missingDirs: string[] = [];
  for (let p = resolve(dataDir); !existsSync(p) && dirname(p) !== p; p = dirname(p)) missingDirs.unshift(p);
  return { dataDir, missingDirs, lockFile: existsSync(join(dataDir, DATA_DIR_LOCK_FILE)) };
};

/** Once the lock is held (no other server can create the store meanwhile): whether the store file is there. */
export const createdSqliteStore = (before: SqliteBefore): CreatedStore => ({
  kind: 'sqlite',
  ...before,
  storeFile: existsSync(join(before.dataDir, SQLITE_FILE_NAME)),
});

/** The tables and functions the PostgreSQL migrations create, and their bookkeeping table. */
const postgresObjects = (): { tables: string[]; functions: string[] } => {
  const sql = MIGRATIONS.flatMap((m) => m.postgres).join('\n');
  const names = (re: RegExp): string[] => [...sql.matchAll(re)].flatMap((m) => (m[1] ? [m[1]] : []));
  return { tables: ['schema_migrations', ...names(/CREATE TABLE (\w+)/g)], functions: names(/CREATE FUNCTION (\w+)/g) };
};

/** The tables of a store's schema, but for the migrations' own bookkeeping. */
const dataTables = (tables: readonly string[]): string[] => tables.filter((t) => t !== 'schema_migrations' && !t.startsWith('sqlite_'));

/** A SQLite store file's tables that hold a row (the file closed by its server). */
const sqliteTablesWithRows = (file: string): string[] => {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").all();
    return dataTables(tables.map((t) => t.name)).filter((t) => db.prepare(`SELECT 1 FROM "${t}" LIMIT 1`).get() !== undefined);
  } finally {
    db.close();
  }
};

/** Drop the schema the migrations created, in one transaction — unless a table holds a row: then its names, nothing dropped. */
const dropPostgresSchema = async (url: string): Promise<{ dropped: string[]; withRows: string[] }> => {
  const { tables, functions } = postgresObjects();
  // pg on first use (store/load-pg.ts): a start on SQLite, the default, never loads it.
  const { Client } = loadPg();
  const c = new Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  try {
    await c.query('BEGIN');
    await c.query(`LOCK TABLE ${tables.join(', ')} IN ACCESS EXCLUSIVE MODE`);
    const withRows: string[] = [];
    for (const t of dataTables(tables)) if ((await c.query(`SELECT 1 FROM ${t} LIMIT 1`)).rowCount) withRows.push(t);
    if (withRows.length) {
      await c.query('ROLLBACK');
      return { dropped: [], withRows };
    }
    await c.query(`DROP TABLE ${tables.join(', ')} CASCADE`);
    if (functions.length) await c.query(`DROP FUNCTION ${functions.join(', ')} CASCADE`);
    await c.query('COMMIT');
    return { dropped: [...tables, ...functions.map((f) => `${f}()`)], withRows };
  } finally {
    await c.end();
  }
};

/** Remove what a start created (see the module comment); `release` lets the store's lock go (idempotent; called here, at the right moment). */
export const removeCreatedStore = async (c: CreatedStore, logger: Logger, release: () => Promise<void>): Promise<void> => {
  const removed: string[] = [];
  let withRows: string[] = [];
  try {
    if (c.kind === 'postgres') {
      const r = await dropPostgresSchema(c.url);
      removed.push(...r.dropped);
      withRows = r.withRows;
    } else {
      const file = join(c.dataDir, SQLITE_FILE_NAME);
      withRows = c.storeFile || !existsSync(file) ? [] : sqliteTablesWithRows(file);
      if (withRows.length) return;
      const files = [...(c.storeFile ? [] : STORE_FILES), ...(c.lockFile ? [] : [DATA_DIR_LOCK_FILE])];
      for (const f of files.map((n) => join(c.dataDir, n)))
        if (existsSync(f)) {
          rmSync(f);
          removed.push(f);
        }
      await release();
      // Innermost first; one that is not empty (something else was put there) stays, and so do those around it.
      for (const d of [...c.missingDirs].reverse()) {
        rmdirSync(d);
        removed.push(d);
      }
    }
  } catch (err) {
    logger.warn({ err, removed }, 'start refused: the store it created could not be removed entirely');
    return;
  } finally {
    await release();
    if (withRows.length)
      logger.warn({ tables: withRows }, 'start refused: the store it created is kept: rows were written to it while the start ran');
  }
  if (removed.length) logger.info({ removed }, 'start refused: the store it created is removed');
};
