/**
 * `npm run restore` (src/cli/restore.ts, in this process) finds the store as `npm start` does: an
 * environment variable set to the empty string counts as not set (src/cli/options.ts), so the
 * config file's `dataDir` is used — not `./data`, where a restore would "succeed" beside a server
 * that keeps running on its old store. And a backup whose `schema_migrations` holds a version that
 * is not an integer (a hand-made table) is not a worldtick store: refused, nothing changed.
 * (An integration file: it changes the process's working directory, which unit files share.)
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOptions } from '../../../src/cli/options.js';
import { resolveStoreTarget } from '../../../src/store/open-store.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { coinsIn, dirSnapshot, restoreInProcess, storeWithCoins } from '../../helpers/restore-cli.js';

describe('npm run restore: where the store is, what a worldtick store is', () => {
  const data = tempDataDir('wt-rl-data-');
  const src = tempDataDir('wt-rl-src-');
  const cwd = tempDataDir('wt-rl-cwd-');
  const backup = join(src.dir, 'worldtick.sqlite');
  const config = join(cwd.dir, 'server.json');
  beforeAll(async () => {
    await storeWithCoins(data.dir, 3);
    await storeWithCoins(src.dir, 9);
    writeFileSync(config, JSON.stringify({ dataDir: data.dir }));
  });
  afterAll(() => {
    for (const d of [data, src, cwd]) d.remove();
  });

  it('an empty WORLDTICK_DATA_DIR / WORLDTICK_STORE is not set: the config file’s dataDir is the store, as for the server', async () => {
    const env = { ...process.env, WORLDTICK_CONFIG: config, WORLDTICK_DATA_DIR: '', WORLDTICK_STORE: '' };
    // The server's reading of the same environment.
    const server = parseOptions([], env);
    expect(resolveStoreTarget({ store: server.store, dataDir: server.dataDir })).toEqual({ kind: 'sqlite', dataDir: data.dir });
    const prev = process.cwd();
    process.chdir(cwd.dir); // a wrong guess (./data) would land here
    try {
      const r = await restoreInProcess([backup], env);
      expect(r.status, r.stderr).toBe(0);
    } finally {
      process.chdir(prev);
    }
    expect(existsSync(join(cwd.dir, 'data'))).toBe(false);
    expect(await coinsIn(data.dir)).toBe(9);
  });

  it('refuses a schema_migrations whose version is not an integer (not a worldtick store), nothing changed', async () => {
    const odd = join(src.dir, 'odd.sqlite');
    const db = new Database(odd);
    db.exec(`CREATE TABLE schema_migrations (version TEXT, name TEXT, applied_at INTEGER);
      CREATE TABLE ledger (seq INTEGER PRIMARY KEY);
      INSERT INTO schema_migrations VALUES ('abc', 'x', 0)`);
    db.close();
    const before = dirSnapshot(data.dir);
    const r = await restoreInProcess([odd, '--data-dir', data.dir]);
    expect(r.status, r.stdout).toBe(2);
    expect(r.stderr).toMatch(/WT_ERR_RESTORE_NOT_WORLDTICK: .*schema version/);
    expect(dirSnapshot(data.dir)).toEqual(before);
  });
});
