/**
 * Suite `player-data`: saves through the player-data service (src/player-data), group-committed,
 * on SQLite (synchronous=FULL) and on PostgreSQL when a server can be started here. Per run: N
 * saves of 200-byte values over 1,000 players in waves (all of a wave submitted at once), with
 * batches of at most 1, 64 (the default) and 256 operations; on PostgreSQL also with a listing in
 * every 64 requests (`listEvery`). Figures: saves/s, batches, and the
 * time each `applyPlayerData` call held the event loop synchronously (SQLite: the whole commit,
 * better-sqlite3 is synchronous; PostgreSQL: only the call's set-up, the commit is awaited).
 * Compare the ratios within one run: the machine is shared.
 *
 * Outage runs (bench/player-data-outage.ts): the same saves kept going by 200 writers while the
 * store fails and comes back — SQLite full then healed, PostgreSQL SIGKILLed then restarted, and
 * stopped then restarted: throughput before and after, latency through the outage, loop stalls.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { startPostgres } from '../test/helpers/postgres-server.js';
import { PlayerDataService } from '../src/player-data/player-data-service.js';
import { PostgresStore } from '../src/store/postgres-store.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { Store } from '../src/store/types.js';
import { fillSqlitePlayerData } from '../test/helpers/full-sqlite-player-data.js';
import type { Suite } from './harness.js';
import { runOutage } from './player-data-outage.js';

const pct = (sorted: number[], p: number): number =>
  sorted.length ? (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN) : NaN;
const r2 = (n: number): number => Math.round(n * 100) / 100;

/**
 * `listEvery` > 0: every listEvery-th request of a wave is a listing of a player instead of a save
 * (an operator's call landing among the game's saves: the batch it joins holds key runs around it).
 */
const run = async (name: string, store: Store, maxBatch: number, saves: number, listEvery = 0): Promise<Record<string, unknown>> => {
  const blocks: number[] = [];
  const apply = store.applyPlayerData.bind(store);
  store.applyPlayerData = (ops, limits, options) => {
    const t = performance.now();
    const p = apply(ops, limits, options);
    blocks.push(performance.now() - t);
    return p;
  };
  const svc = new PlayerDataService({ store, maxBatch });
  const value = { stats: 'x'.repeat(188) };
  const text = JSON.stringify(value); // 200 bytes
  const waves = 10;
  const perWave = Math.ceil(saves / waves);
  const t0 = performance.now();
  let ok = 0,
    lists = 0;
  for (let w = 0; w < waves; w++) {
    const rs = await Promise.all(
      Array.from({ length: perWave }, (_, i) =>
        listEvery > 0 && i % listEvery === listEvery - 1
          ? svc.list(`t:p${i % 1000}`).then((r) => ({ status: r.status === 'ok' ? 'listed' : 'failed' }))
          : svc.save(`t:p${i % 1000}`, `b${maxBatch}l${listEvery}:w${w}:${i}`, value, text, 0),
      ),
    );
    ok += rs.filter((r) => r.status === 'ok').length;
    lists += rs.filter((r) => r.status === 'listed').length;
  }
  const ms = performance.now() - t0;
  await svc.close();
  blocks.sort((a, b) => a - b);
  return {
    store: name,
    maxBatch,
    listEvery,
    saves: perWave * waves - lists,
    ok,
    lists,
    /** Operations (saves and listings) per second. */
    savesPerSecond: Math.round((perWave * waves) / (ms / 1000)),
    batches: svc.stats().batches,
    loopBlockP50Ms: r2(pct(blocks, 50)),
    loopBlockP99Ms: r2(pct(blocks, 99)),
    loopBlockMaxMs: r2(blocks[blocks.length - 1] ?? NaN),
    loadAvg1: r2(os.loadavg()[0] ?? NaN),
  };
};

const suite: Suite = {
  name: 'player-data',
  async run(ctx) {
    // Per-player limits: 1,000 players × (saves / 1,000) keys of 200 bytes stay under them in quick and full runs.
    const saves = ctx.quick ? 2_000 : 10_000;
    const runs: Array<Record<string, unknown>> = [];
    const dirs: string[] = [];
    const sqlite = (): Store => {
      const dir = mkdtempSync(join(os.tmpdir(), 'wt-bench-pdata-'));
      dirs.push(dir);
      return new SqliteStore({ dataDir: dir });
    };
    const outages: Array<Record<string, unknown>> = [];
    const shape = { writers: 200, steadyMs: ctx.quick ? 1500 : 3000, downMs: ctx.quick ? 1000 : 2000 };
    for (const maxBatch of [1, 64, 256]) {
      const store = sqlite();
      runs.push(await run('sqlite', store, maxBatch, maxBatch === 1 ? Math.min(saves, 2_000) : saves));
      await store.close();
    }
    {
      const store = sqlite() as SqliteStore;
      outages.push(
        await runOutage(
          { name: 'sqlite-full', store, break: () => fillSqlitePlayerData(store), heal: async () => store.setMaxPageCount(1_000_000_000) },
          shape,
        ),
      );
      await store.close();
    }
    const pg = await startPostgres();
    if ('skip' in pg) ctx.log(`player-data: PostgreSQL skipped: ${pg.skip}`);
    else {
      try {
        for (const maxBatch of [1, 64, 256]) {
          const store = await PostgresStore.open({ url: pg.url });
          await store.applyPlayerData([], { maxBytesPerPlayer: 1, maxKeysPerPlayer: 1 }); // connect before timing
          runs.push(await run('postgres', store, maxBatch, maxBatch === 1 ? Math.min(saves, 2_000) : saves));
          await store.close();
        }
        // A listing in every 64 requests: batches of key runs around it.
        for (const maxBatch of [64, 256]) {
          const store = await PostgresStore.open({ url: pg.url });
          await store.applyPlayerData([], { maxBytesPerPlayer: 1, maxKeysPerPlayer: 1 });
          runs.push(await run('postgres', store, maxBatch, saves, 64));
          await store.close();
        }
        for (const [name, stop] of [
          ['postgres-sigkill', () => pg.crash()],
          ['postgres-stop', () => pg.stop()],
        ] as const) {
          const store = await PostgresStore.open({ url: pg.url, connectTimeoutMs: 300 });
          outages.push(await runOutage({ name, store, break: stop, heal: () => pg.start() }, shape));
          await store.close();
        }
      } finally {
        await pg.destroy();
      }
    }
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    for (const r of runs) ctx.log(JSON.stringify(r));
    for (const r of outages) ctx.log(JSON.stringify(r));
    ctx.record('runs', runs);
    ctx.record('outages', outages);
  },
};

export default suite;
