/**
 * The steps of `npm run restore` that read or probe files (src/cli/restore-store.ts puts them in order):
 * the backup's header, the check of the copy, the probe of the current store, keeping it.
 */
import { closeSync, constants, copyFileSync, existsSync, fsyncSync, linkSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { LATEST_SCHEMA_VERSION } from '../store/migrations.js';
import { fail, RestoreError, RestoreErrorCode } from './restore-error.js';

const SQLITE_HEADER = 'SQLite format 3\0';

const sqliteCode = (err: unknown): string => {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : '';
};

/** fsync the file or directory `path` (opened with `flags`). */
export const fsyncPath = (path: string, flags: string): void => {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
};

/** Whether `file` starts with the SQLite header. */
export const hasSqliteHeader = (file: string): boolean => {
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

/** What the checked copy holds. */
export interface Contents {
  /** Schema version of the backup (an older one than this build's is migrated at the next start). */
  schemaVersion: number;
  /** Rows in the copy. */
  worlds: number;
  checkpoints: number;
  ledgerEntries: number;
  lastLedgerSeq: number;
  players: number;
}

/** Check the copy at `file` (named `shown` in messages) and count what it holds. Throws a RestoreError. */
export const inspectCopy = (file: string, shown: string): Contents => {
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
export const probeStore = (store: string): number => {
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
export const keepCurrent = (store: string, now: Date): string => {
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
