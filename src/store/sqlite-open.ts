/**
 * Opening of the SQLite store's connection (src/store/sqlite-store.ts): the file and its pragmas,
 * the refusal of a store `npm run restore` is replacing, the schema migrations, and the mapping
 * of SQLite failures to coded errors (shared with the store's operations).
 */
import { mkdirSync } from 'node:fs';
import Database from 'better-sqlite3';
import { isWorldtickError, storeMigrationFailed, storeSchemaGone, storeUnavailable } from '../errors.js';
import {
  MIGRATIONS_TABLE_DDL,
  migrationReport,
  pendingMigrations,
  requireCurrentSchema,
  schemaTooNewMessage,
  type MigrationReport,
} from './migrations.js';
import { fileIdentity, openUnlessRestoring } from './restore-marker.js';
import { shownPath } from '../core/shown.js';

/** Options of {@link SqliteStore} (src/store/sqlite-store.ts). */
export interface SqliteStoreOptions {
  /** Data directory, created when missing. */
  dataDir: string;
  /** `FULL` (default: survives power loss) or `NORMAL` (survives a process crash only). */
  synchronous?: 'FULL' | 'NORMAL';
  /** Wait this long (ms) for a lock held by another connection before failing busy (default 2000). */
  busyTimeoutMs?: number;
  /**
   * Wall ms a world record (`putWorldConfig`) waits for others to share its transaction (group
   * commit: src/store/sqlite-record-batch.ts). Default 20; 0 = each record its own transaction.
   */
  recordBatchMs?: number;
  /** Cap the database at this many pages (a quota; also how tests simulate a full disk). */
  maxPageCount?: number;
  /**
   * A second connection of a process that opened this store already (the checkpoint writer
   * thread's): a schema newer than this build is accepted instead of refused (see `pendingMigrations`).
   */
  attach?: boolean;
  /**
   * A read-only tool (`npm run verify`): the file must hold this build's schema already; nothing is
   * created, migrated or written, and any other file is refused (src/store/migrations.ts `requireCurrentSchema`).
   */
  readOnlySchema?: boolean;
  /**
   * `quick` (default): SQLite's `PRAGMA quick_check` reads the whole file at open and a damaged one is
   * refused (`WT_ERR_STORE_UNAVAILABLE`, reason `corrupt`) before anything is migrated or restored from it;
   * `off` skips it (a very large store whose start it would slow: 1.4-6 ms per MiB measured). Never on an
   * `attach` connection (the first connection checked the file).
   */
  check?: 'quick' | 'off';
  /**
   * With `attach`: the `dev:ino` of the file the first connection opened (`SqliteStore.fileIdentity`). A path
   * that names no file or another one is refused `WT_ERR_STORE_UNAVAILABLE` (reason `moved`) and nothing is
   * created: a writer thread connecting after the data directory was deleted made a new store there and wrote
   * its checkpoints into it.
   */
  expectIdentity?: string;
}

type Row = Record<string, unknown>;

/**
 * `wal_autocheckpoint` (pages; SQLite's default, set explicitly): the first commit that leaves the WAL
 * this long (≈ 4 MiB at the 4 KiB page) folds it back into the database file — a PASSIVE checkpoint,
 * on the committing connection's thread, copying every page no reader still needs.
 */
export const SQLITE_WAL_AUTOCHECKPOINT_PAGES = 1000;

/**
 * `journal_size_limit` (bytes): when a write restarts the WAL from its start (everything folded back,
 * no reader on it), a WAL file longer than this is cut to it. Without it the file keeps the largest
 * size it ever reached — a burst under a long reader (a backup, a store copy) that stopped the
 * folding back — for the life of the store. Four times the autocheckpoint size: in steady state the
 * file is the autocheckpoint size plus the largest transaction that crosses it (a world checkpoint,
 * a few MiB), which a smaller limit would cut and grow again at every restart (docs/DURABILITY.md "WAL size").
 */
export const SQLITE_JOURNAL_SIZE_LIMIT_BYTES = 16 * 1024 * 1024;

