/**
 * What `verify` (src/ledger/verify.ts, `GET /api/v1/ledger/verify`) costs on a store with a grown
 * ledger, (a) with no commits while it runs and (b) with a writer committing rewards to some
 * players on every turn of the event loop while it runs (the crash campaign's chain rewards: the
 * summary of a hot player changes between every pair of verify's reads).
 *
 *   npx tsx bench/ledger-verify.ts [--quick] [--postgres]   (or `npm run bench -- ledger-verify`)
 *
 * Two ledgers ({@link SHAPES}; bench/ledger-history-entry.ts): many players with short histories, and
 * the crash campaign's few players with long ones. The writer commits one reward to each hot player
 * per turn (SQLite: synchronously on this thread, as the server does; PostgreSQL: one batch after another). Figures per run: wall ms, ledger reads
 * (`readPlayerLedger`, `readLedger`) and entries they returned, the report's mismatches (must be 0). Writes
 * bench/results/ledger-verify.json (`--postgres`: ledger-verify-postgres.json).
 */
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { type VerifyReport, verifyLedger } from '../src/ledger/verify.js';
import { PostgresStore } from '../src/store/postgres-store.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { LedgerEntryInput, Store } from '../src/store/types.js';
import { tempDataDir } from '../test/helpers/data-dir.js';
import { startPostgres } from '../test/helpers/postgres-server.js';
import { runSuite, type Suite } from './harness.js';
import { historyEntry } from './ledger-history-entry.js';

/** A ledger to verify: `players` × `perPlayer` entries; the writer commits to `hot` of the players. */
interface Shape {
  name: string;
  players: number;
  perPlayer: number;
  hot: number;
}
/** Many short histories, and the crash campaign's shape: a few players with long ones, all receiving chain rewards. */
const SHAPES: Shape[] = [
  { name: '200 players x 500 entries, 20 hot', players: 200, perPlayer: 500, hot: 20 },
  { name: '4 players x 25,000 entries, 4 hot', players: 4, perPlayer: 25_000, hot: 4 },
];
const POSTGRES = process.argv.includes('--postgres');

/**
 * `store` with its ledger reads and the entries they returned counted: `readPlayerLedger` (what verify reads since
 * it reads each player's entries and summary from one snapshot) and `readLedger` (what it read before).
 */
const counted = (store: Store): { store: Store; reads: { calls: number; entries: number } } => {
  const reads = { calls: 0, entries: 0 };
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'readPlayerLedger')
        return async (...args: Parameters<Store['readPlayerLedger']>) => {
          const r = await target.readPlayerLedger(...args);
          reads.calls++;
          reads.entries += r.entries.length;
          return r;
        };
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
const fill = async (store: Store, shape: Shape): Promise<void> => {
  const batch: LedgerEntryInput[] = [];
  for (let i = 0; i < shape.perPlayer; i++) {
    for (let p = 0; p < shape.players; p++) {
      const n = serial++;
      batch.push(historyEntry(`p${p}`, `k${n}`, i % 2 === 0));
      if (batch.length === 2000) await store.commitLedger(batch.splice(0));
    }
  }
  if (batch.length) await store.commitLedger(batch.splice(0));
};

/** Commit one reward to each hot player per turn until stopped; resolves with the entries committed. */
const startWriter = (store: Store, shape: Shape): { stop: () => Promise<number> } => {
  let running = true;
  let committed = 0;
  const done = (async () => {
    while (running) {
      const batch: LedgerEntryInput[] = [];
      for (let p = 0; p < shape.hot; p++) batch.push(historyEntry(`p${p * Math.floor(shape.players / shape.hot)}`, `w${serial++}`, true));
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

const runVerify = async (base: Store, shape: Shape, withWriter: boolean): Promise<Run> => {
  const { store, reads } = counted(base);
  const live = Array.from({ length: shape.players }, (_, p) => ({ playerId: `p${p}`, coins: 0, items: {}, appliedSeq: 0 }));
  const writer = withWriter ? startWriter(base, shape) : null;
  const t0 = performance.now();
  const report: VerifyReport = await verifyLedger({ store, live });
  const wallMs = Math.round(performance.now() - t0);
  const committedMeanwhile = (await writer?.stop()) ?? 0;
  return { wallMs, readCalls: reads.calls, entriesRead: reads.entries, mismatches: report.mismatches.length, committedMeanwhile };
};

/** Empty the ledger and its summaries (PostgreSQL: one server for every shape). */
const emptyLedger = async (url: string): Promise<void> => {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('TRUNCATE ledger, ledger_balances');
  } finally {
    await c.end();
  }
};

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] ?? 0;
};

export const ledgerVerifySuite: Suite = {
  name: POSTGRES ? 'ledger-verify-postgres' : 'ledger-verify',
  async run(ctx) {
    const rounds = ctx.quick ? 1 : 3;
    const pgServer = POSTGRES ? await startPostgres() : null;
    if (pgServer && 'skip' in pgServer) throw new Error(`--postgres: ${pgServer.skip}`);
    const fig = (runs: Run[]) => ({
      wallMsMedian: median(runs.map((x) => x.wallMs)),
      wallMsMax: Math.max(...runs.map((x) => x.wallMs)),
      readCallsMedian: median(runs.map((x) => x.readCalls)),
      entriesReadMedian: median(runs.map((x) => x.entriesRead)),
      mismatchesMax: Math.max(...runs.map((x) => x.mismatches)),
      committedMeanwhileMedian: median(runs.map((x) => x.committedMeanwhile)),
    });
    try {
      for (const shape of SHAPES) {
        // A fresh store (SQLite: directory; PostgreSQL: the ledger emptied) per shape.
        const dir = tempDataDir('wt-ledger-verify-');
        const store = pgServer ? await PostgresStore.open({ url: pgServer.url }) : new SqliteStore({ dataDir: dir.dir });
        const quiet: Run[] = [];
        const busy: Run[] = [];
        try {
          if (pgServer) await emptyLedger(pgServer.url);
          await fill(store, shape);
          for (let r = 0; r < rounds; r++) {
            quiet.push(await runVerify(store, shape, false));
            busy.push(await runVerify(store, shape, true));
          }
        } finally {
          await store.close();
          dir.remove();
        }
        const row = {
          store: POSTGRES ? 'postgres' : 'sqlite',
          ...shape,
          rounds,
          loadAvg: os.loadavg().map((x) => Math.round(x * 100) / 100),
          noCommits: fig(quiet),
          writerCommitting: fig(busy),
        };
        console.log(JSON.stringify(row));
        ctx.record(shape.name, row);
      }
    } finally {
      await pgServer?.stop();
    }
  },
};

export default ledgerVerifySuite;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runSuite(ledgerVerifySuite, process.argv.includes('--quick'));
  process.exit(0);
}
