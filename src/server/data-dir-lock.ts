/**
 * One server per SQLite data directory. SQLite in WAL mode lets several processes write one file,
 * so before this lock a second server started on a running one's `--data-dir` (another terminal, a
 * unit started twice, an old process still stopping) restored the same worlds, stepped them apart
 * and wrote its checkpoints over the first one's. The lock is a small SQLite file,
 * `<data-dir>/worldtick.lock`, written once in exclusive locking mode: its connection keeps the
 * file's EXCLUSIVE lock until it is closed, and the operating system drops the lock when the
 * process dies (a SIGKILL leaves nothing to clean up). A second opener gets SQLITE_BUSY at once.
 * `npm run backup` and `npm run verify -- --data-dir` open the store, not the lock, so they still
 * run beside the server; `npm run restore` refuses a store in use by its own probe.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ErrorCode, WorldtickError } from '../errors.js';

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
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, DATA_DIR_LOCK_FILE);
  const db = new Database(path, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    // A write takes the EXCLUSIVE lock; in exclusive locking mode it is kept after the commit.
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, since TEXT NOT NULL)');
    db.transaction(() => {
      db.prepare('DELETE FROM holder').run();
      db.prepare('INSERT INTO holder (pid, since) VALUES (?, ?)').run(process.pid, new Date().toISOString());
    })();
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
