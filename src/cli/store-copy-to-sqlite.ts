/**
 * `npm run store-copy -- --from postgres://… --to sqlite:<dir>` (src/cli/store-copy.ts): a PostgreSQL
 * store (a cluster's shared one) down to a new SQLite store for one machine, or a local copy to debug.
 * Steps (one line each): take the source's store lock EXCLUSIVE (refused `WT_ERR_STORE_IN_USE` while a
 * single instance holds it exclusive or any cluster instance shared: src/server/pg-store-lock.ts) and
 * the target's data-directory lock; refuse a target directory that holds a store; open the source as
 * a server start does (an older schema migrated, a newer one refused); recompute its ledger (`verify`:
 * mismatches refused unless accepted); copy every table from one REPEATABLE READ snapshot into a new
 * file, `<dir>/worldtick.sqlite.copying`, in one SQLite transaction compared table by table before it
 * commits (src/store/store-copy-to-sqlite.ts); rename it to `worldtick.sqlite`; recompute the ledger on
 * it and compare. Until the rename there is no store in the directory: a refusal, a failure or a kill
 * leaves nothing a server would start from (a killed copy's `.copying` file is removed by the next copy).
 */
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import type pg from 'pg';
import { ErrorCode, WorldtickError } from '../errors.js';
import { createLogger } from '../log.js';
import { DATA_DIR_LOCK_FILE, lockDataDir } from '../server/data-dir-lock.js';
import { lockPostgresStore, postgresWhere } from '../server/pg-store-lock.js';
import { migratePostgresIn } from '../store/postgres-tx.js';
import { openSqliteDatabase } from '../store/sqlite-open.js';
import { SQLITE_FILE_NAME } from '../store/sqlite-store.js';
import { phaseClock } from '../store/store-copy-tables.js';
import { copyPostgresToSqlite } from '../store/store-copy-to-sqlite.js';
import { checkSourceLedger, connectCopy, finishReport, type StoreCopyOptions, type StoreCopyReport } from './store-copy-common.js';
import { verifyOffline } from './verify.js';

/** The name the copy writes the new store under until it is complete (no server opens it). */
export const COPYING_SUFFIX = '.copying';

/** SQLite's files beside a database `file` (a store is there if any of them is). */
const withSidecars = (file: string): string[] => [file, `${file}-wal`, `${file}-shm`, `${file}-journal`];

/** Refuse a target directory that holds a store (its file, or a WAL or journal left of one). */
const refuseHeldTarget = (dataDir: string): void => {
  const held = withSidecars(join(dataDir, SQLITE_FILE_NAME)).filter((f) => existsSync(f));
  if (held.length)
    throw new WorldtickError(
      ErrorCode.STORE_COPY_TARGET_NOT_EMPTY,
      `target ${dataDir} already holds a worldtick store (${held.map((f) => basename(f)).join(', ')}): a copy goes into an empty or absent data directory only — give another one, or move that store away if it holds nothing you need`,
      { details: { where: dataDir, files: held } },
    );
};

/** Make a rename in `dir` durable. */
const syncDir = (dir: string): void => {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
};

/**
 * Copy the PostgreSQL store at `url` into a new SQLite store in `dataDir` (absent, or holding no store);
 * `log` gets one line per step. Throws a WorldtickError (or a pg error) on a refusal or failure, no store
 * left in `dataDir` (a directory the copy created is removed again) — except `WT_ERR_STORE_COPY_MISMATCH`
 * from the ledger check after the rename (the report in `details`).
 */
export const storeCopyToSqlite = async (
  url: string,
  dataDir: string,
  log: (line: string) => void,
  options: StoreCopyOptions = {},
): Promise<StoreCopyReport> => {
  const t0 = performance.now();
  const phase = phaseClock();
  const where = postgresWhere(url);
  const file = join(dataDir, SQLITE_FILE_NAME);
  const copying = `${file}${COPYING_SUFFIX}`;
  // The source's lock, exclusive, before anything is opened or created: a running server of either kind refuses the copy.
  const pgLock = await lockPostgresStore(url, createLogger('warn', process.stderr));
  const created = !existsSync(dataDir);
  let dirLock: ReturnType<typeof lockDataDir> | null = null;
  let client: pg.Client | null = null;
  let db: ReturnType<typeof openSqliteDatabase>['db'] | null = null;
  let renamed = false;
  try {
    dirLock = lockDataDir(dataDir); // a server running on the target is refused as in use, before its store is looked at
    log(`locked    ${where} (store lock) and ${dataDir} (data-directory lock): no server runs on either`);
    refuseHeldTarget(dataDir);
    for (const f of withSidecars(copying)) rmSync(f, { force: true }); // a killed copy's
    log(`checked   ${dataDir}: no worldtick store`);
    const lockMs = phase();
    client = await connectCopy(url);
    await client.query('BEGIN');
    const m = await migratePostgresIn(client);
    await client.query('COMMIT');
    const openMs = phase();
    log(`opened    ${where}: schema ${m.to}${m.applied.length ? ` (migrated from ${m.from}, as a server start would)` : ''}`);
    const source = await verifyOffline('', url);
    const sourceVerifyMs = phase();
    checkSourceLedger(source, options, log);
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'); // the source as of one moment
    const opened = openSqliteDatabase(copying, { dataDir });
    db = opened.db;
    // A rollback journal, not the WAL: the file is new (the journal stays small), and each page is written once.
    db.pragma('journal_mode = DELETE');
    const createMs = phase();
    const copy = await copyPostgresToSqlite(client, db, opened.migration, { log });
    await client.query('COMMIT');
    db.close();
    db = null;
    renameSync(copying, file);
    renamed = true;
    syncDir(dataDir);
    log(`renamed   ${SQLITE_FILE_NAME}${COPYING_SUFFIX} to ${file}`);
    await client.end();
    client = null;
    phase(); // the rename and the connection closed: counted in no step
    const target = await verifyOffline(dataDir);
    const targetVerifyMs = phase();
    const phaseMs = {
      lock: lockMs,
      open: openMs,
      sourceVerify: sourceVerifyMs,
      ...copy.phaseMs,
      migrate: createMs + copy.phaseMs.migrate,
      targetVerify: targetVerifyMs,
    };
    return finishReport({ from: where, to: file, sourceSchema: { from: m.from, to: m.to }, t0 }, copy, phaseMs, source, target, log);
  } finally {
    db?.close();
    if (!renamed) for (const f of withSidecars(copying)) rmSync(f, { force: true });
    await client?.end().catch(() => undefined);
    await pgLock.release();
    dirLock?.release();
    // A directory this copy created and left without a store goes again (a refusal changes nothing).
    if (created && !renamed && existsSync(dataDir)) {
      rmSync(join(dataDir, DATA_DIR_LOCK_FILE), { force: true });
      if (readdirSync(dataDir).length === 0) rmdirSync(dataDir);
    }
  }
};
