/**
 * One server per SQLite data directory. SQLite in WAL mode lets several processes write one file,
 * so before this lock a second server started on a running one's `--data-dir` (another terminal, a
 * unit started twice, an old process still stopping) restored the same worlds, stepped them apart
 * and wrote its checkpoints over the first one's. The lock is an empty SQLite file,
 * `<data-dir>/worldtick.lock`, in which the server's connection holds an EXCLUSIVE transaction
 * (never committed, nothing written) until it is closed; the operating system drops the lock when
 * the process dies (a SIGKILL leaves nothing to clean up). A second opener gets SQLITE_BUSY at once.
 * `npm run backup` and `npm run verify -- --data-dir` open the store, not the lock, so they still
 * run beside the server; `npm run restore` refuses a store in use by its own probe; `npm run
 * store-copy` takes the lock of its source or target directory (src/cli/store-copy.ts: refused while
 * a server runs).
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { ErrorCode, optionInvalid, WorldtickError } from '../errors.js';

/**
 * Create `dir` and its missing parents one by one. Not `mkdirSync(dir, { recursive: true })`: on a
 * directory that refuses new entries with ENOENT (under `/proc`, `/sys`) Node 20's recursive mkdir
 * retries forever on the main thread, so the start hung, deaf to SIGTERM, at 100 % CPU. Throws
 * `WT_ERR_OPTION_INVALID` naming `--data-dir` and the reason (exit 2).
 */
const makeDir = (dir: string): void => {
  const missing: string[] = [];
  for (let p = resolve(dir); !existsSync(p); p = dirname(p)) {
    missing.unshift(p);
    if (dirname(p) === p) break;
  }
  for (const p of missing) {
    try {
      mkdirSync(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') {
        // Node's message starts with the code already ("ENOENT: no such file or directory, mkdir '…'").
        const message = (err as Error).message;
        const why = code && !message.startsWith(`${code}:`) ? `${code}: ${message}` : message;
        throw optionInvalid([`--data-dir ${dir}: the directory cannot be created (${why})`]);
      }
    }
  }
};

/** The lock file's name in the data directory. */
export const DATA_DIR_LOCK_FILE = 'worldtick.lock';

/** A held data-directory lock. */
export interface DataDirLock {
  /** Close the lock's connection (the lock is released); idempotent. */
  release(): void;
}

/**
 * Take the lock of `dataDir` (created if missing). Throws `WT_ERR_DATA_DIR_IN_USE` when another
 * process — or another runtime of this one — holds it.
 */
export const lockDataDir = (dataDir: string): DataDirLock => {
  makeDir(dataDir);
  if (!statSync(dataDir).isDirectory()) throw optionInvalid([`--data-dir ${dataDir} is not a directory`]);
  const path = join(dataDir, DATA_DIR_LOCK_FILE);
  let db: Database.Database;
  try {
    db = new Database(path, { timeout: 0 });
  } catch (err) {
    throw optionInvalid([`--data-dir ${dataDir}: cannot open ${path} (${(err as Error).message})`]);
  }
  try {
    // An EXCLUSIVE transaction that is never committed: the lock is held until the connection closes,
    // and nothing is ever written (the file stays empty, no journal), so a refused start changes no byte.
    db.pragma('journal_mode = MEMORY'); // no -journal file beside it (a SIGKILLed holder would leave one)
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    const code = String((err as { code?: unknown }).code ?? '');
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
      throw new WorldtickError(
        ErrorCode.DATA_DIR_IN_USE,
        `data directory ${dataDir} is in use by another worldtick server (${path} is locked): stop that server first, or give this one its own --data-dir`,
        { details: { dataDir, lock: path } },
      );
    throw err;
  }
  let open = true;
  return {
    release: () => {
      if (open) db.close();
      open = false;
    },
  };
};
