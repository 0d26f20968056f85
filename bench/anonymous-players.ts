/**
 * Rows and bytes anonymous players leave in a SQLite store (docs/DURABILITY.md "Anonymous players"):
 * N anonymous players churn through the durable sessions as the game server drives them (join: a
 * session and a player record; the ledger's `start-grant`; park; dropped at the grace's end), then
 * the store is measured as the previous build left it (no prune) and after this build's prune passes
 * (the sessions' clock moved past the idle time): rows per table, the file's bytes after VACUUM, and
 * the cost of each pass (one pass: at most 8 transactions of 250 players, the event loop held during
 * each). Prints and writes bench/results/anonymous-players.json. `npx tsx bench/anonymous-players.ts [N]`.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ANONYMOUS_PLAYER_IDLE_MS, DurableSessions } from '../src/net/durable-sessions.js';
import { SQLITE_FILE_NAME, SqliteStore } from '../src/store/sqlite-store.js';
import type { LedgerEntryInput } from '../src/store/types.js';

const N = Number(process.argv[2] ?? 20_000);
const TABLES = ['players', 'sessions', 'player_data', 'ledger', 'ledger_balances'] as const;

/** Row counts and the file's size after VACUUM (what the rows take, without free pages). */
const measure = (file: string): { rows: Record<string, number>; bytes: number } => {
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

const run = async (): Promise<Record<string, unknown>> => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-anon-bench-'));
  const file = join(dir, SQLITE_FILE_NAME);
  let clock = Date.now();
  const store = new SqliteStore({ dataDir: dir });
  const ds = new DurableSessions(
    store,
    () => 5,
    (err) => console.error(err),
    () => clock,
  );
  try {
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
    const before = measure(file);
    const store2 = new SqliteStore({ dataDir: dir });
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
    const after = measure(file);
    return {
      anonymousPlayers: N,
      namedPlayers: 50,
      before,
      after,
      // The file over N: the 50 named players and the schema are a few KB of it.
      bytesPerAnonymousPlayer: { before: Math.round(before.bytes / N), after: Math.round(after.bytes / N) },
      pruned: ds2.anonymousPlayersPruned,
      passMs: passes,
      chunkMaxMs: Math.round(chunkMaxMs * 10) / 10,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const result = { when: new Date().toISOString(), load: loadavg().map((l) => Math.round(l * 100) / 100), ...(await run()) };
console.log(JSON.stringify(result, null, 2));
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(join(import.meta.dirname, 'results', 'anonymous-players.json'), `${JSON.stringify(result, null, 2)}\n`);
