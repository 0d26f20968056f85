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
import { tempDataDir } from '../../helpers/data-dir.js';
import { MiB, walBurst } from '../../helpers/wal-burst.js';

const dirs: Array<{ remove(): void }> = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

const WORLDS = 8;

describe('npm run backup: the WAL left behind', () => {
  it('is folded back into the store file by the backup once its copy is done', async () => {
    const data = tempDataDir('wt-backup-wal-');
    dirs.push(data);
    // A snapshot held while the store writes (as by a backup in progress), then released: the WAL
    // holds every page written meanwhile, and no commit since has folded it back.
    const { store, file, reader } = await walBurst(data.dir, WORLDS, (i) => `w${i}`);
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
