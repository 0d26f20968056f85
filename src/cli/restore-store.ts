/**
 * Restore the embedded SQLite store from a backup file (`npm run restore`, src/cli/restore.ts;
 * docs/DURABILITY.md "Backup and restore (operators)").
 *
 * Order, so that a refusal changes nothing and a store in use is refused before any copy:
 *   1. the backup file: exists, is a regular file, has the SQLite header, has no `-wal` beside it
 *      (a live store's main file alone is not a backup), is not the store itself;
 *   2. the restore marker `worldtick.sqlite.restoring` is created (O_EXCL: one restore at a time), then
 *      the current store is probed: a connection in `locking_mode=EXCLUSIVE` with no busy wait. A
 *      running server (any process with the store open: the runtime keeps its connection for its
 *      whole life, WAL mode holds a shared lock on the file) makes it fail SQLITE_BUSY at once,
 *      and restore refuses. Otherwise it folds any WAL a crashed server left into the file
 *      (`wal_checkpoint(TRUNCATE)`) and closes; SQLite deletes the WAL at that last close. From
 *      here to the rename a process that opens the store finds the marker and refuses
 *      (src/store/restore-marker.ts): the probe stays true;
 *   3. copied to `<data-dir>/.worldtick.sqlite.restore-<pid>.tmp` and fsynced; the COPY is checked
 *      (`PRAGMA integrity_check`, a worldtick `schema_migrations` table, a schema version this
 *      build knows), so what is checked is byte for byte what is installed;
 *   4. the current store is kept as `worldtick.sqlite.before-restore-<UTC stamp>` (a hard link to
 *      the same, now self-contained, file), then the temp file is renamed over `worldtick.sqlite`
 *      (atomic: the path always names a whole database), the directory fsynced, the marker removed.
 * A failure, or SIGINT/SIGTERM (`options.signal`), before the rename removes what the restore created
 * (the marker included) and leaves the store as it was.
 */
