/**
 * `npm run store-copy -- --from sqlite:<dir> --to postgres://…` (src/cli/store-copy.ts): a stopped
 * server's SQLite store into an empty PostgreSQL database. Steps (one line each): take the source's
 * data-directory lock and the target's store lock (the locks a server takes: src/server/data-dir-lock.ts,
 * pg-store-lock.ts — a server running on either side is refused, `WT_ERR_DATA_DIR_IN_USE` /
 * `WT_ERR_STORE_IN_USE`, before anything is opened); check the target holds no worldtick data; open
 * the source as a server start does (an older schema is migrated, a newer one refused
 * `WT_ERR_STORE_MIGRATION_FAILED`); recompute its ledger (`verify`: mismatches refused unless accepted);
 * copy every table in one target transaction, compared table by table before it commits
 * (src/store/store-copy.ts); recompute the ledger on the committed target and compare.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { optionInvalid } from '../errors.js';
import { createLogger } from '../log.js';
import { lockDataDir } from '../server/data-dir-lock.js';
import { lockPostgresStore, postgresWhere } from '../server/pg-store-lock.js';
import { openSqliteDatabase } from '../store/sqlite-open.js';
import { SQLITE_FILE_NAME } from '../store/sqlite-store.js';
import { copySqliteToPostgres } from '../store/store-copy.js';
import { targetNotEmpty, targetRows } from '../store/store-copy-postgres.js';
import { phaseClock } from '../store/store-copy-tables.js';
import { checkSourceLedger, connectCopy, finishReport, type StoreCopyOptions, type StoreCopyReport } from './store-copy-common.js';
import { verifyOffline } from './verify.js';

/**
 * Copy the SQLite store of `dataDir` into the PostgreSQL database at `url`; `log` gets one line per
 * step. Throws a WorldtickError (or a pg error) on a refusal or failure, the target unchanged —
 * except `WT_ERR_STORE_COPY_MISMATCH` from the ledger check after the commit (the report in `details`).
 */
export const storeCopyToPostgres = async (
  dataDir: string,
  url: string,
  log: (line: string) => void,
  options: StoreCopyOptions = {},
): Promise<StoreCopyReport> => {
  const t0 = performance.now();
  const phase = phaseClock();
  const file = join(dataDir, SQLITE_FILE_NAME);
  const where = postgresWhere(url);
  if (!existsSync(file))
    throw optionInvalid([`--from: no store in ${dataDir}: ${SQLITE_FILE_NAME} not found (give the data directory of the server)`]);
  // The locks a server takes, before anything is opened: a running server refuses the copy.
  const dirLock = lockDataDir(dataDir);
  let pgLock: Awaited<ReturnType<typeof lockPostgresStore>> | null = null;
  let client: pg.Client | null = null;
  let db: ReturnType<typeof openSqliteDatabase>['db'] | null = null;
  try {
    pgLock = await lockPostgresStore(url, createLogger('warn', process.stderr));
    log(`locked    ${dataDir} (data-directory lock) and ${where} (store lock): no server runs on either`);
    client = await connectCopy(url);
    const held = await targetRows(client);
    if (Object.keys(held).length) throw targetNotEmpty(where, held);
    log(`checked   ${where}: no worldtick data`);
    const lockMs = phase();
    const opened = openSqliteDatabase(file, { dataDir });
    db = opened.db;
    const m = opened.migration;
    const openMs = phase();
    log(`opened    ${file}: schema ${m.to}${m.applied.length ? ` (migrated from ${m.from}, as a server start would)` : ''}`);
    const source = await verifyOffline(dataDir);
    const sourceVerifyMs = phase();
    checkSourceLedger(source, options, log);
    const copy = await copySqliteToPostgres(db, client, where, { log });
    db.close();
    db = null;
    await client.end();
    client = null;
    phase(); // the source and the copy's connection closed: counted in no step
    const target = await verifyOffline('', url);
    const targetVerifyMs = phase();
    const phaseMs = { lock: lockMs, open: openMs, sourceVerify: sourceVerifyMs, ...copy.phaseMs, targetVerify: targetVerifyMs };
    return finishReport({ from: file, to: where, sourceSchema: { from: m.from, to: m.to }, t0 }, copy, phaseMs, source, target, log);
  } finally {
    db?.close();
    await client?.end().catch(() => undefined);
    await pgLock?.release();
    dirLock.release();
  }
};
