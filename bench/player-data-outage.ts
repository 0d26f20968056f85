/**
 * The outage case of suite `player-data`: a steady load of conditional saves through the
 * player-data service while the store fails for a while and comes back — SQLite made full (the
 * file capped and filled: SQLITE_FULL from the engine) and healed; PostgreSQL SIGKILLed (crash
 * recovery on restart) or stopped (fast shutdown) and started again. `writers` players each keep one
 * save in flight (a counter saved on the version it read, as a game would), so every save is
 * checked: it must be answered `ok` once, with the next version — a retried save applied twice or
 * lost shows up as a failure.
 *
 * Figures: saves/s in the steady stretches before and after, the outage as the service saw it
 * (first failure to the first commit after it), latency of every save (p50/p99/max) and of the
 * saves that waited through the outage, the store's time to come back (restart), how long the event
 * loop was held (monitorEventLoopDelay, 1 ms resolution: p99/max over the whole run, max over the
 * steady stretch before the outage, and max over the second after the heal, when the queued batches
 * commit), retries, and the load average.
 */
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { PlayerDataService } from '../src/player-data/player-data-service.js';
import type { Store } from '../src/store/types.js';

/** How an outage is made and ended on one store. */
export interface OutageFault {
  name: string;
  store: Store;
  /** Make the store fail (e.g. fill the disk, SIGKILL the server). */
  break(): Promise<void>;
  /** End the failure; resolves when the store can take writes again (restart done). */
  heal(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pct = (sorted: number[], p: number): number =>
  sorted.length ? (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN) : NaN;
const r2 = (n: number): number => Math.round(n * 100) / 100;

/** Run the load through one outage of `downMs`; `steadyMs` of load before and after it. */
export const runOutage = async (
  f: OutageFault,
  o: { writers: number; steadyMs: number; downMs: number },
): Promise<Record<string, unknown>> => {
  const svc = new PlayerDataService({ store: f.store, retryDeadlineMs: 60_000, retryMaxMs: 200 });
  const value = { stats: 'x'.repeat(188) }; // 200 bytes with its JSON
  const text = JSON.stringify(value);
  const latencies: number[] = [];
  const spanning: number[] = []; // saves submitted before the heal and answered after it
  const answeredAt: number[] = [];
  let failures = 0;
  let running = true;
  let healedAt = Number.POSITIVE_INFINITY;
  const writer = async (p: string): Promise<void> => {
    for (let v = 0; running; v++) {
      const t = performance.now();
      const r = await svc.save(p, 'counter', value, text, v);
      const now = performance.now();
      if (r.status !== 'ok' || r.version !== v + 1) {
        failures++;
        return;
      }
      latencies.push(now - t);
      answeredAt.push(now);
      if (t < healedAt && now >= healedAt) spanning.push(now - t);
    }
  };
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  const writers = Array.from({ length: o.writers }, (_, i) => writer(`t:${f.name}-${i}`));
  const before = monitorEventLoopDelay({ resolution: 1 });
  before.enable();
  await sleep(o.steadyMs);
  before.disable();
  const brokeAt = performance.now();
  await f.break();
  await sleep(o.downMs);
  const healStart = performance.now();
  await f.heal();
  healedAt = performance.now();
  const afterHeal = monitorEventLoopDelay({ resolution: 1 });
  afterHeal.enable();
  await sleep(1000);
  afterHeal.disable();
  await sleep(Math.max(0, o.steadyMs - 1000));
  running = false;
  await Promise.all(writers);
  const end = performance.now();
  h.disable();
  await svc.close();
  const st = svc.stats();
  const rate = (from: number, to: number) => Math.round(answeredAt.filter((t) => t >= from && t < to).length / ((to - from) / 1000));
  latencies.sort((a, b) => a - b);
  spanning.sort((a, b) => a - b);
  const firstAfter = answeredAt.find((t) => t >= healedAt);
  return {
    store: f.name,
    writers: o.writers,
    saves: latencies.length,
    failures,
    savesPerSecondBefore: rate(t0 + 200, brokeAt),
    savesPerSecondAfter: rate(healedAt + 1000, end),
    heldDownMs: Math.round(healStart - brokeAt),
    storeRestartMs: Math.round(healedAt - healStart),
    firstCommitAfterHealMs: firstAfter === undefined ? null : Math.round(firstAfter - healedAt),
    outageSeenByServiceMs: st.longestOutageMs,
    retries: st.retries,
    storeFailures: st.storeFailures,
    recoveredBatches: st.recoveredBatches,
    latencyP50Ms: r2(pct(latencies, 50)),
    latencyP99Ms: r2(pct(latencies, 99)),
    latencyMaxMs: r2(latencies[latencies.length - 1] ?? NaN),
    savesThroughOutage: spanning.length,
    throughOutageP50Ms: r2(pct(spanning, 50)),
    throughOutageMaxMs: r2(spanning[spanning.length - 1] ?? NaN),
    loopDelayP99Ms: r2(h.percentile(99) / 1e6),
    loopDelayMaxMs: r2(h.max / 1e6),
    loopDelayMaxSteadyBeforeMs: r2(before.max / 1e6),
    loopDelayMaxFirstSecondAfterHealMs: r2(afterHeal.max / 1e6),
    loadAvg1: r2(os.loadavg()[0] ?? NaN),
  };
};