/** What a damaged store file's message ends with: what to do (docs/ADMIN.md runbook, "The embedded store file is damaged"). */
const DAMAGED = ' (the store file is damaged: stop the server and restore a backup, npm run restore; docs/DURABILITY.md "Restore")';

/** Whether `err` is SQLite's finding of a damaged file (`SQLITE_CORRUPT*`, `SQLITE_NOTADB`). */
const isDamagedFile = (err: unknown): boolean => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_NOTADB'));
};

/**
 * `PRAGMA quick_check` of `db` (`file`): throws `WT_ERR_STORE_UNAVAILABLE` (reason `corrupt`) naming its first
 * findings when the file is damaged (listed, or a page so damaged the check stops at it). Returns the wall ms it took.
 */
const checkSqliteFile = (db: Database.Database, file: string): number => {
  const t0 = performance.now();
  let found: string[];
  let cause: unknown;
  try {
    const rows = db.pragma('quick_check(5)') as Row[];
    found = rows.map((r) => String(Object.values(r)[0]).replace(/\s*\n\s*/g, '; ')).filter((v) => v !== 'ok');
  } catch (err) {
    if (!isDamagedFile(err)) throw err;
    found = [(err as Error).message];
    cause = err;
  }
  if (found.length > 0) {
    throw storeUnavailable('corrupt', `${shownPath(file)} fails SQLite's quick_check: ${found.join('; ').slice(0, 300)}${DAMAGED}`, cause);
  }
  return performance.now() - t0;
};

/**
 * Before a write: throws `WT_ERR_STORE_UNAVAILABLE` (reason `moved`) when `file` no longer names the file the
 * connection opened (`opened`) — removed (the data directory deleted under a running server) or replaced (another
 * file copied or restored over it). SQLite writes on into the file it holds open, which no start reads again: a
 * purchase acknowledged then would be gone at the next start. Reads go on (the open file is whole). One `stat`
 * (7–10 µs measured) per write operation.
 */
const requireFileInPlace = (file: string, opened: string | null, now = fileIdentity(file)): void => {
  if (opened === null) return;
  if (now === opened) return;
  throw storeUnavailable(
    'moved',
    `${shownPath(file)} was ${now === null ? 'removed' : 'replaced by another file'} while this process had it open: writes are refused (no start would read them); stop the server (docs/ADMIN.md runbook, "The store file was removed or replaced")`,
  );
};

/** Map a SQLite failure to a coded error; programming errors are returned as they are. */
export const mapSqliteError = (err: unknown): unknown => {
  if (isWorldtickError(err)) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    const msg = (err as Error).message;
    if (code.startsWith('SQLITE_FULL')) return storeUnavailable('full', msg, err);
    if (code.startsWith('SQLITE_READONLY')) return storeUnavailable('readonly', msg, err);
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return storeUnavailable('busy', msg, err);
    if (isDamagedFile(err)) return storeUnavailable('corrupt', `${msg}${DAMAGED}`, err);
    // The store's tables dropped under the open store (as PostgreSQL's `SCHEMA_GONE`).
    if (code === 'SQLITE_ERROR' && /^no such (table|column)\b/.test(msg)) return storeSchemaGone(msg, err);
    if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN')) return storeUnavailable('io', msg, err);
  }
  return err;
};

/** Cap the database size in pages (quota; fault tests use it to simulate a full disk). */
export const setSqliteMaxPageCount = (db: Database.Database, pages: number): void => {
  db.pragma(`max_page_count = ${Math.max(1, Math.floor(pages))}`);
};

