/**
 * What the ledger summary (schema 9 `ledger_balances`, docs/DURABILITY.md "Ledger summary") costs a
 * commit: the trigger that keeps it runs once per inserted `ok` entry, inside `commitLedger`'s
 * transaction. Same store, same run, alternating: batches committed with the trigger, then with it
 * dropped (what a commit cost before schema 9), then with it again, ROUNDS times.
 *
 *   npx tsx bench/ledger-summary-commit.ts [--quick] [--postgres]   (or `npm run bench -- ledger-summary-commit`)
 *
 * A batch is {@link BATCH} `ok` entries (the ledger service's default `maxBatch`) over
 * {@link PLAYERS} players, half rewards of coins, half purchases of an item. Figures per entry of
 * `commitLedger`: wall µs (SQLite: synchronous on this thread, fsync included with
 * `synchronous=FULL`; PostgreSQL: the round trip, the server's work included) and this process's CPU
 * µs (SQLite: the whole insert, trigger included; PostgreSQL: the client side only). Writes
 * bench/results/ledger-summary-commit.json (`--postgres`: ledger-summary-commit-postgres.json).
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { MIGRATIONS } from '../src/store/migrations.js';
import { PostgresStore } from '../src/store/postgres-store.js';
import { SQLITE_FILE_NAME, SqliteStore } from '../src/store/sqlite-store.js';
import type { LedgerEntryInput, Store } from '../src/store/types.js';
import { tempDataDir } from '../test/helpers/data-dir.js';
import { startPostgres } from '../test/helpers/postgres-server.js';
import { runSuite, type Suite } from './harness.js';
import { historyEntry } from './ledger-history-entry.js';

const BATCH = 512;
const PLAYERS = 100;
const POSTGRES = process.argv.includes('--postgres');

const summaryMigration = MIGRATIONS.find((m) => m.version === 9);
if (!summaryMigration) throw new Error('no schema 9');
/** The CREATE TRIGGER statement of schema 9 (SQLite: the 2nd statement; PostgreSQL: the 3rd). */
const createTrigger = POSTGRES ? summaryMigration.postgres[2] : summaryMigration.sqlite[1];
const dropTrigger = POSTGRES ? 'DROP TRIGGER ledger_balances_ok ON ledger' : 'DROP TRIGGER ledger_balances_ok';

let serial = 0;
const batch = (): LedgerEntryInput[] => {
  const out: LedgerEntryInput[] = [];
  for (let i = 0; i < BATCH; i++) {
    const n = serial++;
    out.push(historyEntry(`p${n % PLAYERS}`, `k${n}`, n % 2 === 0));
  }
  return out;
};

/** Wall and this process's CPU µs per entry of committing `batches` batches. */
const commitCost = async (store: Store, batches: number): Promise<{ wall: number; cpu: number }> => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < batches; i++) await store.commitLedger(batch());
  const c = process.cpuUsage(c0);
  const n = batches * BATCH;
  return { wall: ((performance.now() - t0) * 1000) / n, cpu: (c.user + c.system) / n };
};

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] ?? 0;
};
const r2 = (n: number): number => Math.round(n * 100) / 100;
const fig = (xs: ReadonlyArray<{ wall: number; cpu: number }>, k: 'wall' | 'cpu'): { median: number; max: number } => ({
  median: r2(median(xs.map((x) => x[k]))),
  max: r2(Math.max(...xs.map((x) => x[k]))),
});

export const ledgerSummaryCommitSuite: Suite = {
  name: POSTGRES ? 'ledger-summary-commit-postgres' : 'ledger-summary-commit',
  async run(ctx) {
    const rounds = ctx.quick ? 3 : 7;
    const batches = ctx.quick ? 10 : 40;
    const dir = tempDataDir('wt-ledger-summary-commit-');
    const pgServer = POSTGRES ? await startPostgres() : null;
    if (pgServer && 'skip' in pgServer) throw new Error(`--postgres: ${pgServer.skip}`);
    const store = pgServer ? await PostgresStore.open({ url: pgServer.url }) : new SqliteStore({ dataDir: dir.dir });
    let raw: (sql: string) => Promise<void>;
    let closeRaw: () => Promise<void>;
    if (pgServer) {
      const c = new pg.Client({ connectionString: pgServer.url });
      await c.connect();
      raw = async (sql) => void (await c.query(sql));
      closeRaw = () => c.end();
    } else {
      const db = new Database(join(dir.dir, SQLITE_FILE_NAME));
      raw = async (sql) => void db.exec(sql);
      closeRaw = async () => void db.close();
    }
    const withTrigger: Array<{ wall: number; cpu: number }> = [];
    const without: Array<{ wall: number; cpu: number }> = [];
    try {
      await commitCost(store, 4); // warm-up
      for (let r = 0; r < rounds; r++) {
        withTrigger.push(await commitCost(store, batches));
        await raw(dropTrigger);
        without.push(await commitCost(store, batches));
        await raw(createTrigger ?? '');
      }
    } finally {
      await closeRaw();
      await store.close();
      await pgServer?.stop();
      dir.remove();
    }
    const row = {
      store: POSTGRES ? 'postgres' : 'sqlite',
      entriesPerRun: batches * BATCH,
      batch: BATCH,
      players: PLAYERS,
      rounds,
      withSummaryWallUs: fig(withTrigger, 'wall'),
      withoutSummaryWallUs: fig(without, 'wall'),
      withSummaryCpuUs: fig(withTrigger, 'cpu'),
      withoutSummaryCpuUs: fig(without, 'cpu'),
      wallRatio: r2(median(withTrigger.map((x) => x.wall)) / median(without.map((x) => x.wall))),
      cpuRatio: r2(median(withTrigger.map((x) => x.cpu)) / median(without.map((x) => x.cpu))),
    };
    console.log(JSON.stringify(row));
    ctx.record('commits', row);
  },
};

export default ledgerSummaryCommitSuite;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runSuite(ledgerSummaryCommitSuite, process.argv.includes('--quick'));
  process.exit(0);
}
