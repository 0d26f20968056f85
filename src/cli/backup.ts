/**
 * `npm run backup`: an online, consistent copy of the embedded SQLite store (docs/DURABILITY.md,
 * "Backup and restore"), safe while the server runs.
 *
 *   npm run backup -- --data-dir ./data --out backups/worldtick-2026-12-01.sqlite
 *   npm run backup -- --store sqlite:./data --out …       (the server's --store spec)
 *
 * Copying `worldtick.sqlite` with `cp` while the server runs is not a backup: committed
 * transactions may still be in `worldtick.sqlite-wal`, and a copy taken during a WAL checkpoint is
 * torn. This command opens a second connection to the store (as the checkpoint writer thread does)
 * and runs SQLite's online backup API (better-sqlite3 `db.backup`) in ONE step, so the copy is the
 * database as of one read transaction — every transaction committed before it, none after — and no
 * write of the server can restart it. The server's writers are not blocked (WAL: readers never block
 * the writer); what they wrote meanwhile is folded back from the WAL into the store file by this
 * process once the copy is done, not by the server's event loop. The copy is written to `<out>.partial`, checked (`PRAGMA integrity_check`), then
 * renamed to `<out>`; an existing `<out>` is never overwritten. A PostgreSQL store is refused with
 * a pointer to `pg_dump`.
 *
 * Prints a JSON report (schema version, worlds, checkpoints, ledger entries, bytes, ms); exit 0 on
 * success, 2 on a usage error or a failure (nothing left at `<out>`), printed as
 * `worldtick-backup: <code>: <message>` (codes: docs/DURABILITY.md "Backup and restore").
 */
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Command } from 'commander';
import { parseCliArgs } from './cli-parse.js';
import { ErrorCode, WorldtickError } from '../errors.js';
import { shownPath } from '../core/shown.js';
import { resolveStoreTarget } from '../store/open-store.js';
import { openUnlessRestoring } from '../store/restore-marker.js';
import { SQLITE_FILE_NAME } from '../store/sqlite-store.js';

/** What {@link backupSqliteStore} reports. */
export interface BackupReport {
  /** The store file copied. */
  source: string;
  /** The backup file written. */
  out: string;
  /** Size of the backup file (bytes). */
  bytes: number;
  /** Wall milliseconds of the copy (the backup step) and of the whole command. */
  copyMs: number;
  totalMs: number;
  /** Highest schema migration in the copy (docs/DURABILITY.md "Schema migrations"). */
  schemaVersion: number;
  /** `PRAGMA integrity_check` of the copy: always `ok` in a report (anything else is an error). */
  integrity: 'ok';
  /** Rows in the copy: world records, world checkpoints, ledger entries (and the highest seq), players. */
  worlds: number;
  checkpoints: number;
  ledgerEntries: number;
  lastLedgerSeq: number;
  players: number;
}

const outRefused = (message: string): WorldtickError => new WorldtickError(ErrorCode.BACKUP_OUT_REFUSED, message);
const failed = (message: string, cause?: unknown): WorldtickError => new WorldtickError(ErrorCode.BACKUP_FAILED, message, { cause });

const count = (db: Database.Database, table: string): number => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

/**
 * Fold the store's WAL back into its file, on the backup's own connection. The copy's snapshot kept
 * the server's commits from doing it (docs/DURABILITY.md "WAL size"): the server's next commit would,
 * synchronously on its event loop (≈ 5–19 ms per MiB measured). PASSIVE waits for no reader or writer
 * (a server commit that tries meanwhile skips its own; TRUNCATE would hold the write lock while it
 * copies, and the server's writes would wait for it). Best effort: the backup is made whatever happens here.
 */
const foldBackWal = (src: Database.Database): void => {
  try {
    src.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // The server's next commit past the autocheckpoint size folds it back instead.
  }
};

/**
 * Copy the SQLite store of `dataDir` to `out` with the online backup API, check the copy, and
 * report it. Throws a WorldtickError (leaving nothing at `out`): `STORE_FILE_MISSING` when there is
 * no store, `BACKUP_OUT_REFUSED` when `out` exists or its directory does not, `BACKUP_FAILED` when the
 * copy cannot be made or fails its integrity check, `STORE_RESTORING` while a restore runs. The source is opened as a second connection; nothing is written to it
 * but the pages of its WAL, folded back into its file once the copy is done ({@link foldBackWal}).
 */
