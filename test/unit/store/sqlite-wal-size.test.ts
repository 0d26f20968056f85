/**
 * The SQLite store's write-ahead log is bounded: a long reader (a backup, a copy, the checkpoint writer
 * thread's connection mid-read) holding its snapshot while the store writes lets `worldtick.sqlite-wal`
 * grow far past the autocheckpoint size; once the reader is done, a few more writes bring the file back
 * under `SQLITE_JOURNAL_SIZE_LIMIT_BYTES` (without `journal_size_limit` it stayed at its peak for the
 * life of the process). Real files, real connections opened by the store's own open path.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteDatabase, SQLITE_JOURNAL_SIZE_LIMIT_BYTES, SQLITE_WAL_AUTOCHECKPOINT_PAGES } from '../../../src/store/sqlite-open.js';
import { SQLITE_FILE_NAME } from '../../../src/store/sqlite-store.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { MiB, walBurst } from '../../helpers/wal-burst.js';

const dirs: Array<{ remove(): void }> = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

const walBytes = (file: string): number => (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);

describe('SqliteStore: the WAL file after a burst under a long reader', () => {
  it('comes back under journal_size_limit once the reader is done and the store writes again', async () => {
    const data = tempDataDir('wt-sqlite-wal-');
    dirs.push(data);
    // A second connection (as the checkpoint writer thread opens one) holds a read snapshot over a burst of
    // checkpoints of 1 MiB; the WAL cannot restart while it is held.
    const { store, file, reader } = await walBurst(data.dir, 3 * (SQLITE_JOURNAL_SIZE_LIMIT_BYTES / MiB), () => 'w');
    const peak = walBytes(file);
    expect(peak).toBeGreaterThan(2 * SQLITE_JOURNAL_SIZE_LIMIT_BYTES);

    reader.exec('COMMIT');
    // A little more writing: the first commit past the autocheckpoint size folds the WAL back into
    // the file, the next one restarts the log from its start and cuts the file to the limit.
    for (let i = 0; i < 3; i++) await store.putOperatorState('runtime', { n: i + 1 });
    const after = walBytes(file);
    expect(after, `wal ${after} bytes after the burst (peak ${peak})`).toBeLessThanOrEqual(SQLITE_JOURNAL_SIZE_LIMIT_BYTES);

    // Nothing was lost on the way: the reader sees the newest checkpoint and the last write.
    expect((reader.prepare('SELECT max(step) AS s FROM checkpoints').get() as { s: number }).s).toBe(
      3 * (SQLITE_JOURNAL_SIZE_LIMIT_BYTES / MiB) - 1,
    );
    expect(await store.getOperatorState('runtime')).toMatchObject({ state: { n: 3 } });
    reader.close();
    await store.close();
  });

  it('opens every connection with the documented settings', () => {
    const data = tempDataDir('wt-sqlite-wal-');
    dirs.push(data);
    const file = join(data.dir, SQLITE_FILE_NAME);
    const full = openSqliteDatabase(file, { dataDir: data.dir }).db;
    const normal = openSqliteDatabase(file, { dataDir: data.dir, attach: true, synchronous: 'NORMAL' }).db;
    for (const [db, sync] of [
      [full, 2],
      [normal, 1],
    ] as const) {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(sync); // 2 FULL, 1 NORMAL
      expect(db.pragma('journal_size_limit', { simple: true })).toBe(SQLITE_JOURNAL_SIZE_LIMIT_BYTES);
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(SQLITE_WAL_AUTOCHECKPOINT_PAGES);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      db.close();
    }
  });
});
