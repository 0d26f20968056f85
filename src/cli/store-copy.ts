/**
 * `npm run store-copy`: move a stopped server's embedded SQLite store into an empty PostgreSQL
 * database, offline (docs/DURABILITY.md "Moving to PostgreSQL (operators)"):
 *
 *   npm run store-copy -- --from sqlite:./data --to postgres://worldtick@db/worldtick
 *
 * Steps (one line each): take the source's data-directory lock and the target's store lock (the
 * locks a server takes: src/server/data-dir-lock.ts, pg-store-lock.ts — a server running on either
 * side is refused, `WT_ERR_DATA_DIR_IN_USE` / `WT_ERR_STORE_IN_USE`, before anything is opened); check
 * the target holds no worldtick data; open the source as a server start does (an older schema is
 * migrated, a newer one refused `WT_ERR_STORE_MIGRATION_FAILED`); recompute its ledger (`verify`);
 * copy every table in one target transaction, compared table by table before it commits
 * (src/store/store-copy.ts); recompute the ledger on the committed target and compare. Prints a JSON
 * summary last. Exit 0 copied and proven equal; 1 a difference (`WT_ERR_STORE_COPY_MISMATCH`); 2 a
 * usage error, a refusal or a failure (the target unchanged); 3 a server runs on the source or target.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import type pg from 'pg';
import { ErrorCode, isWorldtickError, optionInvalid, WorldtickError } from '../errors.js';
import { createLogger } from '../log.js';
import { lockDataDir } from '../server/data-dir-lock.js';
import { lockPostgresStore, postgresWhere } from '../server/pg-store-lock.js';
import { resolveStoreTarget } from '../store/open-store.js';
import { mapPgError } from '../store/postgres-tx.js';
import { openSqliteDatabase } from '../store/sqlite-open.js';
import { SQLITE_FILE_NAME } from '../store/sqlite-store.js';
import { copySqliteToPostgres } from '../store/store-copy.js';
import { targetNotEmpty, targetRows } from '../store/store-copy-postgres.js';
import { type CopyPhaseMs, type CopyResult, phaseClock } from '../store/store-copy-tables.js';
import { type OfflineReport, verifyOffline } from './verify.js';

/** `application_name` of the copy's connection (find it in `pg_stat_activity`). */
export const STORE_COPY_APPLICATION = 'worldtick-store-copy';

const HELP_AFTER = `
Both sides must be stopped: the copy takes the source's data-directory lock and the target's
store lock, as a server does, and is refused (exit 3) while a server runs on either. The target
must hold no worldtick data (exit 2, WT_ERR_STORE_COPY_TARGET_NOT_EMPTY; an empty schema is empty).
The source is opened as a server start opens it: an older schema is migrated first (take a backup
before, npm run backup), a newer one refused (WT_ERR_STORE_MIGRATION_FAILED). A source whose
ledger already has verify mismatches (npm run verify lists them) is refused before anything is
written (exit 2, WT_ERR_STORE_COPY_SOURCE_MISMATCH): repair it, or copy it as it is with
--accept-source-mismatches (the mismatches are then listed, and the target has the same).

Everything is copied in ONE transaction of the target — worlds and checkpoints, ledger (seq
numbers, idempotency keys, the ledger summary), players and sessions, player data, operator state,
fences — and compared table by table (row counts, content digests) before it commits: a failure,
a difference, Ctrl-C or kill -9 leaves the target as it was. The ledger's and checkpoints'
sequences start past the copied values. After the commit every balance is recomputed from the
target's ledger (npm run verify) and compared with the source's.

Exit codes: 0 copied and proven equal; 1 a difference (WT_ERR_STORE_COPY_MISMATCH); 2 usage error,
refusal or failure (the target unchanged); 3 a server runs on the source or the target.
Then: npm start -- --store <the --to url>  (docs/DURABILITY.md "Moving to PostgreSQL (operators)")`;

