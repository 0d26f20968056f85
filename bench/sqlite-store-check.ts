/**
 * What the SQLite store's check at open costs a start (docs/ADMIN.md runbook 7, "The embedded store file is
 * damaged"; src/store/sqlite-open.ts `checkSqliteFile`): stores of growing size — world checkpoints of 1 MiB
 * and ledger entries, written through the store — opened with `check: 'quick'` (SQLite's `quick_check`
 * reads every page) and with `check: 'off'`, alternately, three times each. The file is in the page cache
 * (written just before; a cold start from disk reads it from the device too).
 *
 *   npx tsx bench/sqlite-store-check.ts [--quick]   (or `npm run bench -- sqlite-store-check`)
 *
 * Figures per size: the file's MiB, the open's wall ms with and without the check (median of three), the
 * check's own ms (`checkMs`) and its ms per MiB. Writes bench/results/sqlite-store-check.json.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SQLITE_FILE_NAME, SqliteStore } from '../src/store/sqlite-store.js';
import { rewardEntry } from '../test/helpers/ledger-entries.js';
import { tempDataDir } from '../test/helpers/data-dir.js';
import { runSuite, type Suite } from './harness.js';

const MiB = 1024 * 1024;
const r2 = (n: number): number => Math.round(n * 100) / 100;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/** A store of about `checkpointsMiB` MiB of checkpoints (1 MiB each, kept) and `entries` ledger entries. */
const fill = async (dir: string, checkpointsMiB: number, entries: number): Promise<void> => {
  const store = new SqliteStore({ dataDir: dir, check: 'off' });
  const data = new Uint8Array(MiB);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2_654_435_761) >>> 24; // not one repeated byte
  for (let i = 0; i < checkpointsMiB; i++) {
    await store.saveCheckpoint({ worldId: `w${i}`, step: i, worldTime: i, config: {}, data, fencingToken: 0 });
  }
  for (let i = 0; i < entries; i += 1000) {
    await store.commitLedger(
      Array.from({ length: Math.min(1000, entries - i) }, (_, j) => rewardEntry(`k${i + j}`, { playerId: `p${(i + j) % 5000}` })),
    );
  }
  await store.close();
};

/** Open and close the store in `dir` with `check`: the open's wall ms and the check's own. */
const openOnce = async (dir: string, check: 'quick' | 'off'): Promise<{ openMs: number; checkMs: number | null }> => {
  const t0 = performance.now();
  const store = new SqliteStore({ dataDir: dir, check });
  const openMs = performance.now() - t0;
  const checkMs = store.checkMs;
  await store.close();
  return { openMs, checkMs };
};

export const sqliteStoreCheckSuite: Suite = {
  name: 'sqlite-store-check',
  async run(ctx) {
    const sizes = ctx.quick
      ? [[8, 20_000]]
      : [
          [16, 50_000],
          [64, 200_000],
          [256, 500_000],
        ];
    const rows: Array<Record<string, unknown>> = [];
    for (const [checkpointsMiB = 0, entries = 0] of sizes) {
      const dir = tempDataDir('wt-store-check-');
      try {
        await fill(dir.dir, checkpointsMiB, entries);
        const fileMiB = r2(statSync(join(dir.dir, SQLITE_FILE_NAME)).size / MiB);
        const quick: number[] = [];
        const off: number[] = [];
        const check: number[] = [];
        for (let i = 0; i < 3; i++) {
          const q = await openOnce(dir.dir, 'quick');
          quick.push(q.openMs);
          check.push(q.checkMs ?? Number.NaN);
          off.push((await openOnce(dir.dir, 'off')).openMs);
        }
        const row = {
          fileMiB,
          checkpointsMiB,
          ledgerEntries: entries,
          openQuickMs: r2(median(quick)),
          openOffMs: r2(median(off)),
          checkMs: r2(median(check)),
          checkMsPerMiB: r2(median(check) / fileMiB),
        };
        console.log(JSON.stringify(row));
        rows.push(row);
      } finally {
        dir.remove();
      }
    }
    ctx.record('runs', rows);
  },
};

export default sqliteStoreCheckSuite;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runSuite(sqliteStoreCheckSuite, process.argv.includes('--quick'));
  process.exit(0);
}
