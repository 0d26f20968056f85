/**
 * Rows and bytes anonymous players leave in the store (docs/DURABILITY.md "Anonymous players"):
 * N anonymous players churn through the durable sessions as the game server drives them (join: a
 * session and a player record; the ledger's `start-grant`; park; dropped at the grace's end), then
 * the store is measured as the previous build left it (no prune) and after this build's prune passes
 * (the sessions' clock moved past the idle time): rows per table, bytes (SQLite: the file after
 * VACUUM; PostgreSQL: `pg_total_relation_size` of the tables, after VACUUM FULL), and the cost of each
 * pass (at most 8 transactions of 250 players; on SQLite the event loop is held during each).
 *   npx tsx bench/anonymous-players.ts [N] [--postgres]
 * Prints and writes bench/results/anonymous-players.json (`--postgres`: anonymous-players-postgres.json).
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { DurableSessions } from '../src/net/durable-sessions.js';
import { ANONYMOUS_PLAYER_IDLE_MS } from '../src/store/bounded-prune.js';
import { PostgresStore } from '../src/store/postgres-store.js';
import { SQLITE_FILE_NAME, SqliteStore } from '../src/store/sqlite-store.js';
import type { LedgerEntryInput, Store } from '../src/store/types.js';
import { startPostgres } from '../test/helpers/postgres-server.js';

const POSTGRES = process.argv.includes('--postgres');
const N = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 20_000);
const TABLES = ['players', 'sessions', 'player_data', 'ledger', 'ledger_balances'] as const;

interface Measure {
  rows: Record<string, number>;
  bytes: number;
}

/** Row counts and bytes of the SQLite file after VACUUM (what the rows take, without free pages). */
const measureSqlite = async (file: string): Promise<Measure> => {
  const db = new Database(file);
  try {
    const rows: Record<string, number> = {};
    for (const t of TABLES) rows[t] = Number((db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n);
    db.exec('VACUUM');
    db.pragma('wal_checkpoint(TRUNCATE)');
    return { rows, bytes: statSync(file).size };
  } finally {
    db.close();
  }
};

/** Row counts and the tables' bytes (indexes included) after VACUUM FULL. */
const measurePostgres = async (url: string): Promise<Measure> => {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const rows: Record<string, number> = {};
    let bytes = 0;
    for (const t of TABLES) {
      rows[t] = Number((await c.query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n);
      await c.query(`VACUUM FULL ${t}`);
      bytes += Number((await c.query(`SELECT pg_total_relation_size('${t}') AS b`)).rows[0].b);
    }
    return { rows, bytes };
  } finally {
    await c.end();
  }
};

const grant = (playerId: string): LedgerEntryInput => ({
  worldId: '1',
  playerId,
  key: 'start-grant',
  kind: 'reward',
  item: null,
  quantity: 0,
  unitPrice: 0,
  coinsDelta: 1000,
  status: 'ok',
  code: null,
  fingerprint: 'reward|1000||0',
  createdAt: Date.now(),
});

const run = async (open: () => Promise<Store>, measure: () => Promise<Measure>): Promise<Record<string, unknown>> => {
  let clock = Date.now();
  const store = await open();
  const ds = new DurableSessions(
    store,
    () => 5,
    (err) => console.error(err),
    () => clock,
  );
  // 50 named players, kept whatever happens.
  for (let i = 0; i < 50; i++) await ds.resolve('1', `named${i}`, `named-token-${i}`, null, i, 0);
  for (let done = 0; done < N; done += 500) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(500, N - done) }, (_, i) => ds.resolve('1', `bot${done + i}`, '', null, i, 0)),
    );
    await store.commitLedger(batch.map((r) => grant(r.playerId)));
    for (const r of batch) ds.park(r.resumeToken, r.playerId, '1', 'bot', 1, 1);
    for (const r of batch) ds.drop(r.resumeToken); // the grace's end
    await ds.settled();
  }
  await store.close();
  const before = await measure();
  const store2 = await open();
  clock += ANONYMOUS_PLAYER_IDLE_MS + 60_000;
  const ds2 = new DurableSessions(
    store2,
    () => 5,
    (err) => console.error(err),
    () => clock,
  );
  const passes: number[] = [];
  let chunkMaxMs = 0;
  const prune = store2.pruneAnonymousPlayers.bind(store2);
  store2.pruneAnonymousPlayers = async (b, l) => {
    const t = performance.now();
    const n = await prune(b, l);
    chunkMaxMs = Math.max(chunkMaxMs, performance.now() - t);
    return n;
  };
  for (let last = -1; ds2.anonymousPlayersPruned !== last; ) {
    last = ds2.anonymousPlayersPruned;
    const t = performance.now();
    ds2.prune();
    await ds2.settled();
    passes.push(Math.round((performance.now() - t) * 10) / 10);
  }
  await store2.close();
  const after = await measure();
  return {
    anonymousPlayers: N,
    namedPlayers: 50,
    before,
    after,
    // The bytes over N: the 50 named players and the schema are a few KB of it.
    bytesPerAnonymousPlayer: { before: Math.round(before.bytes / N), after: Math.round(after.bytes / N) },
    pruned: ds2.anonymousPlayersPruned,
    passMs: passes,
    transactionMaxMs: Math.round(chunkMaxMs * 10) / 10,
  };
};

const main = async (): Promise<Record<string, unknown>> => {
  if (POSTGRES) {
    const server = await startPostgres();
    if ('skip' in server) throw new Error(`--postgres: ${server.skip}`);
    try {
      return {
        store: 'postgres',
        ...(await run(
          () => PostgresStore.open({ url: server.url }),
          () => measurePostgres(server.url),
        )),
      };
    } finally {
      await server.destroy();
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'wt-anon-bench-'));
  try {
    return {
      store: 'sqlite',
      ...(await run(
        async () => new SqliteStore({ dataDir: dir }),
        () => measureSqlite(join(dir, SQLITE_FILE_NAME)),
      )),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const result = { when: new Date().toISOString(), load: loadavg().map((l) => Math.round(l * 100) / 100), ...(await main()) };
console.log(JSON.stringify(result, null, 2));
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
const name = POSTGRES ? 'anonymous-players-postgres.json' : 'anonymous-players.json';
writeFileSync(join(import.meta.dirname, 'results', name), `${JSON.stringify(result, null, 2)}\n`);