/** What {@link storeCopy} reports. */
export interface StoreCopyReport {
  from: string;
  /** host:port/database of the target (never the user or password). */
  to: string;
  /** The source's schema before the copy and after its migration (equal when it was current). */
  sourceSchema: { from: number; to: number };
  /** The target's schema before (0: created by the copy) and after. */
  targetSchema: { from: number; to: number };
  tables: CopyResult['tables'];
  sequences: CopyResult['sequences'];
  /** The ledger recomputed on each side (`npm run verify`): players, entries read, mismatches (a source's own are carried over, not a difference). */
  ledger: { source: LedgerFigures; target: LedgerFigures; same: boolean };
  /** Every table and the recomputed ledgers equal on both sides (the exit code is 0 only then). */
  ok: boolean;
  /** Wall milliseconds of the whole command. */
  ms: number;
  /**
   * Wall milliseconds of each step, in order: `lock` (both locks, the target checked empty), `open`
   * (the source opened, migrated if older), `sourceVerify` and `targetVerify` (the ledger recomputed on
   * each side), and the copy's own `migrate`, `insert`, `compare`, `commit` (src/store/store-copy.ts).
   */
  phaseMs: { lock: number; open: number; sourceVerify: number } & CopyPhaseMs & { targetVerify: number };
}

/** The figures of an offline verify. */
interface LedgerFigures {
  players: number;
  entriesRead: number;
  mismatches: number;
}

const figures = (r: OfflineReport): LedgerFigures => ({ players: r.players, entriesRead: r.entriesRead, mismatches: r.mismatches.length });

/** The flag that copies a source whose ledger has verify mismatches. */
export const ACCEPT_SOURCE_MISMATCHES = '--accept-source-mismatches';

/** How many of a source's mismatches the refusal names (all are in its `details`). */
const NAMED_MISMATCHES = 3;

/** The refusal of a source whose ledger has verify mismatches (copied only with {@link ACCEPT_SOURCE_MISMATCHES}). */
export const sourceMismatch = (mismatches: OfflineReport['mismatches']): WorldtickError => {
  const named = mismatches.slice(0, NAMED_MISMATCHES).map((m) => `${m.playerId} ${m.field}: ledger ${m.ledger}, held ${m.held}`);
  const more = mismatches.length > NAMED_MISMATCHES ? `; … ${mismatches.length - NAMED_MISMATCHES} more` : '';
  return new WorldtickError(
    ErrorCode.STORE_COPY_SOURCE_MISMATCH,
    `the source's ledger has ${mismatches.length} verify mismatch(es) (${named.join('; ')}${more}): a copy would carry them into the target — repair the source (npm run verify lists them) or copy it as it is with ${ACCEPT_SOURCE_MISMATCHES}`,
    { details: { mismatches } },
  );
};

/** Options of {@link storeCopy}. */
export interface StoreCopyOptions {
  /** Copy a source whose ledger has verify mismatches (refused by default: `WT_ERR_STORE_COPY_SOURCE_MISMATCH`). */
  acceptSourceMismatches?: boolean;
}

const connect = async (url: string): Promise<pg.Client> => {
  const { Client } = createRequire(import.meta.url)('pg') as typeof pg;
  const c = new Client({ connectionString: url, application_name: STORE_COPY_APPLICATION, connectionTimeoutMillis: 5000 });
  c.on('error', () => undefined); // a lost connection fails the query in flight: reported there
  try {
    await c.connect();
  } catch (err) {
    await c.end().catch(() => undefined);
    throw mapPgError(err);
  }
  return c;
};

/**
 * Copy the SQLite store of `dataDir` into the PostgreSQL database at `url`; `log` gets one line per
 * step. Throws a WorldtickError (or a pg error) on a refusal or failure, the target unchanged —
 * except `WT_ERR_STORE_COPY_MISMATCH` from the ledger check after the commit (the report in `details`).
 */
