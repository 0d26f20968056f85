/**
 * `npm run backup` holds one read snapshot for the whole copy, so a server writing meanwhile leaves a
 * WAL that has not been folded back into the store file (docs/DURABILITY.md "WAL size"). The backup
 * folds it back itself, in its own process, once its copy is done — not the server's next commit, on
 * its event loop. Real store, real files: the WAL a released snapshot left behind is in the store file
 * after the backup, before the store writes again.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { backupSqliteStore } from '../../../src/cli/backup.js';
import { openSqliteDatabase } from '../../../src/store/sqlite-open.js';
import { SQLITE_FILE_NAME, SqliteStore } from '../../../src/store/sqlite-store.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const dirs: Array<{ remove(): void }> = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

const MiB = 1024 * 1024;
const WORLDS = 8;

describe('npm run backup: the WAL left behind', () => {
  it('is folded back into the store file by the backup once its copy is done', async () => {
    const data = tempDataDir('wt-backup-wal-');
    dirs.push(data);
    const store = new SqliteStore({ dataDir: data.dir });
    const file = join(data.dir, SQLITE_FILE_NAME);
    await store.putOperatorState('runtime', { n: 0 });
    // A snapshot held while the store writes (as by a backup in progress), then released: the WAL
    // holds every page written meanwhile, and no commit since has folded it back.
    const reader = openSqliteDatabase(file, { dataDir: data.dir, attach: true }).db;
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) AS n FROM checkpoints').get();
    const bytes = new Uint8Array(MiB).fill(7);
    for (let i = 0; i < WORLDS; i++) {
      await store.saveCheckpoint({ worldId: `w${i}`, step: i, worldTime: i, config: {}, data: bytes, fencingToken: 0 });
    }
    reader.exec('COMMIT');
    reader.close();
    const before = statSync(file).size;
    expect(before).toBeLessThan(MiB);

    const report = await backupSqliteStore(data.dir, join(data.dir, 'backup.sqlite'));
    expect(report.checkpoints).toBe(WORLDS);
    const after = statSync(file).size;
    expect(after, `store file ${after} bytes after the backup (before ${before})`).toBeGreaterThan(WORLDS * MiB);
    // The store goes on as before.
    await store.putOperatorState('runtime', { n: 1 });
    expect(await store.getOperatorState('runtime')).toMatchObject({ state: { n: 1 } });
    expect((await store.loadCheckpoint(`w${WORLDS - 1}`))?.data.byteLength).toBe(MiB);
    await store.close();
  });
});
