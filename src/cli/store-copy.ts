/**
 * `npm run store-copy`: copy a stopped store, offline, into an empty one of the other kind, and prove
 * the copy (docs/DURABILITY.md "Moving to PostgreSQL (operators)"):
 *
 *   npm run store-copy -- --from sqlite:./data --to postgres://worldtick@db/worldtick   (src/cli/store-copy-to-postgres.ts)
 *   npm run store-copy -- --from postgres://worldtick@db/worldtick --to sqlite:./local  (src/cli/store-copy-to-sqlite.ts)
 *
 * Both take the locks a server takes on both sides, refuse a target holding a store and a source whose
 * ledger has verify mismatches (unless accepted), copy every table in one target transaction compared
 * table by table before it commits, and recompute the ledger on the result. Prints a JSON summary last.
 * Exit 0 copied and proven equal; 1 a difference (`WT_ERR_STORE_COPY_MISMATCH`); 2 a usage error, a
 * refusal or a failure (the target unchanged); 3 a server runs on the source or target.
 */
import { Command } from 'commander';
import { parseCliArgs } from './cli-parse.js';
import { ErrorCode, isWorldtickError, optionInvalid } from '../errors.js';
import { resolveStoreTarget } from '../store/open-store.js';
import { mapPgError } from '../store/postgres-tx.js';
import { ACCEPT_SOURCE_MISMATCHES } from './store-copy-common.js';
import { storeCopyToPostgres } from './store-copy-to-postgres.js';
import { storeCopyToSqlite } from './store-copy-to-sqlite.js';

const HELP_AFTER = `
Both sides must be stopped: the copy takes the locks a server takes — a data directory's lock, a
PostgreSQL database's store lock (exclusive: refused while a single instance or any cluster
instance runs on it) — and is refused (exit 3) while a server runs on either side. The target must
hold no worldtick data (exit 2, WT_ERR_STORE_COPY_TARGET_NOT_EMPTY): a PostgreSQL database with no
worldtick row (an empty schema is empty), a data directory without a store (absent is fine).
The source is opened as a server start opens it: an older schema is migrated first (take a backup
before), a newer one refused (WT_ERR_STORE_MIGRATION_FAILED). A source whose ledger already has
verify mismatches (npm run verify lists them) is refused before anything is written (exit 2,
WT_ERR_STORE_COPY_SOURCE_MISMATCH): repair it, or copy it as it is with --accept-source-mismatches
(the mismatches are then listed, and the target has the same).

Everything is read from one moment of the source (one read transaction; from PostgreSQL one
REPEATABLE READ snapshot) and written in ONE transaction of the target — worlds and checkpoints,
ledger (seq numbers, idempotency keys, the ledger summary), players and sessions, player data,
operator state, fences — and compared table by table (row counts, content digests) before it
commits: a failure, a difference, Ctrl-C or kill -9 leaves the target as it was. Into SQLite the
store is written as <dir>/worldtick.sqlite.copying and renamed to worldtick.sqlite after the
commit: until then no server would start from it (a killed copy's .copying file is removed by the
next copy). The ledger's and checkpoints' sequences (AUTOINCREMENT counters) start past the copied
values. After the commit every balance is recomputed from the target's ledger (npm run verify) and
compared with the source's.

Exit codes: 0 copied and proven equal; 1 a difference (WT_ERR_STORE_COPY_MISMATCH); 2 usage error,
refusal or failure (the target unchanged); 3 a server runs on the source or the target.
Then: npm start -- --store <the --to spec>  (docs/DURABILITY.md "Moving to PostgreSQL (operators)")`;

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
    .description(
      'copy a stopped server’s store into an empty one of the other kind (SQLite → PostgreSQL, or PostgreSQL → SQLite), in one transaction, and prove the copy',
    )
    .option('--from <spec>', 'the source: sqlite:<data-dir> (the server’s --store or --data-dir) or postgres://…')
    .option('--to <spec>', 'the target: postgres://… (an empty database) or sqlite:<data-dir> (absent, or holding no store)')
    .option(ACCEPT_SOURCE_MISMATCHES, 'copy a source whose ledger has verify mismatches (refused without it), listing them')
    .addHelpText('after', HELP_AFTER)
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  // Options are checked before the required ones: `--bogus` is named first, not a missing --from.
  const usage = { tool: 'worldtick-store-copy', code: ErrorCode.OPTION_INVALID, err: io.err, after: 'the target was not changed\n' };
  const parsed = parseCliArgs(program, argv, usage);
  if (parsed !== null) return parsed;
  const o = program.opts<{ from?: string; to?: string; acceptSourceMismatches?: boolean }>();
  const missing = (['from', 'to'] as const).filter((k) => !o[k]).map((k) => `--${k} <spec> is required`);
  if (missing.length) {
    io.err(`worldtick-store-copy: ${ErrorCode.OPTION_INVALID}: ${missing.join('; ')} (see --help)\nthe target was not changed\n`);
    return 2;
  }
  try {
    const from = resolveStoreTarget({ store: o.from ?? '' }, '--from');
    const to = resolveStoreTarget({ store: o.to ?? '' }, '--to');
    const log = (line: string): void => io.out(`${line}\n`);
    const options = { acceptSourceMismatches: o.acceptSourceMismatches === true };
    let report: unknown;
    if (from.kind === 'sqlite' && to.kind === 'postgres') report = await storeCopyToPostgres(from.dataDir, to.url, log, options);
    else if (from.kind === 'postgres' && to.kind === 'sqlite') report = await storeCopyToSqlite(from.url, to.dataDir, log, options);
    else
      throw optionInvalid([
        '--from and --to must be one sqlite:<data-dir> and one postgres://… (SQLite to PostgreSQL, or PostgreSQL to SQLite)',
      ]);
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
