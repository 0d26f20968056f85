/**
 * `npm run restore`: replace the embedded SQLite store with a backup made by `npm run backup`
 * (docs/DURABILITY.md, "Backup and restore (operators)"). The server must be stopped.
 *
 *   npm run restore -- backups/worldtick-20261201T050000Z.sqlite --data-dir ./data
 *   npm run restore -- <backup-file> --store sqlite:./data      (the server's --store spec)
 *
 * The store is found as `npm start` and `npm run backup` find it: `--store` / `WORLDTICK_STORE`,
 * `--data-dir` / `WORLDTICK_DATA_DIR`, a `--config` / `WORLDTICK_CONFIG` file's `store` and
 * `dataDir` (flag > environment — set and not empty — > config file > default `./data`). A PostgreSQL store is refused
 * with a pointer to `pg_restore`. The steps and checks are src/cli/restore-store.ts.
 *
 * Prints one line per step done and exits 0; a refusal or failure prints its code and message,
 * changes nothing, and exits 2 (usage, or a backup refused: missing, not SQLite, corrupt, not a
 * worldtick store, a newer schema), 3 (the store is in use: a server runs on it, or a restore marker
 * exists), 1 (I/O failure) or 130/143 (SIGINT/SIGTERM before the swap).
 */
import { Command } from 'commander';
import { parseCliArgs } from './cli-parse.js';
import { resolveStoreTarget } from '../store/open-store.js';
import { readConfigFile } from './config-file.js';
import { RestoreError, RestoreErrorCode, restoreSqliteStore } from './restore-store.js';

export { RestoreError, RestoreErrorCode, restoreSqliteStore, type RestoreReport, type RestoreOptions } from './restore-store.js';

/** The signals that stop a restore before its swap (what it made is removed; exit 128 + the signal's number). */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

const HELP_AFTER = `
The server must be stopped: a store another process has open (a running server, a running
backup) is refused (exit 3). There is no --force: a server running on the old file would keep
writing to it, unseen, and its WAL would be mixed with the restored file.

Steps (each printed): check the backup file; create the marker worldtick.sqlite.restoring and check
that no process has the store open (a WAL a crashed server left is folded into the store); copy the
backup into the data directory and fsync; check the copy (PRAGMA integrity_check, a worldtick
schema no newer than this build's; an older one is migrated at the next start); keep the store as
worldtick.sqlite.before-restore-<UTC stamp>; rename the copy to worldtick.sqlite; remove the marker.
While the marker exists a server (or npm run backup, npm run verify) started on the directory
refuses (WT_ERR_STORE_RESTORING, exit 2). Anything refused or failed, or SIGINT/SIGTERM before the
rename, changes nothing and removes the marker. A marker left by a killed restore is refused by
restore and servers alike: remove it by hand once no restore runs.

Exit codes: 0 restored; 2 usage error or backup refused (missing, not SQLite, corrupt, not a
worldtick store, newer schema); 3 the store is in use, cannot be probed, or a restore marker exists;
1 I/O failure; 130/143 interrupted by SIGINT/SIGTERM.
PostgreSQL: use pg_restore (docs/DURABILITY.md "Backup and restore (operators)").`;

/** Data directory from flag > environment > config file > default (as `npm start` reads them); throws RestoreError. */
const locateStore = (o: { dataDir?: string; store?: string; config?: string }, env: NodeJS.ProcessEnv): string => {
  // As the server reads its environment (src/cli/options.ts): a variable set to '' is not set.
  const fromEnv = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);
  const configPath = o.config ?? fromEnv('WORLDTICK_CONFIG');
  let file = new Map<string, unknown>();
  if (configPath) {
    const problems: string[] = [];
    file = readConfigFile(configPath, problems).values;
    if (problems.length) throw new RestoreError(RestoreErrorCode.USAGE, problems.join('; '));
  }
  const pick = (flag: string | undefined, envName: string, key: string): string => {
    const v = flag ?? fromEnv(envName) ?? file.get(key);
    return typeof v === 'string' ? v : '';
  };
  let target: ReturnType<typeof resolveStoreTarget>;
  try {
    target = resolveStoreTarget({
      store: pick(o.store, 'WORLDTICK_STORE', 'store'),
      dataDir: pick(o.dataDir, 'WORLDTICK_DATA_DIR', 'dataDir'),
    });
  } catch (err) {
    throw new RestoreError(RestoreErrorCode.USAGE, (err as Error).message);
  }
  if (target.kind === 'postgres')
    throw new RestoreError(
      RestoreErrorCode.USAGE,
      'the store is PostgreSQL: restore it with pg_restore into an empty database, every instance stopped (docs/DURABILITY.md "Backup and restore (operators)")',
    );
  return target.dataDir;
};

/** Where {@link runRestoreCli} writes (the process's streams by default). */
export interface RestoreCliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const PROCESS_IO: RestoreCliIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

/**
 * Run the restore command on `argv` (node, script, backup-file, ...flags); resolves with the exit code.
 * SIGINT/SIGTERM received before the swap stop it (nothing changed, exit 130/143); so does `stop`
 * aborted with reason `'SIGINT'` or `'SIGTERM'` (tests).
 */
export const runRestoreCli = async (
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  io: RestoreCliIo = PROCESS_IO,
  stop?: AbortSignal,
): Promise<number> => {
  const program = new Command('worldtick-restore')
    .description('replace the embedded SQLite store with a backup made by npm run backup (the server must be stopped)')
    .argument('<backup-file>', 'backup file to restore (from npm run backup)')
    .option('--data-dir <dir>', 'data directory of the server (or WORLDTICK_DATA_DIR; default ./data)')
    .option('--store <spec>', "the server's --store (or WORLDTICK_STORE): sqlite:<dir>; postgres://… is refused (use pg_restore)")
    .option('--config <file>', "the server's JSON config file (or WORLDTICK_CONFIG): its store and dataDir are used")
    .addHelpText('after', HELP_AFTER)
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  const parsed = parseCliArgs(program, argv, {
    tool: 'worldtick-restore',
    code: RestoreErrorCode.USAGE,
    err: io.err,
    after: 'nothing was changed\n',
  });
  if (parsed !== null) return parsed;
  const o = program.opts<{ dataDir?: string; store?: string; config?: string }>();
  const backupFile = program.args[0] as string;
  // SIGINT/SIGTERM abort the restore at its next step (before the rename); `stop` does the same (tests).
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => abort.abort(sig);
  for (const sig of STOP_SIGNALS) process.on(sig, onSignal);
  const onStop = (): void => abort.abort(stop?.reason);
  stop?.addEventListener('abort', onStop);
  try {
    const dataDir = locateStore(o, env);
    await restoreSqliteStore(backupFile, dataDir, { log: (line) => io.out(`${line}\n`), signal: abort.signal });
    io.out(
      `next      start the server on ${dataDir}: each world is restored from its newest checkpoint in the backup; npm run verify -- --data-dir ${dataDir} checks the ledger\n`,
    );
    return 0;
  } catch (err) {
    const e =
      err instanceof RestoreError ? err : new RestoreError(RestoreErrorCode.FAILED, err instanceof Error ? err.message : String(err));
    io.err(`worldtick-restore: ${e.code}: ${e.message}\nnothing was changed\n`);
    return e.exitCode;
  } finally {
    for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
    stop?.removeEventListener('abort', onStop);
  }
};
