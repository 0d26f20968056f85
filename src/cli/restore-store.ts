/**
 * Restore the embedded SQLite store from a backup file (`npm run restore`, src/cli/restore.ts;
 * docs/DURABILITY.md "Backup and restore (operators)").
 *
 * Order, so that a refusal changes nothing:
 *   1. the backup file: exists, is a regular file, has the SQLite header, has no `-wal` beside it
 *      (a live store's main file alone is not a backup), is not the store itself;
 *   2. copied to `<data-dir>/.worldtick.sqlite.restore-<pid>.tmp` and fsynced; the COPY is checked
 *      (`PRAGMA integrity_check`, a worldtick `schema_migrations` table, a schema version this
 *      build knows), so what is checked is byte for byte what is installed;
 *   3. the current store is probed: a connection in `locking_mode=EXCLUSIVE` with no busy wait. A
 *      running server (any process with the store open: the runtime keeps its connection for its
 *      whole life, WAL mode holds a shared lock on the file) makes it fail SQLITE_BUSY at once,
 *      and restore refuses. Otherwise it folds any WAL a crashed server left into the file
 *      (`wal_checkpoint(TRUNCATE)`) and closes; SQLite deletes the WAL at that last close;
 *   4. the current store is kept as `worldtick.sqlite.before-restore-<UTC stamp>` (a hard link to
 *      the same, now self-contained, file), then the temp file is renamed over `worldtick.sqlite`
 *      (atomic: the path always names a whole database) and the directory is fsynced.
 * A failure at any step removes what the restore created and leaves the store as it was.
 */
import {
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { LATEST_SCHEMA_VERSION } from '../store/migrations.js';
import { SQLITE_FILE_NAME } from '../store/sqlite-store.js';

/** Why a restore refused or failed (printed with the message; the CLI's exit code follows from it). */
export const RestoreErrorCode = {
  /** Bad command line, a PostgreSQL store, a data directory that is a file, a backup that is the store itself. Exit 2. */
  USAGE: 'WT_ERR_RESTORE_USAGE',
  /** The backup file does not exist or is not a regular file. Exit 2. */
  BACKUP_MISSING: 'WT_ERR_RESTORE_BACKUP_MISSING',
  /** The backup file is not a SQLite database (no SQLite header), or is a live store's file with its WAL beside it. Exit 2. */
  NOT_SQLITE: 'WT_ERR_RESTORE_NOT_SQLITE',
  /** The backup fails `PRAGMA integrity_check` or cannot be read as a database. Exit 2. */
  CORRUPT: 'WT_ERR_RESTORE_CORRUPT',
  /** A SQLite database without worldtick's `schema_migrations` and `ledger` tables, or whose schema version is not an integer. Exit 2. */
  NOT_WORLDTICK: 'WT_ERR_RESTORE_NOT_WORLDTICK',
  /** The backup's schema version is newer than this build knows. Exit 2. */
  SCHEMA_TOO_NEW: 'WT_ERR_RESTORE_SCHEMA_TOO_NEW',
  /** Another process (a running server, a backup) has the current store open, or it could not be probed. Exit 3. */
  STORE_IN_USE: 'WT_ERR_RESTORE_STORE_IN_USE',
  /** An I/O failure while copying or swapping (what the restore created is removed; the store is as it was). Exit 1. */
  FAILED: 'WT_ERR_RESTORE_FAILED',
} as const;
/** One of {@link RestoreErrorCode}. */
export type RestoreErrorCode = (typeof RestoreErrorCode)[keyof typeof RestoreErrorCode];

/** A refused or failed restore: nothing was changed. */
export class RestoreError extends Error {
  constructor(
    readonly code: RestoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RestoreError';
  }

  /** Exit code of the command: 3 store in use, 1 I/O failure, 2 everything else (usage, a refused backup). */
  get exitCode(): number {
    if (this.code === RestoreErrorCode.STORE_IN_USE) return 3;
    if (this.code === RestoreErrorCode.FAILED) return 1;
    return 2;
  }
}

/** What {@link restoreSqliteStore} did. */
export interface RestoreReport {
  /** The backup file restored (absolute). */
  backup: string;
  /** The store file now holding the backup (absolute). */
  store: string;
  /** Where the previous store was kept, or null when there was none. */
  kept: string | null;
  /** Bytes of WAL a crashed server had left, folded into the kept file (0 when none). */
  walFoldedBytes: number;
  /** Schema version of the backup, and the highest this build knows (an older one is migrated at the next start). */
  schemaVersion: number;
  latestSchemaVersion: number;
  /** Rows in the restored store. */
  worlds: number;
  checkpoints: number;
  ledgerEntries: number;
  lastLedgerSeq: number;
  players: number;
  /** Size of the restored file (bytes). */
  bytes: number;
}

const SQLITE_HEADER = 'SQLite format 3\0';

const fail = (code: RestoreErrorCode, message: string): never => {
  throw new RestoreError(code, message);
};

const sqliteCode = (err: unknown): string => {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : '';
};

const fsyncPath = (path: string, flags: string): void => {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
};

const hasSqliteHeader = (file: string): boolean => {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(SQLITE_HEADER.length);
    return readSync(fd, buf, 0, buf.length, 0) === buf.length && buf.toString('latin1') === SQLITE_HEADER;
  } finally {
    closeSync(fd);
  }
};

