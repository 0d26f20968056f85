/**
 * A SQLite store's WAL grown under a long reader (test/unit/store/sqlite-wal-size.test.ts,
 * test/unit/cli/backup-wal.test.ts): a store on `dataDir`, one write, then a second connection (opened
 * as the checkpoint writer thread's is) holding a read snapshot while the store saves `n` checkpoints
 * of 1 MiB (world `worldId(i)`, step i). The WAL cannot restart meanwhile. The reader comes back still
 * in its transaction: `COMMIT` releases the snapshot.
 */
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { openSqliteDatabase } from '../../src/store/sqlite-open.js';
import { SQLITE_FILE_NAME, SqliteStore } from '../../src/store/sqlite-store.js';

export const MiB = 1024 * 1024;

export const walBurst = async (
  dataDir: string,
  n: number,
  worldId: (i: number) => string,
): Promise<{ store: SqliteStore; file: string; reader: Database.Database }> => {
  const store = new SqliteStore({ dataDir });
  const file = join(dataDir, SQLITE_FILE_NAME);
  await store.putOperatorState('runtime', { n: 0 });
  const reader = openSqliteDatabase(file, { dataDir, attach: true }).db;
  reader.exec('BEGIN');
  reader.prepare('SELECT count(*) AS n FROM checkpoints').get();
  const bytes = new Uint8Array(MiB).fill(7);
  for (let i = 0; i < n; i++) {
    await store.saveCheckpoint({ worldId: worldId(i), step: i, worldTime: i, config: {}, data: bytes, fencingToken: 0 });
  }
  return { store, file, reader };
};
