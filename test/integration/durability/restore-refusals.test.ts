/**
 * `npm run restore` (src/cli/restore.ts, a real child process) refuses what it must not install —
 * a missing file, a file that is not SQLite, a corrupt SQLite file, a SQLite database that is not
 * a worldtick store, a store of a newer schema, a live store's file with its WAL, a PostgreSQL
 * store — each with its code and exit status, and with the data directory byte for byte as it was.
 * A backup of an older schema is restored (said to be migrated at the next start) and opens.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION } from '../../../src/store/migrations.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { downgradeToSchema3 } from '../../helpers/schema3-store.js';
import { coinsIn, dirSnapshot, RESTORE_PLAYER, restoreCli, restoreInProcess, storeWithCoins } from '../../helpers/restore-cli.js';

describe('npm run restore refuses a bad backup and changes nothing', () => {
  const data = tempDataDir('wt-rr-data-');
  const src = tempDataDir('wt-rr-src-');
  const files = tempDataDir('wt-rr-files-');
  let good = '';
  beforeAll(async () => {
    await storeWithCoins(data.dir, 3);
    good = join(files.dir, 'good.sqlite');
    copyFileSync(await storeWithCoins(src.dir, 9), good);
  });
  afterAll(() => {
    for (const d of [data, src, files]) d.remove();
  });

  /** Run the restore (in this process, or as a child process when `child`) and expect a refusal that changed nothing. */
  const refused = async (args: string[], status: number, message: RegExp, env: NodeJS.ProcessEnv = process.env, child = false) => {
    const before = dirSnapshot(data.dir);
    const r = child ? restoreCli(args, env) : await restoreInProcess(args, env);
    expect(r.status, r.stderr + r.stdout).toBe(status);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/nothing was changed/);
    expect(dirSnapshot(data.dir)).toEqual(before);
  };

  it('refuses a missing file, a non-SQLite file, a corrupt file, a non-worldtick database, a newer schema', async () => {
    await refused([join(files.dir, 'nope.sqlite'), '--data-dir', data.dir], 2, /WT_ERR_RESTORE_BACKUP_MISSING: .*does not exist/);
    // A name a reader could not see the ends of is quoted (operator-cli-fuzz seed 80470: "  does not exist").
    await refused([' ', '--data-dir', data.dir], 2, /WT_ERR_RESTORE_BACKUP_MISSING: " " does not exist/);

    const text = join(files.dir, 'notes.txt');
    writeFileSync(text, 'not a database\n'.repeat(100));
    await refused([text, '--data-dir', data.dir], 2, /WT_ERR_RESTORE_NOT_SQLITE: .*not a SQLite database/);

    // A real store file with one of its b-tree pages overwritten with garbage.
    const corrupt = join(files.dir, 'corrupt.sqlite');
    const bytes = readFileSync(good);
    const pageSize = bytes.readUInt16BE(16);
    bytes.fill(0xa5, pageSize * 2, pageSize * 4);
    writeFileSync(corrupt, bytes);
    await refused([corrupt, '--data-dir', data.dir], 2, /WT_ERR_RESTORE_CORRUPT: /);

    const other = join(files.dir, 'other.sqlite');
    const db = new Database(other);
    db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES (1)');
    db.close();
    await refused([other, '--data-dir', data.dir], 2, /WT_ERR_RESTORE_NOT_WORLDTICK: .*not a worldtick store/);

    const newer = join(files.dir, 'newer.sqlite');
    copyFileSync(good, newer);
    const n = new Database(newer);
    n.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
      LATEST_SCHEMA_VERSION + 1,
      'from the future',
      Date.now(),
    );
    n.close();
    // This one as the command's own process: the exit status and stderr an operator sees.
    const tooNew = new RegExp(
      `WT_ERR_RESTORE_SCHEMA_TOO_NEW: .*schema version ${LATEST_SCHEMA_VERSION + 1}, newer than this build knows \\(${LATEST_SCHEMA_VERSION}\\)`,
    );
    await refused([newer, '--data-dir', data.dir], 2, tooNew, process.env, true);
  });

  it('refuses a live store file with its WAL, the store itself, a PostgreSQL store, a missing argument', async () => {
    const live = join(files.dir, 'live.sqlite');
    copyFileSync(good, live);
    writeFileSync(`${live}-wal`, '');
    await refused([live, '--data-dir', data.dir], 2, /WT_ERR_RESTORE_NOT_SQLITE: .*-wal file beside it/);
    await refused([join(data.dir, 'worldtick.sqlite'), '--data-dir', data.dir], 2, /WT_ERR_RESTORE_USAGE: .*is the store itself/);
    await refused([good], 2, /WT_ERR_RESTORE_USAGE: the store is PostgreSQL: restore it with pg_restore/, {
      ...process.env,
      WORLDTICK_STORE: 'postgres://u@127.0.0.1:1/db',
    });
    await refused(
      ['--data-dir', data.dir],
      2,
      /^worldtick-restore: WT_ERR_RESTORE_USAGE: missing required argument 'backup-file' \(see --help\)\nnothing was changed/,
    );
    await refused(
      [good, '--bogus'],
      2,
      /^worldtick-restore: WT_ERR_RESTORE_USAGE: unknown option '--bogus' \(see --help\)\nnothing was changed\n$/,
    );
  });

  it('restores an older schema (migrated at the next start) found through WORLDTICK_DATA_DIR, and undoes it from the kept store', async () => {
    const old = join(files.dir, 'old.sqlite');
    copyFileSync(good, old);
    downgradeToSchema3(old);
    expect(await coinsIn(data.dir)).toBe(3);
    const r = await restoreInProcess([old], { ...process.env, WORLDTICK_DATA_DIR: data.dir });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`schema version 3, older than this build's ${LATEST_SCHEMA_VERSION}: migrated at the next start`));
    expect(r.stdout).toMatch(/^probed .*no process has it open$/m);
    expect(existsSync(join(data.dir, 'worldtick.sqlite-wal'))).toBe(false);
    const store = new SqliteStore({ dataDir: data.dir });
    expect(store.migration).toMatchObject({ from: 3, to: LATEST_SCHEMA_VERSION });
    expect((await store.ledgerBalance(RESTORE_PLAYER)).coins).toBe(9);
    await store.close();

    // Undo: the kept store is itself a whole store, restored like a backup.
    const kept = readdirSync(data.dir).find((f) => f.startsWith('worldtick.sqlite.before-restore-'));
    expect(kept).toBeDefined();
    const undo = await restoreInProcess([join(data.dir, kept!), '--data-dir', data.dir]);
    expect(undo.status, undo.stderr).toBe(0);
    expect(await coinsIn(data.dir)).toBe(3);
  });
});
