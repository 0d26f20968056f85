/**
 * How long the session sweep holds the event loop on SQLite (docs/DURABILITY.md "Players and
 * sessions"): N expired session records (and 1,000 live ones) in a real SQLite file, then the durable
 * sessions' sweep (`DurableSessions.prune`) deletes them. better-sqlite3 is synchronous: each
 * `Store.pruneSessions` call holds the event loop — every world's step, every socket — from the call
 * until it returns, so the longest call is the longest stall. Measured: every call's synchronous
 * time (ms), the calls, and the sweep's wall time; plus `one DELETE` of all N rows in one transaction
 * (`pruneSessions(now, N)`, what the sweep did before it was bounded). And how long hellos arriving
 * mid-sweep wait: a resume (`DurableSessions.resolve` of a live record: its lookup and its session
 * write's commit) issued right after the sweep starts and then every 50 ms until it ends, each timed
 * from its call to its answer (`lookups`: before the sweep's transactions took turns in the queue,
 * they waited for the whole sweep).
 *   npx tsx bench/session-prune.ts [N]
 * Prints and writes bench/results/session-prune.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DurableSessions } from '../src/net/durable-sessions.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { SessionWrite, Store } from '../src/store/types.js';

const N = Number(process.argv[2] ?? 100_000);
const NOW = Date.now();

/** A fresh SQLite store holding N expired and 1,000 live session records. */
const seeded = async (): Promise<{ store: SqliteStore; dir: string }> => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-session-prune-'));
  const store = new SqliteStore({ dataDir: join(dir, 'data') });
  for (let start = 0; start < N; start += 10_000) {
    const ops: SessionWrite[] = [];
    for (let i = start; i < Math.min(N, start + 10_000); i++)
      ops.push({
        kind: 'session',
        record: { token: `e${i}`, playerId: `g:${i}`, worldId: 'w', expiresAt: NOW - N + i, data: { live: false } },
      });
    await store.writeSessions(ops);
  }
  const live: SessionWrite[] = [];
  for (let i = 0; i < 1000; i++)
    live.push({ kind: 'session', record: { token: `l${i}`, playerId: `g:l${i}`, worldId: 'w', expiresAt: NOW + 3_600_000, data: {} } });
  await store.writeSessions(live);
  return { store, dir };
};

/** The store with each `pruneSessions` call's synchronous time (ms) noted. */
const timed = (real: Store, ms: number[]): Store => {
  const spy: Store = Object.create(real) as Store;
  spy.pruneSessions = (now, limit) => {
    const t0 = performance.now();
    const p = real.pruneSessions(now, limit);
    ms.push(performance.now() - t0);
    return p;
  };
  return spy;
};

const stats = (ms: number[]) => {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { calls: ms.length, maxMs: at(1), p90Ms: at(0.9), p50Ms: at(0.5), meanMs: ms.reduce((a, b) => a + b, 0) / ms.length };
};

const round = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v * 100) / 100]));

// One DELETE of every expired record, in one transaction.
const one = await seeded();
const oneMs: number[] = [];
const oneDeleted = await timed(one.store, oneMs).pruneSessions(NOW, N);
await one.store.close();
rmSync(one.dir, { recursive: true, force: true });

// The sweep.
const swept = await seeded();
const sweepMs: number[] = [];
const ds = new DurableSessions(
  timed(swept.store, sweepMs),
  () => 60,
  (err) => {
    throw err;
  },
  () => NOW,
);
const t0 = performance.now();
ds.prune();
// Resumes of live records issued mid-sweep: each one's wait from its call to its answer.
const lookupMs: number[] = [];
const resume = (i: number): Promise<void> => {
  const at = performance.now();
  return ds.resolve('w', 'n', '', `l${i}`, 0, 0).then((r) => {
    if (!r.resumed) throw new Error(`l${i} not resumed: ${r.refused}`);
    lookupMs[i] = performance.now() - at;
  });
};
const lookups = [resume(0)];
const every = setInterval(() => lookups.push(resume(lookups.length)), 50);
const sweepDone = ds.settled().then(() => clearInterval(every));
await sweepDone;
await Promise.all(lookups);
await ds.settled();
const sweepWallMs = performance.now() - t0;
const left = (await swept.store.getSession(`e${N - 1}`, 0)) === undefined ? 0 : 1;
await swept.store.close();
rmSync(swept.dir, { recursive: true, force: true });

const result = {
  n: N,
  loadavg: loadavg().map((l) => Math.round(l * 100) / 100),
  oneDelete: { deleted: oneDeleted, ...round(stats(oneMs)) },
  sweep: { ...round(stats(sweepMs)), wallMs: Math.round(sweepWallMs), lastExpiredLeft: left },
  lookups: { firstMs: Math.round(lookupMs[0] ?? 0), ...round(stats(lookupMs)) },
};
console.log(JSON.stringify(result, null, 2));
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/session-prune.json', `${JSON.stringify(result, null, 2)}\n`);