/** `2026-12-01T05:30:00.123Z` → `20261201T053000Z`. */
const stamp = (now: Date): string => `${now.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;

type Contents = Pick<RestoreReport, 'schemaVersion' | 'worlds' | 'checkpoints' | 'ledgerEntries' | 'lastLedgerSeq' | 'players'>;

/** Check the copy at `file` (named `shown` in messages) and count what it holds. Throws a RestoreError. */
const inspectCopy = (file: string, shown: string): Contents => {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { fileMustExist: true, timeout: 0 });
    const integrity = db.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok') fail(RestoreErrorCode.CORRUPT, `${shown} fails PRAGMA integrity_check: ${String(integrity).slice(0, 300)}`);
    const tables = new Set(
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name),
    );
    if (!tables.has('schema_migrations') || !tables.has('ledger'))
      fail(
        RestoreErrorCode.NOT_WORLDTICK,
        `${shown} is a SQLite database but not a worldtick store (no schema_migrations and ledger tables)`,
      );
    const raw: unknown = (db.prepare('SELECT coalesce(max(version), 0) AS v FROM schema_migrations').get() as { v: unknown }).v;
    // A hand-made table can hold anything: the server would compare it with its migrations' numbers.
    if (!Number.isSafeInteger(raw))
      fail(
        RestoreErrorCode.NOT_WORLDTICK,
        `${shown} is not a worldtick store (schema version ${String(raw).slice(0, 40)} is not an integer)`,
      );
    const version = raw as number;
    if (version < 1) fail(RestoreErrorCode.NOT_WORLDTICK, `${shown} is not a worldtick store (schema_migrations is empty)`);
    if (version > LATEST_SCHEMA_VERSION)
      fail(
        RestoreErrorCode.SCHEMA_TOO_NEW,
        `${shown} has schema version ${version}, newer than this build knows (${LATEST_SCHEMA_VERSION}): restore it with the build that wrote it, or a newer one`,
      );
    const count = (table: string): number =>
      tables.has(table) ? (db!.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n : 0;
    const ledger = db.prepare('SELECT count(*) AS n, coalesce(max(seq), 0) AS last FROM ledger').get() as { n: number; last: number };
    return {
      schemaVersion: version,
      worlds: count('world_configs'),
      checkpoints: count('checkpoints'),
      ledgerEntries: ledger.n,
      lastLedgerSeq: ledger.last,
      players: count('players'),
    };
  } catch (err) {
    if (err instanceof RestoreError) throw err;
    const code = sqliteCode(err);
    if (code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_NOTADB'))
      fail(RestoreErrorCode.CORRUPT, `${shown} cannot be read as a SQLite database (${code}: ${(err as Error).message})`);
    throw new RestoreError(RestoreErrorCode.FAILED, `checking the copy of ${shown}: ${(err as Error).message}`);
  } finally {
    db?.close();
  }
};

/**
 * Make sure no process has `store` open, and fold a WAL left by a crashed server into it.
 * Returns the WAL bytes folded. Throws STORE_IN_USE when the store is open elsewhere or cannot
 * be probed (an unreadable store cannot be told apart from a busy one: it must be moved aside by hand).
 */
const probeStore = (store: string): number => {
  const wal = `${store}-wal`;
  const walBytes = existsSync(wal) ? statSync(wal).size : 0;
  let db: Database.Database | undefined;
  try {
    db = new Database(store, { fileMustExist: true, timeout: 0 });
    // Exclusive locking mode: the first read takes an EXCLUSIVE lock on the file (a WAL database then
    // uses heap memory, not the -shm). Every other connection holds a SHARED lock: SQLITE_BUSY at once.
    db.pragma('locking_mode = EXCLUSIVE');
    db.prepare('SELECT count(*) AS n FROM sqlite_master').get();
    db.pragma('wal_checkpoint(TRUNCATE)');
  } catch (err) {
    const code = sqliteCode(err);
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
      fail(
        RestoreErrorCode.STORE_IN_USE,
        `${store} is open in another process (a running server, a backup): stop the server (SIGTERM) and run restore again`,
      );
    fail(
      RestoreErrorCode.STORE_IN_USE,
      `the current store ${store} cannot be opened (${code || 'error'}: ${(err as Error).message}), so restore cannot check that no server uses it: stop every server on it, move it and its -wal and -shm files aside, and run restore again`,
    );
  } finally {
    db?.close();
  }
  // The last connection's close checkpointed and deleted the WAL; one present now was made by a
  // process that opened the store after the probe.
  if (existsSync(wal))
    fail(RestoreErrorCode.STORE_IN_USE, `${store} was opened by another process during the restore: stop it and run restore again`);
  // A -shm without its WAL is a stale index a crashed server left (exclusive mode never used it).
  rmSync(`${store}-shm`, { force: true });
  return walBytes;
};

/**
 * Keep the current (probed, self-contained) store under `worldtick.sqlite.before-restore-<stamp>`:
 * a hard link, so the store's path never stops naming a whole database; a copy where the file
 * system has no hard links. A name already taken (two restores in one second) gets `-2`, `-3`, ...
 */
const keepCurrent = (store: string, now: Date): string => {
  const base = `${store}.before-restore-${stamp(now)}`;
  for (let n = 1; ; n++) {
    const name = n === 1 ? base : `${base}-${n}`;
    if (existsSync(name)) continue;
    try {
      linkSync(store, name);
      return name;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      try {
        copyFileSync(store, name, constants.COPYFILE_EXCL);
        fsyncPath(name, 'r+');
        return name;
      } catch (copyErr) {
        rmSync(name, { force: true });
        fail(RestoreErrorCode.FAILED, `keeping the current store as ${name}: ${code ?? ''} ${(copyErr as Error).message}`);
      }
    }
  }
};

/** Options of {@link restoreSqliteStore}. */
export interface RestoreOptions {
  /** Called with one line per step done. */
  log?: (line: string) => void;
  /** Clock for the `before-restore` name (tests). */
  now?: () => Date;
}

/**
 * Replace the SQLite store of `dataDir` (`<dataDir>/worldtick.sqlite`) with the backup `backupFile`,
 * keeping the current store as `worldtick.sqlite.before-restore-<stamp>`. Refuses (RestoreError,
 * nothing changed) on a bad backup or a store in use; see the module comment for the steps.
 */
export const restoreSqliteStore = (backupFile: string, dataDir: string, options: RestoreOptions = {}): RestoreReport => {
  const log = options.log ?? (() => {});
  const backup = resolve(backupFile);
  const dir = resolve(dataDir);
  const store = join(dir, SQLITE_FILE_NAME);

  // 1. The backup file.
  let st: ReturnType<typeof statSync> | undefined;
  try {
    st = statSync(backup);
  } catch {
    fail(RestoreErrorCode.BACKUP_MISSING, `${backupFile} does not exist`);
  }
  if (!st!.isFile()) fail(RestoreErrorCode.BACKUP_MISSING, `${backupFile} is not a regular file`);
  if (!hasSqliteHeader(backup)) fail(RestoreErrorCode.NOT_SQLITE, `${backupFile} is not a SQLite database (no SQLite header)`);
  if (existsSync(`${backup}-wal`))
    fail(
      RestoreErrorCode.NOT_SQLITE,
      `${backupFile} has a -wal file beside it: it is a live (or crashed) store's file, not a backup; take one with npm run backup`,
    );
  // The same file, by any name (a symlink, a hard link): restoring it onto itself would only lose its WAL.
  if (existsSync(store)) {
    const cur = statSync(store);
    if (cur.ino === st!.ino && cur.dev === st!.dev) fail(RestoreErrorCode.USAGE, `${backupFile} is the store itself`);
  }
  log(`checked   ${backupFile}: a SQLite file, ${st!.size} bytes`);

  // 2. The copy, in the data directory (same file system: the rename is atomic).
  let createdDir = false;
  if (!existsSync(dir)) {
    try {
      mkdirSync(dir);
    } catch (err) {
      fail(RestoreErrorCode.USAGE, `cannot create the data directory ${dataDir}: ${(err as Error).message}`);
    }
    createdDir = true;
  } else if (!statSync(dir).isDirectory()) fail(RestoreErrorCode.USAGE, `${dataDir} is not a directory`);
  const temp = join(dir, `.${SQLITE_FILE_NAME}.restore-${process.pid}.tmp`);
  const removeTemp = (): void => {
    for (const f of [temp, `${temp}-wal`, `${temp}-shm`]) rmSync(f, { force: true });
    if (createdDir) {
      try {
        rmdirSync(dir);
      } catch {
        // Something else was put there meanwhile: leave it.
      }
    }
  };
  let contents: Contents;
  let kept: string | null = null;
  let walFoldedBytes = 0;
  try {
    for (const f of [temp, `${temp}-wal`, `${temp}-shm`]) rmSync(f, { force: true });
    try {
      copyFileSync(backup, temp, constants.COPYFILE_EXCL);
      fsyncPath(temp, 'r+');
    } catch (err) {
      fail(RestoreErrorCode.FAILED, `copying ${backupFile} into ${dataDir}: ${(err as Error).message}`);
    }
    log(`copied    ${backupFile} to ${temp} (fsynced)`);
    contents = inspectCopy(temp, backupFile);
    // Closing the checked copy removed its WAL and index if it made any; none may follow it into place.
    for (const f of [`${temp}-wal`, `${temp}-shm`]) rmSync(f, { force: true });
    fsyncPath(temp, 'r+');
    const migrate =
      contents.schemaVersion < LATEST_SCHEMA_VERSION
        ? `, older than this build's ${LATEST_SCHEMA_VERSION}: migrated at the next start`
        : ' (current)';
    log(
      `verified  the copy: integrity ok; worldtick schema version ${contents.schemaVersion}${migrate}; ` +
        `${contents.worlds} world(s), ${contents.checkpoints} checkpoint(s), ${contents.ledgerEntries} ledger entries (last seq ${contents.lastLedgerSeq}), ${contents.players} player(s)`,
    );

    // 3. The current store: nobody may have it open.
    if (existsSync(store)) {
      walFoldedBytes = probeStore(store);
      log(
        `probed    ${store}: no process has it open${walFoldedBytes > 0 ? `; the ${walFoldedBytes}-byte WAL a stopped server left was folded into it` : ''}`,
      );
    } else {
      if (existsSync(`${store}-wal`))
        fail(RestoreErrorCode.STORE_IN_USE, `${store}-wal exists without ${SQLITE_FILE_NAME}: move it aside and run restore again`);
      rmSync(`${store}-shm`, { force: true });
      log(`probed    ${dataDir}: no current store`);
    }

    // 4. Keep the current store, then swap.
    if (existsSync(store)) {
      kept = keepCurrent(store, options.now?.() ?? new Date());
      log(`kept      the current store as ${kept}`);
    }
    try {
      renameSync(temp, store);
    } catch (err) {
      fail(RestoreErrorCode.FAILED, `renaming the copy to ${store}: ${(err as Error).message}`);
    }
  } catch (err) {
    if (kept) rmSync(kept, { force: true });
    removeTemp();
    throw err;
  }
  // The swap is done: a failed directory fsync cannot be undone, only reported.
  try {
    fsyncPath(dir, 'r');
  } catch (err) {
    log(`warning   fsync of ${dir} failed (${(err as Error).message}): the rename may not survive a power loss`);
  }
  log(`restored  ${store} from ${backupFile}`);
  return {
    backup,
    store,
    kept,
    walFoldedBytes,
    latestSchemaVersion: LATEST_SCHEMA_VERSION,
    bytes: statSync(store).size,
    ...contents,
  };
};
