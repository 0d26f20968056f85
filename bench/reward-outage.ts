/**
 * What the end of a store outage costs the event loop when many server-side rewards wait
 * (src/ledger/reward-retry.ts): 10,000 rewards refused by a full SQLite file wait; the file is
 * healed; the event loop's delay is sampled (monitorEventLoopDelay, 1 ms resolution) from the heal
 * until every reward committed. Prints and writes bench/results/reward-outage.json.
 * `npx tsx bench/reward-outage.ts`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { MAX_REWARDS_RETRYING, grantRewardDurably } from '../src/ledger/reward-retry.js';
import { attachLedger, detachLedger } from '../src/ledger/world-ledger.js';
import type { TxResult } from '../src/ledger/decide.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { createGameWorld, defineGame } from '../src/index.js';
import { fillSqlite } from '../test/helpers/full-sqlite.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const run = async (): Promise<Record<string, number>> => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-reward-outage-bench-'));
  const store = new SqliteStore({ dataDir: dir });
  const world = createGameWorld(defineGame({ name: 'reward-outage-bench' }), { id: 'ro', capacity: 16 });
  attachLedger(world, { store, epoch: 'inc-1', rateLimit: { perSecond: 0 }, deadlineMs: 100 });
  const l = world.ledger;
  if (!l) throw new Error('no ledger');
  await fillSqlite(store);
  const pending: Array<Promise<TxResult>> = [];
  for (let i = 0; i < MAX_REWARDS_RETRYING; i++)
    pending.push(grantRewardDurably(world, { playerId: `t:p${i % 20}`, key: `chain:c:${i}:1@inc-1`, coins: 1 }));
  while (l.stats.rewardsRetrying < MAX_REWARDS_RETRYING) await sleep(20);
  await sleep(6000); // the waits reach their 5 s ceiling: the outage has lasted a while
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  store.setMaxPageCount(1_000_000_000);
  const results = await Promise.all(pending);
  const ms = performance.now() - t0;
  h.disable();
  const ok = results.filter((r) => r.status === 'ok').length;
  await detachLedger(world);
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    rewards: MAX_REWARDS_RETRYING,
    ok,
    healToAllCommittedMs: Math.round(ms),
    loopDelayMaxMs: Math.round(h.max / 1e5) / 10,
    loopDelayP99Ms: Math.round(h.percentile(99) / 1e5) / 10,
  };
};

const keepAlive = setInterval(() => undefined, 1000); // the resubmit timers are unref'd
const runs: Array<Record<string, number>> = [];
for (let i = 0; i < 3; i++) {
  const r = await run();
  runs.push(r);
  console.log(JSON.stringify(r));
}
clearInterval(keepAlive);
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/reward-outage.json',
  `${JSON.stringify({ suite: 'reward-outage', at: new Date().toISOString(), loadAvg: loadavg(), runs }, null, 2)}\n`,
);
console.log('wrote bench/results/reward-outage.json');
