/**
 * What a burst under a long reader leaves in the SQLite store's WAL, and what folding it back costs the
 * thread that does it (docs/DURABILITY.md "WAL size"). Per WAL size: a second connection (opened by the
 * store's own path, as the checkpoint writer thread's) holds a read snapshot while the store writes
 * checkpoints of 1 MiB until the WAL reaches the size; then the snapshot ends and either
 *
 *   - `auto`: the store writes on (one small write at a time): the first commit past
 *     `wal_autocheckpoint` folds the whole WAL back into the file, on the committing thread (the event
 *     loop, for the runtime's store), the next one restarts the log and `journal_size_limit` cuts the file;
 *   - `passive` / `truncate`: an explicit `PRAGMA wal_checkpoint(PASSIVE | TRUNCATE)` on the other
 *     connection (what a checkpoint off the loop thread would cost that thread).
 *
 *   npx tsx bench/sqlite-wal-size.ts [--quick]   (or `npm run bench -- sqlite-wal-size`)
 *
 * Figures: wall ms of each write after the snapshot ended (`auto`) or of the pragma, the WAL file's
 * bytes at its peak and after. Writes bench/results/sqlite-wal-size.json.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openSqliteDatabase, SQLITE_JOURNAL_SIZE_LIMIT_BYTES } from '../src/store/sqlite-open.js';
import { SQLITE_FILE_NAME, SqliteStore } from '../src/store/sqlite-store.js';
import { tempDataDir } from '../test/helpers/data-dir.js';
import { runSuite, type Suite } from './harness.js';

const MiB = 1024 * 1024;
const r2 = (n: number): number => Math.round(n * 100) / 100;
const walMiB = (file: string): number => r2((existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0) / MiB);

type Mode = 'auto' | 'passive' | 'truncate';

/** One run: a burst of `mib` MiB under a held snapshot, then the fold-back by `mode`. */
const burst = async (mib: number, mode: Mode): Promise<Record<string, unknown>> => {
  const dir = tempDataDir('wt-wal-size-');
  const store = new SqliteStore({ dataDir: dir.dir });
  const file = join(dir.dir, SQLITE_FILE_NAME);
  const reader = openSqliteDatabase(file, { dataDir: dir.dir, attach: true }).db;
  try {
    await store.putOperatorState('runtime', { n: 0 });
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) AS n FROM checkpoints').get();
    const bytes = new Uint8Array(MiB).fill(7);
    const b0 = performance.now();
    for (let i = 0; i < mib; i++) {
      await store.saveCheckpoint({ worldId: `w${i}`, step: i, worldTime: i, config: {}, data: bytes, fencingToken: 0 });
    }
    const burstMs = performance.now() - b0;
    const peakMiB = walMiB(file);
    reader.exec('COMMIT');
    const writesMs: number[] = [];
    let pragmaMs = 0;
    if (mode === 'auto') {
      for (let i = 0; i < 4; i++) {
        const t0 = performance.now();
        await store.putOperatorState('runtime', { n: i + 1 });
        writesMs.push(r2(performance.now() - t0));
      }
    } else {
      const t0 = performance.now();
      reader.pragma(`wal_checkpoint(${mode.toUpperCase()})`);
      pragmaMs = r2(performance.now() - t0);
      const t1 = performance.now();
      await store.putOperatorState('runtime', { n: 1 });
      writesMs.push(r2(performance.now() - t1));
    }
    return { walMiB: mib, mode, burstMs: Math.round(burstMs), peakMiB, pragmaMs, writesMs, afterMiB: walMiB(file) };
  } finally {
    reader.close();
    await store.close();
    dir.remove();
  }
};

export const sqliteWalSizeSuite: Suite = {
  name: 'sqlite-wal-size',
  async run(ctx) {
    const sizes = ctx.quick ? [32] : [64, 256, 256];
    const rows: Array<Record<string, unknown>> = [];
    for (const mib of sizes) {
      for (const mode of ['auto', 'passive', 'truncate'] as const) {
        const row = await burst(mib, mode);
        console.log(JSON.stringify(row));
        rows.push(row);
      }
    }
    ctx.record('journalSizeLimitMiB', SQLITE_JOURNAL_SIZE_LIMIT_BYTES / MiB);
    ctx.record('runs', rows);
  },
};

export default sqliteWalSizeSuite;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runSuite(sqliteWalSizeSuite, process.argv.includes('--quick'));
  process.exit(0);
}
