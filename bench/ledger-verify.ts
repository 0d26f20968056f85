/**
 * What `verify` (src/ledger/verify.ts, `GET /api/v1/ledger/verify`) costs on a store with a grown
 * ledger, (a) with no commits while it runs and (b) with a writer committing rewards to some
 * players on every turn of the event loop while it runs (the crash campaign's chain rewards: the
 * summary of a hot player changes between every pair of verify's reads).
 *
 *   npx tsx bench/ledger-verify.ts [--quick] [--postgres]   (or `npm run bench -- ledger-verify`)
 *
 * {@link PLAYERS} players × {@link PER_PLAYER} entries (bench/ledger-history-entry.ts); the writer
 * commits one reward to each of {@link HOT} players per turn (SQLite: synchronously on this thread,
 * as the server does; PostgreSQL: one batch after another). Figures per run: wall ms, `readLedger`
 * calls and entries they returned, the report's mismatches (must be 0). Writes
 * bench/results/ledger-verify.json (`--postgres`: ledger-verify-postgres.json).
 */
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { type VerifyReport, verifyLedger } from '../src/ledger/verify.js';
import { PostgresStore } from '../src/store/postgres-store.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { LedgerEntryInput, Store } from '../src/store/types.js';
import { tempDataDir } from '../test/helpers/data-dir.js';
import { startPostgres } from '../test/helpers/postgres-server.js';
import { runSuite, type Suite } from './harness.js';
import { historyEntry } from './ledger-history-entry.js';

const PLAYERS = 200;
const PER_PLAYER = 500;
const HOT = 20;
const POSTGRES = process.argv.includes('--postgres');

/** `store` with its `readLedger` calls and the entries they returned counted. */
const counted = (store: Store): { store: Store; reads: { calls: number; entries: number } } => {
  const reads = { calls: 0, entries: 0 };
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop !== 'readLedger') return Reflect.get(target, prop, receiver);
      return async (...args: Parameters<Store['readLedger']>) => {
        const page = await target.readLedger(...args);
        reads.calls++;
        reads.entries += page.length;
        return page;
      };
    },
  });
  return { store: proxy, reads };
};

let serial = 0;
const fill = async (store: Store): Promise<void> => {
  const batch: LedgerEntryInput[] = [];
  for (let i = 0; i < PER_PLAYER; i++) {
    for (let p = 0; p < PLAYERS; p++) {
      const n = serial++;
      batch.push(historyEntry(`p${p}`, `k${n}`, i % 2 === 0));
      if (batch.length === 2000) await store.commitLedger(batch.splice(0));
    }
  }
  if (batch.length) await store.commitLedger(batch.splice(0));
};

/** Commit one reward to each hot player per turn until stopped; resolves with the entries committed. */
const startWriter = (store: Store): { stop: () => Promise<number> } => {
  let running = true;
  let committed = 0;
  const done = (async () => {
    while (running) {
      const batch: LedgerEntryInput[] = [];
      for (let p = 0; p < HOT; p++) batch.push(historyEntry(`p${p * (PLAYERS / HOT)}`, `w${serial++}`, true));
      await store.commitLedger(batch);
      committed += batch.length;
      await new Promise((r) => setImmediate(r));
    }
    return committed;
  })();
  return {
    stop: async () => {
      running = false;
      return done;
    },
  };
};

interface Run {
  wallMs: number;
  readCalls: number;
  entriesRead: number;
  mismatches: number;
  committedMeanwhile: number;
}

const runVerify = async (base: Store, withWriter: boolean): Promise<Run> => {
  const { store, reads } = counted(base);
  const live = Array.from({ length: PLAYERS }, (_, p) => ({ playerId: `p${p}`, coins: 0, items: {}, appliedSeq: 0 }));
  const writer = withWriter ? startWriter(base) : null;
  const t0 = performance.now();
  const report: VerifyReport = await verifyLedger({ store, live });
  const wallMs = Math.round(performance.now() - t0);
  const committedMeanwhile = (await writer?.stop()) ?? 0;
  return { wallMs, readCalls: reads.calls, entriesRead: reads.entries, mismatches: report.mismatches.length, committedMeanwhile };
};

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] ?? 0;
};

export const ledgerVerifySuite: Suite = {
  name: POSTGRES ? 'ledger-verify-postgres' : 'ledger-verify',
  async run(ctx) {
    const rounds = ctx.quick ? 1 : 3;
    const dir = tempDataDir('wt-ledger-verify-');
    const pgServer = POSTGRES ? await startPostgres() : null;
    if (pgServer && 'skip' in pgServer) throw new Error(`--postgres: ${pgServer.skip}`);
    const store = pgServer ? await PostgresStore.open({ url: pgServer.url }) : new SqliteStore({ dataDir: dir.dir });
    const quiet: Run[] = [];
    const busy: Run[] = [];
    try {
      await fill(store);
      for (let r = 0; r < rounds; r++) {
        quiet.push(await runVerify(store, false));
        busy.push(await runVerify(store, true));
      }
    } finally {
      await store.close();
      await pgServer?.stop();
      dir.remove();
    }
    const fig = (runs: Run[]) => ({
      wallMsMedian: median(runs.map((x) => x.wallMs)),
      wallMsMax: Math.max(...runs.map((x) => x.wallMs)),
      readCallsMedian: median(runs.map((x) => x.readCalls)),
      entriesReadMedian: median(runs.map((x) => x.entriesRead)),
      mismatchesMax: Math.max(...runs.map((x) => x.mismatches)),
      committedMeanwhileMedian: median(runs.map((x) => x.committedMeanwhile)),
    });
    const row = {
      store: POSTGRES ? 'postgres' : 'sqlite',
      players: PLAYERS,
      entriesPerPlayer: PER_PLAYER,
      hotPlayers: HOT,
      rounds,
      loadAvg: os.loadavg().map((x) => Math.round(x * 100) / 100),
      noCommits: fig(quiet),
      writerCommitting: fig(busy),
    };
    console.log(JSON.stringify(row));
    ctx.record('verify', row);
  },
};

export default ledgerVerifySuite;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runSuite(ledgerVerifySuite, process.argv.includes('--quick'));
  process.exit(0);
}