export const storeCopy = async (
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
    client = await connect(url);
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
    log(
      `verified  the source's ledger: ${source.entriesRead} entries, ${source.players} player(s), ${source.mismatches.length} mismatch(es)`,
    );
    if (source.mismatches.length && options.acceptSourceMismatches !== true) throw sourceMismatch(source.mismatches);
    const copy = await copySqliteToPostgres(db, client, where, { log });
    db.close();
    db = null;
    await client.end();
    client = null;
    phase(); // the source and the copy's connection closed: counted in no step
    const target = await verifyOffline('', url);
    const targetVerifyMs = phase();
    const same =
      JSON.stringify(target.balances) === JSON.stringify(source.balances) &&
      target.entriesRead === source.entriesRead &&
      JSON.stringify(target.mismatches) === JSON.stringify(source.mismatches);
    const report: StoreCopyReport = {
      from: file,
      to: where,
      sourceSchema: { from: m.from, to: m.to },
      targetSchema: { from: copy.migration.from, to: copy.migration.to },
      tables: copy.tables,
      sequences: copy.sequences,
      ledger: { source: figures(source), target: figures(target), same },
      ok: same,
      ms: Math.round(performance.now() - t0),
      phaseMs: { lock: lockMs, open: openMs, sourceVerify: sourceVerifyMs, ...copy.phaseMs, targetVerify: targetVerifyMs },
    };
    if (!same)
      throw new WorldtickError(
        ErrorCode.STORE_COPY_MISMATCH,
        `the ledger recomputed on the target differs from the source's (committed: empty the target database before copying again)`,
        { details: report },
      );
    log(
      `verified  the target's ledger: ${target.players} player(s), balances equal to the source's${target.ok ? '' : ` (${target.mismatches.length} mismatch(es), the same as in the source: npm run verify lists them)`}`,
    );
    return report;
  } finally {
    db?.close();
    await client?.end().catch(() => undefined);
    await pgLock?.release();
    dirLock.release();
  }
};

/** Where {@link runStoreCopyCli} writes (the process's streams by default). */
export interface StoreCopyIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const PROCESS_IO: StoreCopyIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

/** Exit code of a failure: 3 in use, 1 a difference, 2 anything else. */
const exitCodeOf = (err: unknown): number => {
  if (isWorldtickError(err, ErrorCode.DATA_DIR_IN_USE) || isWorldtickError(err, ErrorCode.STORE_IN_USE)) return 3;
  if (isWorldtickError(err, ErrorCode.STORE_COPY_MISMATCH)) return 1;
  return 2;
};

/** Run the store-copy command on `argv` (node, script, ...flags); resolves with the exit code. */
export const runStoreCopyCli = async (argv: readonly string[], io: StoreCopyIo = PROCESS_IO): Promise<number> => {
  const program = new Command('worldtick-store-copy')
    .description('copy a stopped server’s SQLite store into an empty PostgreSQL database, in one transaction, and prove the copy')
    .requiredOption('--from <spec>', 'the source: sqlite:<data-dir> (the server’s --store or --data-dir)')
    .requiredOption('--to <url>', 'the target: postgres://… (an empty database)')
    .option(ACCEPT_SOURCE_MISMATCHES, 'copy a source whose ledger has verify mismatches (refused without it), listing them')
    .addHelpText('after', HELP_AFTER)
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();
  try {
    program.parse([...argv]);
  } catch (err) {
    if (err instanceof CommanderError && (err.code === 'commander.helpDisplayed' || err.code === 'commander.help')) return 0;
    return 2;
  }
  const o = program.opts<{ from: string; to: string; acceptSourceMismatches?: boolean }>();
  try {
    const from = resolveStoreTarget({ store: o.from });
    const to = resolveStoreTarget({ store: o.to });
    if (from.kind !== 'sqlite' || to.kind !== 'postgres')
      throw optionInvalid(['--from must be sqlite:<data-dir> and --to postgres://… (SQLite to PostgreSQL only)']);
    const report = await storeCopy(from.dataDir, to.url, (line) => io.out(`${line}\n`), {
      acceptSourceMismatches: o.acceptSourceMismatches === true,
    });
    io.out(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  } catch (err) {
    const e = mapPgError(err);
    const code = isWorldtickError(e) ? e.code : 'error';
    const message = e instanceof Error ? e.message : String(e);
    if (isWorldtickError(e, ErrorCode.STORE_COPY_MISMATCH) && e.details) io.out(`${JSON.stringify(e.details, null, 2)}\n`);
    const after = exitCodeOf(e) === 1 && !message.includes('rolled back') ? '' : '\nthe target was not changed';
    io.err(`worldtick-store-copy: ${code}: ${message}${after}\n`);
    return exitCodeOf(e);
  }
};