export const backupSqliteStore = async (dataDir: string, out: string): Promise<BackupReport> => {
  const t0 = performance.now();
  const source = resolve(join(dataDir, SQLITE_FILE_NAME));
  const target = resolve(out);
  if (!existsSync(source))
    throw new WorldtickError(
      ErrorCode.STORE_FILE_MISSING,
      `no store in ${dataDir}: ${SQLITE_FILE_NAME} not found (give the data directory of the server)`,
    );
  if (existsSync(target)) throw outRefused(`${shownPath(out)} exists: a backup never overwrites a file (choose a new name)`);
  if (!existsSync(dirname(target)))
    throw outRefused(
      `directory ${dirname(target)} does not exist: create it first (mkdir -p ${dirname(target)}); a backup never creates directories`,
    );
  const partial = `${target}.partial`;
  let src: Database.Database;
  try {
    rmSync(partial, { force: true });
    // A second connection, like the checkpoint writer's; busy_timeout as the store's (a writer holding
    // the lock during a WAL checkpoint is waited for). Not a store `npm run restore` is replacing
    // (that refusal keeps its own code, WT_ERR_STORE_RESTORING).
    src = openUnlessRestoring(source, () => new Database(source, { fileMustExist: true, timeout: 5000 }));
  } catch (err) {
    if (err instanceof WorldtickError) throw err;
    throw failed(`backup of ${source} failed: ${(err as Error).message}`, err);
  }
  let copyMs = 0;
  try {
    const c0 = performance.now();
    // All remaining pages in one step (the progress callback sets the next step's page count): one
    // read transaction, so a write of the server between steps cannot restart or tear the copy.
    await src.backup(partial, { progress: () => 0x7fffffff });
    copyMs = performance.now() - c0;
    foldBackWal(src);
  } catch (err) {
    rmSync(partial, { force: true });
    throw failed(`backup of ${source} failed: ${(err as Error).message}`, err);
  } finally {
    src.close();
  }
  let report: Omit<BackupReport, 'bytes' | 'totalMs' | 'source' | 'out' | 'copyMs'>;
  try {
    const copy = new Database(partial, { fileMustExist: true });
    try {
      const integrity = copy.pragma('integrity_check', { simple: true });
      if (integrity !== 'ok') throw failed(`integrity_check of the copy: ${String(integrity).slice(0, 300)}`);
      // An empty worldtick.sqlite or another program's database copies fine: say what it is, not "no such table".
      if (!copy.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get())
        throw new WorldtickError(
          ErrorCode.STORE_FILE_MISSING,
          `no store in ${dataDir}: ${SQLITE_FILE_NAME} holds no worldtick schema (no schema_migrations table); give the data directory of the server`,
        );
      const ledger = copy.prepare('SELECT count(*) AS n, coalesce(max(seq), 0) AS last FROM ledger').get() as { n: number; last: number };
      report = {
        schemaVersion: (copy.prepare('SELECT coalesce(max(version), 0) AS v FROM schema_migrations').get() as { v: number }).v,
        integrity: 'ok',
        worlds: count(copy, 'world_configs'),
        checkpoints: count(copy, 'checkpoints'),
        ledgerEntries: ledger.n,
        lastLedgerSeq: ledger.last,
        players: count(copy, 'players'),
      };
      // The copy keeps the source's WAL mode; fold its own WAL back so the backup is one file.
      copy.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      copy.close();
    }
    if (existsSync(target)) throw outRefused(`${shownPath(out)} appeared during the backup: not overwritten`);
    renameSync(partial, target);
  } catch (err) {
    for (const f of [partial, `${partial}-wal`, `${partial}-shm`]) rmSync(f, { force: true });
    throw err instanceof WorldtickError ? err : failed(`checking the copy ${partial}: ${(err as Error).message}`, err);
  }
  for (const f of [`${partial}-wal`, `${partial}-shm`]) rmSync(f, { force: true });
  return { source, out: target, bytes: statSync(target).size, copyMs, totalMs: performance.now() - t0, ...report };
};

/** Run the backup command on `argv` (node, script, ...flags); resolves with the exit code. */
export const runBackupCli = async (argv: readonly string[]): Promise<number> => {
  const program = new Command('worldtick-backup')
    .description('online, consistent copy of the embedded SQLite store (safe while the server runs)')
    .option('--data-dir <dir>', 'data directory of the server (or WORLDTICK_DATA_DIR; default ./data)')
    .option('--store <spec>', "the server's --store (sqlite:<dir>; postgres://… is refused: use pg_dump)")
    .option('--out <file>', 'backup file to write (must not exist)');
  const usage = (message: string): number => {
    process.stderr.write(`worldtick-backup: ${ErrorCode.OPTION_INVALID}: ${message}\n`);
    return 2;
  };
  const parsed = parseCliArgs(program, argv, {
    tool: 'worldtick-backup',
    code: ErrorCode.OPTION_INVALID,
    err: (t) => process.stderr.write(t),
  });
  if (parsed !== null) return parsed;
  const o = program.opts<{ dataDir?: string; store?: string; out?: string }>();
  if (!o.out) return usage('--out <file> is required');
  try {
    const target = resolveStoreTarget({
      store: o.store ?? process.env.WORLDTICK_STORE ?? '',
      dataDir: o.dataDir ?? process.env.WORLDTICK_DATA_DIR ?? '',
    });
    if (target.kind === 'postgres')
      return usage(
        'the store is PostgreSQL: back it up with pg_dump (pg_dump -Fc -f worldtick.dump <url>; docs/DURABILITY.md "Backup and restore")',
      );
    const report = await backupSqliteStore(target.dataDir, o.out);
    process.stdout.write(
      `${JSON.stringify({ ...report, copyMs: Math.round(report.copyMs), totalMs: Math.round(report.totalMs) }, null, 2)}\n`,
    );
    return 0;
  } catch (err) {
    // The code first, as the other tools print it (docs/DURABILITY.md "Backup and restore").
    const code = (err as { code?: unknown } | null)?.code;
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`worldtick-backup: ${typeof code === 'string' ? `${code}: ` : ''}${message}\n`);
    return 2;
  }
};