import { constants, existsSync, mkdirSync, renameSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { LATEST_SCHEMA_VERSION } from '../store/migrations.js';
import { createRestoreMarker, describeRestoreMarker, removeRestoreMarker, restoreMarkerPath } from '../store/restore-marker.js';
import { SQLITE_FILE_NAME } from '../store/sqlite-store.js';
import { fail, RestoreError, RestoreErrorCode } from './restore-error.js';
import { type Contents, fsyncPath, hasSqliteHeader, inspectCopy, keepCurrent, probeStore } from './restore-steps.js';

export { RestoreError, RestoreErrorCode } from './restore-error.js';

/** What {@link restoreSqliteStore} did. */
export interface RestoreReport extends Contents {
  /** The backup file restored (absolute). */
  backup: string;
  /** The store file now holding the backup (absolute). */
  store: string;
  /** Where the previous store was kept, or null when there was none. */
  kept: string | null;
  /** Bytes of WAL a crashed server had left, folded into the kept file (0 when none). */
  walFoldedBytes: number;
  /** The highest schema version this build knows (the backup's is `schemaVersion`). */
  latestSchemaVersion: number;
  /** Size of the restored file (bytes). */
  bytes: number;
}

/** Options of {@link restoreSqliteStore}. */
export interface RestoreOptions {
  /** Called with one line per step done. */
  log?: (line: string) => void;
  /** Clock for the `before-restore` name and the marker (tests). */
  now?: () => Date;
  /** Aborted (reason: the signal's name) on SIGINT/SIGTERM: the restore stops at its next step, before the rename. */
  signal?: AbortSignal;
}

/** Let a signal's handler run (the steps are synchronous), then stop if it aborted. */
const checkInterrupt = async (signal: AbortSignal | undefined): Promise<void> => {
  await new Promise((r) => setImmediate(r));
  if (signal?.aborted) {
    const sig: NodeJS.Signals = signal.reason === 'SIGINT' ? 'SIGINT' : 'SIGTERM';
    throw new RestoreError(RestoreErrorCode.INTERRUPTED, `interrupted by ${sig} before the swap`, sig);
  }
};

/** `p` as it is, or JSON-quoted when it is empty, begins or ends with a space, or holds what JSON escapes (a control character, a quote). */
const pathShown = (p: string): string => {
  const quoted = JSON.stringify(p);
  return p !== '' && p === p.trim() && quoted === `"${p}"` ? p : quoted;
};

/**
 * Replace the SQLite store of `dataDir` (`<dataDir>/worldtick.sqlite`) with the backup `backupFile`,
 * keeping the current store as `worldtick.sqlite.before-restore-<stamp>`. Refuses (RestoreError,
 * nothing changed) on a bad backup, a store in use or an interruption; see the module comment for the steps.
 */
export const restoreSqliteStore = async (backupFile: string, dataDir: string, options: RestoreOptions = {}): Promise<RestoreReport> => {
  const log = options.log ?? (() => {});
  // Paths as given, quoted when a reader could not tell where they begin or end (empty, spaces at an end, control characters).
  const named = pathShown(backupFile);
  const namedDir = pathShown(dataDir);
  const backup = resolve(backupFile);
  const dir = resolve(dataDir);
  const store = join(dir, SQLITE_FILE_NAME);

  // 1. The backup file.
  let st: ReturnType<typeof statSync> | undefined;
  try {
    st = statSync(backup);
  } catch {
    fail(RestoreErrorCode.BACKUP_MISSING, `${named} does not exist`);
  }
  if (!st!.isFile()) fail(RestoreErrorCode.BACKUP_MISSING, `${named} is not a regular file`);
  if (!hasSqliteHeader(backup)) fail(RestoreErrorCode.NOT_SQLITE, `${named} is not a SQLite database (no SQLite header)`);
  if (existsSync(`${backup}-wal`))
    fail(
      RestoreErrorCode.NOT_SQLITE,
      `${named} has a -wal file beside it: it is a live (or crashed) store's file, not a backup; take one with npm run backup`,
    );
  // The same file, by any name (a symlink, a hard link): restoring it onto itself would only lose its WAL.
  if (existsSync(store)) {
    const cur = statSync(store);
    if (cur.ino === st!.ino && cur.dev === st!.dev) fail(RestoreErrorCode.USAGE, `${named} is the store itself`);
  }
  log(`checked   ${named}: a SQLite file, ${st!.size} bytes`);

  // The data directory (created when missing: the marker and the copy go there; same file system as
  // the store, so the rename is atomic).
  let createdDir = false;
  if (!existsSync(dir)) {
    try {
      mkdirSync(dir);
    } catch (err) {
      fail(RestoreErrorCode.USAGE, `cannot create the data directory ${namedDir}: ${(err as Error).message}`);
    }
    createdDir = true;
  } else if (!statSync(dir).isDirectory()) fail(RestoreErrorCode.USAGE, `${namedDir} is not a directory`);
  const temp = join(dir, `.${SQLITE_FILE_NAME}.restore-${process.pid}.tmp`);
  let marked = false;
  let kept: string | null = null;
  const cleanUp = (): void => {
    if (kept) rmSync(kept, { force: true });
    for (const f of [temp, `${temp}-wal`, `${temp}-shm`]) rmSync(f, { force: true });
    if (marked) removeRestoreMarker(store);
    if (createdDir) {
      try {
        rmdirSync(dir);
      } catch {
        // Something else was put there meanwhile: leave it.
      }
    }
  };
  let contents: Contents;
  let walFoldedBytes = 0;
  try {
    // 2. The marker, then the current store: nobody may have it open.
    try {
      marked = createRestoreMarker(store, options.now?.() ?? new Date());
    } catch (err) {
      fail(RestoreErrorCode.FAILED, `creating ${restoreMarkerPath(store)}: ${(err as Error).message}`);
    }
    if (!marked) {
      const other = describeRestoreMarker(store);
      fail(
        RestoreErrorCode.STORE_IN_USE,
        `a restore marker exists: ${other?.text ?? `${restoreMarkerPath(store)} (gone since): run restore again`}`,
      );
    }
    if (existsSync(store)) {
      walFoldedBytes = probeStore(store);
      log(
        `probed    ${store}: no process has it open${walFoldedBytes > 0 ? `; the ${walFoldedBytes}-byte WAL a stopped server left was folded into it` : ''}`,
      );
    } else {
      if (existsSync(`${store}-wal`))
        fail(RestoreErrorCode.STORE_IN_USE, `${store}-wal exists without ${SQLITE_FILE_NAME}: move it aside and run restore again`);
      rmSync(`${store}-shm`, { force: true });
      log(`probed    ${namedDir}: no current store`);
    }
    await checkInterrupt(options.signal);

    // 3. The copy, checked.
    for (const f of [temp, `${temp}-wal`, `${temp}-shm`]) rmSync(f, { force: true });
    try {
      await copyFile(backup, temp, constants.COPYFILE_EXCL);
      fsyncPath(temp, 'r+');
    } catch (err) {
      fail(RestoreErrorCode.FAILED, `copying ${named} into ${namedDir}: ${(err as Error).message}`);
    }
    log(`copied    ${named} to ${temp} (fsynced)`);
    await checkInterrupt(options.signal);
    contents = inspectCopy(temp, named);
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
    await checkInterrupt(options.signal);

    // 4. Keep the current store, then swap.
    if (existsSync(store)) {
      kept = keepCurrent(store, options.now?.() ?? new Date());
      log(`kept      the current store as ${kept}`);
    }
    await checkInterrupt(options.signal);
    try {
      renameSync(temp, store);
    } catch (err) {
      fail(RestoreErrorCode.FAILED, `renaming the copy to ${store}: ${(err as Error).message}`);
    }
  } catch (err) {
    cleanUp();
    throw err;
  }
  // The swap is done: a failed directory fsync cannot be undone, only reported.
  try {
    fsyncPath(dir, 'r');
  } catch (err) {
    log(`warning   fsync of ${dir} failed (${(err as Error).message}): the rename may not survive a power loss`);
  }
  try {
    removeRestoreMarker(store);
  } catch (err) {
    log(
      `warning   ${restoreMarkerPath(store)} could not be removed (${(err as Error).message}): remove it, servers refuse to start while it exists`,
    );
  }
  log(`restored  ${store} from ${named}`);
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