/** Apply the pending migrations, each in its own IMMEDIATE transaction. Throws coded errors. */
const migrateSqlite = (db: Database.Database, file: string, attach: boolean): MigrationReport => {
  db.exec(MIGRATIONS_TABLE_DDL);
  const current = (db.prepare('SELECT coalesce(max(version), 0) AS v FROM schema_migrations').get() as Row).v as number;
  const { pending, tooNew } = pendingMigrations(current, attach);
  if (tooNew) throw storeMigrationFailed(schemaTooNewMessage(current, file));
  for (const m of pending) {
    try {
      db.transaction(() => {
        for (const sql of m.sqlite) db.exec(sql);
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
      }).immediate();
    } catch (err) {
      const mapped = mapSqliteError(err);
      if (mapped !== err) throw mapped;
      throw storeMigrationFailed(`version ${m.version} (${m.name}): ${(err as Error).message}`, err);
    }
  }
  return migrationReport(current, pending);
};

/** Check `file`'s schema through a read-only connection (see `SqliteStoreOptions.readOnlySchema`). */
const requireCurrentSqliteSchema = (file: string): void => {
  let version: number | null;
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
      version = table ? ((db.prepare('SELECT coalesce(max(version), 0) AS v FROM schema_migrations').get() as Row).v as number) : null;
    } finally {
      db.close();
    }
  } catch (err) {
    // Named with the file: a directory in its place reads as a bare "disk I/O error".
    const mapped = mapSqliteError(err);
    const reason = isWorldtickError(mapped) ? String(Reflect.get(Object(mapped.details), 'reason')) : 'cantopen';
    throw storeUnavailable(reason, `cannot read ${file}: ${(err as Error).message}`, err);
  }
  requireCurrentSchema(version, file);
};

/**
 * Open `file` (creating the data directory and the file), set the pragmas and migrate. Throws
 * coded errors: WT_ERR_STORE_UNAVAILABLE (`cantopen` for an uncoded failure), WT_ERR_STORE_MIGRATION_FAILED.
 */
export const openSqliteDatabase = (
  file: string,
  options: SqliteStoreOptions,
): { db: Database.Database; migration: MigrationReport; checkMs: number | null; identity: string | null; writable: () => void } => {
  let opened: Database.Database | null = null;
  const expected = options.attach === true ? options.expectIdentity : undefined;
  try {
    if (expected !== undefined) requireFileInPlace(file, expected); // before anything is created
    if (options.readOnlySchema === true) requireCurrentSqliteSchema(file);
    if (options.attach !== true) mkdirSync(options.dataDir, { recursive: true });
    const open = (): Database.Database => {
      const db = new Database(file, { timeout: options.busyTimeoutMs ?? 2000, fileMustExist: options.attach === true });
      db.pragma('journal_mode = WAL');
      return db;
    };
    // Refuse a store `npm run restore` is replacing (restore-marker.ts); not the writer thread's
    // second connection: the first holds the file's lock, no restore passes its probe meanwhile.
    const db = options.attach === true ? open() : openUnlessRestoring(file, open);
    opened = db;
    db.pragma(`synchronous = ${options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
    db.pragma('foreign_keys = ON');
    db.pragma(`wal_autocheckpoint = ${SQLITE_WAL_AUTOCHECKPOINT_PAGES}`);
    db.pragma(`journal_size_limit = ${SQLITE_JOURNAL_SIZE_LIMIT_BYTES}`);
    if (options.maxPageCount !== undefined) setSqliteMaxPageCount(db, options.maxPageCount);
    const checkMs = options.attach === true || options.check === 'off' ? null : checkSqliteFile(db, file);
    const identity = fileIdentity(file);
    if (expected !== undefined) requireFileInPlace(file, expected, identity); // replaced while it was opened
    // Before each write operation: the file opened is still the one at `file` (see `requireFileInPlace`).
    const writable = (): void => requireFileInPlace(file, identity);
    return { db, migration: migrateSqlite(db, file, options.attach === true), checkMs, identity, writable };
  } catch (err) {
    opened?.close();
    // Named with the file (a damaged header fails the first pragma, before the check).
    if (isDamagedFile(err)) throw storeUnavailable('corrupt', `${file}: ${(err as Error).message}${DAMAGED}`, err);
    const mapped = mapSqliteError(err);
    if (mapped !== err || isWorldtickError(err)) throw mapped;
    throw storeUnavailable('cantopen', `cannot open ${file}: ${(err as Error).message}`, err);
  }
};
