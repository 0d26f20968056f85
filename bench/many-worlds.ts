/**
 * Many small match worlds in one process (docs/ADMIN.md "Short-lived worlds", "Sizing
 * --max-worlds"): what an operator pays per world when `--max-worlds` is raised to a few hundred.
 *
 *   npm run bench -- many-worlds [--quick]    (or npx tsx bench/many-worlds.ts [--worlds 300] ...)
 *
 * One real runtime in this process (src/server/runtime.ts: loop, admin and game servers on
 * 127.0.0.1, SQLite in a temp data dir, `--max-worlds worlds + 1`, the default world with no NPC);
 * players are real clients in a child process (bench/many-worlds-clients.ts), so their decoding
 * is not counted here. In order:
 * 1. baseline: the default world alone — process CPU (ms per wall s), event-loop utilization, steps
 *    and store write transactions per second, heap after forced GCs;
 * 2. create `--worlds` worlds (`POST /api/v1/worlds`, `--npcs` NPCs each, capacity 200) one after
 *    the other: time to 201 (p50, p99, max), creates per second;
 * 3. idle: every world running, no player — CPU per wall second, steps run, CPU µs per world-step;
 *    the heap after forced GCs (bytes per world), RSS;
 * 4. `/metrics`, `/api/v1/worlds` and `/api/v1/cluster` (whole, and as the dashboard polls them): bytes,
 *    render time (5 calls), series in all and per world; what the dashboard fetches per second with
 *    this many worlds; the answer time of a world record write (`recordWrite`);
 * 5. players: `--player-worlds` worlds get `--players` clients each, moving — the same CPU figures;
 * 6. delete every world (time per `DELETE`), heap after forced GCs against the baseline, series of
 *    deleted worlds left; then a second cycle of creates and deletes with `--concurrency` requests
 *    in flight (creates per second, heap after).
 * 7. `/metrics` of as many paused worlds (nothing steps) in a runtime of their own, with every world
 *    exported and with `--metrics-worlds 32`: bytes, series, scrape time.
 * Writes bench/results/many-worlds.json (machine load from os.loadavg at each phase; `--out <name>`:
 * bench/results/<name>.json).
 *
 * `--postgres`: the same runtime on a throwaway PostgreSQL server (`--store postgres://…`, the pool of 4
 * connections by default; bench/many-worlds-postgres.ts), each window also sampling the pool (connections
 * in use, operations queued) and the server's own CPU (its processes, from /proc); step 7 (store-independent) is left out. Skipped with a message when
 * PostgreSQL's binaries are missing. Writes bench/results/many-worlds-postgres.json.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseOptions } from '../src/cli/options.js';
import { createLogger } from '../src/log.js';
import { createRuntime } from '../src/server/runtime.js';
import type { Store } from '../src/store/types.js';
import { tempDataDir } from '../test/helpers/data-dir.js';
import { runSuite, type Suite, type SuiteContext } from './harness.js';
import { heapAfterGc } from './heap-after-gc.js';
import { benchPostgres, POSTGRES, samplePool, serverCpuMs } from './many-worlds-postgres.js';

const arg = (name: string, d: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const TOKEN = 'many-worlds-bench-token';
const MiB = 2 ** 20;
const r = (n: number, d = 2): number => Math.round(n * 10 ** d) / 10 ** d;
const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));
const load = (): number[] => os.loadavg().map((l) => r(l));
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

/** The server of a `--postgres` run (the process ends here, with a message, when PostgreSQL cannot be had). */
const pgServer = await benchPostgres();

/** What a measuring window reads of the runtime: steps of every world, the store (its transactions, its pool), world records written. */
interface Gauges {
  steps: () => number;
  store: () => Store;
  records: () => { written: number; failed: number; checkpoints: number; checkpointMs: number[] };
  /** CPU ms so far of the PostgreSQL server's processes (`--postgres`). */
  serverCpuMs?: (() => number) | null;
}

/**
 * Process CPU, event-loop utilization, steps of every world, store write transactions and world records
 * written over `ms` of wall time; on PostgreSQL the pool's use too.
 */
const window = async (g: Gauges, ms: number) => {
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const s0 = g.steps();
  const tx0 = g.store().stats().transactions;
  const rec0 = g.records();
  const pool = samplePool(g.store());
  const server0 = g.serverCpuMs?.() ?? 0;
  const t0 = performance.now();
  await sleep(ms);
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const stepsRun = g.steps() - s0;
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const rec = g.records();
  const ckMs = rec.checkpointMs;
  return {
    wallS: r(wallS),
    cpuMsPerS: r(cpuMs / wallS, 1),
    eventLoopUtilization: r(performance.eventLoopUtilization(elu0).utilization, 3),
    stepsPerS: r(stepsRun / wallS, 1),
    cpuUsPerStep: stepsRun > 0 ? r((cpuMs * 1000) / stepsRun, 1) : null,
    storeTransactionsPerS: r((g.store().stats().transactions - tx0) / wallS, 1),
    recordsWrittenPerS: r((rec.written - rec0.written) / wallS, 1),
    recordFailures: rec.failed - rec0.failed,
    // Checkpoints answered (checkpoint-writer thread), and the last one's time from capture to answer per world.
    checkpointsPerS: r((rec.checkpoints - rec0.checkpoints) / wallS, 1),
    checkpointMs: ckMs.length ? { p50: r(pct(ckMs, 50), 1), p99: r(pct(ckMs, 99), 1), max: r(Math.max(...ckMs), 1) } : null,
    ...(pool ? { pool: pool.stop(wallS) } : {}),
    ...(g.serverCpuMs ? { pgServerCpuMsPerS: r((g.serverCpuMs() - server0) / wallS, 1) } : {}),
    loadAvg: load(),
  };
};

/** An admin API caller of the runtime at `base`: status, body text and wall ms. */
const caller = (base: string) => async (method: string, path: string, body?: unknown) => {
  const t0 = performance.now();
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, ms: performance.now() - t0 };
};

/** Start a runtime (SQLite in a temp dir, or `--postgres`'s server; no default NPC) with these extra flags; `stop` also removes its data. */
const start = async (extra: string[]) => {
  const data = tempDataDir('wt-many-worlds-');
  const flags = ['--npcs', '0', '--port', '0', '--admin-port', '0', '--stats-interval', '0', '--admin-token', TOKEN];
  if (pgServer) flags.push('--store', pgServer.url);
  const runtime = createRuntime(parseOptions([...flags, '--data-dir', data.dir, ...extra], {}), createLogger('silent'));
  await runtime.start();
  return {
    runtime,
    stop: async (): Promise<void> => {
      await runtime.stop();
      data.remove();
    },
  };
};

/**
 * `/metrics` of `worlds` paused worlds (no NPC: nothing steps, the scrape alone is measured) with
 * `--metrics-worlds limit`: bytes, series, and the wall ms of 5 scrapes.
 */
const scrapeWith = async (worlds: number, limit: number) => {
  const { runtime, stop } = await start(['--max-worlds', String(worlds + 1), '--metrics-worlds', String(limit)]);
  try {
    const call = caller(`http://127.0.0.1:${runtime.admin.port}`);
    const body = { npcs: 0, capacity: 50, config: { simulation: { pauseSimulation: true } } };
    for (let i = 0; i < worlds; i++) {
      const made = await call('POST', '/api/v1/worlds', { ...body, id: `ms-${i}` });
      if (made.status !== 201) throw new Error(`create ms-${i}: ${made.status} ${made.text}`);
    }
    const ms: number[] = [];
    let text = '';
    for (let i = 0; i < 5; i++) {
      const a = await call('GET', '/metrics');
      ms.push(r(a.ms, 1));
      text = a.text;
    }
    const series = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
    return { metricsWorlds: limit, bytes: text.length, series, ms, loadAvg: load() };
  } finally {
    await stop();
  }
};

const run = async (ctx: SuiteContext): Promise<void> => {
  const WORLDS = arg('worlds', ctx.quick ? 40 : 300);
  const NPCS = arg('npcs', 50);
  const PLAYER_WORLDS = Math.min(WORLDS, arg('player-worlds', ctx.quick ? 4 : 30));
  const PLAYERS = arg('players', 10);
  const CONCURRENCY = arg('concurrency', 8);
  const WINDOW_MS = ctx.quick ? 3000 : 10_000;
  ctx.record('settings', {
    worlds: WORLDS,
    npcsPerWorld: NPCS,
    playerWorlds: PLAYER_WORLDS,
    playersPerWorld: PLAYERS,
    concurrency: CONCURRENCY,
    windowMs: WINDOW_MS,
    store: pgServer ? 'postgres (throwaway server, fsync on; test/helpers/postgres-server.ts), pool 4' : 'sqlite (temp data dir)',
  });

  const { runtime, stop } = await start(['--max-worlds', String(WORLDS + 1)]);
  const call = caller(`http://127.0.0.1:${runtime.admin.port}`);
  const ids = (cycle: number): string[] => Array.from({ length: WORLDS }, (_, i) => `mw${cycle}-${String(i).padStart(4, '0')}`);
  const gauges: Gauges = {
    steps: () => runtime.runner.worlds().reduce((n, w) => n + w.clock.step, 0),
    store: () => runtime.store,
    serverCpuMs: pgServer ? serverCpuMs(pgServer.port) : null,
    records: () => {
      const n = { written: 0, failed: 0, checkpoints: 0, checkpointMs: [] as number[] };
      for (const w of runtime.runner.worlds()) {
        const rep = runtime.checkpointer.report(w.id);
        if (!rep) continue;
        n.written += rep.recordsWritten;
        n.failed += rep.recordFailures;
        n.checkpoints += rep.saved;
        if (rep.saved > 0) n.checkpointMs.push(rep.lastDurationMs);
      }
      return n;
    },
  };
  /** Run `f` over `items` with `n` in flight; returns the wall ms of each call and of all. */
  const pool = async (items: string[], n: number, f: (id: string) => Promise<{ status: number; text: string; ms: number }>, ok: number) => {
    const ms: number[] = [];
    let next = 0;
    const t0 = performance.now();
    const lane = async (): Promise<void> => {
      while (next < items.length) {
        const id = items[next++] ?? '';
        const a = await f(id);
        if (a.status !== ok) throw new Error(`${id}: ${a.status} ${a.text}`);
        ms.push(a.ms);
      }
    };
    await Promise.all(Array.from({ length: n }, lane));
    const allMs = performance.now() - t0;
    return {
      perSecond: r((items.length * 1000) / allMs, 1),
      p50Ms: r(pct(ms, 50)),
      p99Ms: r(pct(ms, 99)),
      maxMs: r(Math.max(...ms)),
      wallS: r(allMs / 1000),
    };
  };
  const create = (id: string) => call('POST', '/api/v1/worlds', { id, npcs: NPCS, capacity: 200 });
  const del = (id: string) => call('DELETE', `/api/v1/worlds/${id}`);
  let clients: ChildProcess | undefined;
  try {
    await sleep(2000);
    const heapBase = await heapAfterGc();
    ctx.record('baseline', {
      ...(await window(gauges, WINDOW_MS / 2)),
      heapMiB: r(heapBase / MiB),
      rssMiB: r(process.memoryUsage().rss / MiB),
    });
    ctx.log(`baseline heap ${r(heapBase / MiB)} MiB`);

    const cycle1 = ids(1);
    ctx.record('createSequential', { ...(await pool(cycle1, 1, create, 201)), loadAvg: load() });
    ctx.log(`created ${WORLDS} worlds`);
    await sleep(3000);
    const idle = await window(gauges, WINDOW_MS);
    const heapFull = await heapAfterGc();
    const worldSteps = idle.stepsPerS / (WORLDS + 1);
    ctx.record('idle', {
      ...idle,
      stepsPerWorldPerS: r(worldSteps, 1),
      heapMiB: r(heapFull / MiB),
      heapKiBPerWorld: r((heapFull - heapBase) / 1024 / WORLDS, 1),
      rssMiB: r(process.memoryUsage().rss / MiB),
    });
    ctx.log(`idle: ${idle.cpuMsPerS} ms CPU/s, ${idle.cpuUsPerStep} µs/step`);

    // What an operator (Prometheus, the dashboard, a script) reads with this many worlds.
    const reads: Record<string, unknown> = {};
    for (const path of ['/metrics', '/api/v1/worlds', '/api/v1/worlds?limit=25', '/api/v1/cluster', '/api/v1/cluster?view=summary']) {
      const answers = [];
      for (let i = 0; i < 5; i++) answers.push(await call('GET', path));
      const last = answers[answers.length - 1];
      reads[path] = { status: last?.status, bytes: last?.text.length, ms: answers.map((a) => r(a.ms, 1)) };
    }
    const lines = ((await call('GET', '/metrics')).text ?? '').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    const one = cycle1[0] ?? '';
    const ofOne = lines.filter((l) => l.includes(`world="${one}"`));
    const names = new Set(ofOne.map((l) => l.replace(/[{ ].*$/, '').replace(/_(bucket|sum|count)$/, '')));
    const bytesOf = (path: string): number => (reads[path] as { bytes: number }).bytes;
    ctx.record('reads', {
      ...reads,
      metricsSeries: lines.length,
      metricsSeriesPerWorld: ofOne.length,
      metricsFamiliesPerWorld: names.size,
      metricsSeriesWithoutWorlds: lines.length - lines.filter((l) => l.includes('world="')).length,
      // app.js: GET /api/v1/worlds?limit=25 every 500 ms, /api/v1/cluster?view=summary every 2 s (plus the selected
      // world's own routes); bench/dashboard-bytes.ts measures it with the real page.
      dashboardBytesPerS: r(2 * bytesOf('/api/v1/worlds?limit=25') + bytesOf('/api/v1/cluster?view=summary') / 2, 0),
      loadAvg: load(),
    });
    ctx.log(`/metrics ${lines.length} series, ${ofOne.length} per world`);

    // A world's record (config + clock) is written every 10 steps (src/persist/checkpointer.ts), group-
    // committed on SQLite (src/store/sqlite-record-batch.ts): how long one waits for its answer here, the
    // group-commit window (20 ms) included.
    const recordMs: number[] = [];
    const rec = { probe: true, clock: { step: 0 } };
    for (let i = 0; i < 100; i++) {
      const t0 = performance.now();
      await runtime.store.putWorldConfig('many-worlds-probe', rec);
      recordMs.push(performance.now() - t0);
    }
    await runtime.store.deleteWorldConfig('many-worlds-probe');
    ctx.record('recordWrite', { p50Ms: r(pct(recordMs, 50), 3), p99Ms: r(pct(recordMs, 99), 3), perWorldPerS: 2, loadAvg: load() });

    if (PLAYER_WORLDS > 0 && PLAYERS > 0) {
      const script = join(dirname(fileURLToPath(import.meta.url)), 'many-worlds-clients.ts');
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', script, `ws://127.0.0.1:${runtime.gameServer.port}`, String(PLAYERS), ...cycle1.slice(0, PLAYER_WORLDS)],
        {
          stdio: ['pipe', 'pipe', 'inherit'],
        },
      );
      clients = child;
      const ready = await new Promise<string>((res) => child.stdout?.on('data', (b: Buffer) => res(b.toString().trim())));
      // Clients that could not all join (a saturated loop on a loaded machine) are a figure too, not the end of the run.
      if (!ready.startsWith('ready')) ctx.record('players', { clients: ready, loadAvg: load() });
      else {
        await sleep(2000);
        const played = await window(gauges, WINDOW_MS);
        const m = (await call('GET', '/metrics')).text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
        ctx.record('players', {
          ...played,
          clients: ready,
          metricsSeries: m.length,
          metricsSeriesOfAPlayedWorld: m.filter((l) => l.includes(`world="${one}"`)).length,
          worldsBytes: (await call('GET', '/api/v1/worlds')).text.length,
          heapMiB: r((await heapAfterGc()) / MiB),
        });
        ctx.log(`players: ${played.cpuMsPerS} ms CPU/s`);
      }
      child.stdin?.end();
      await new Promise((res) => child.once('exit', res));
      clients = undefined;
    }

    ctx.record('deleteSequential', { ...(await pool(cycle1, 1, del, 200)), loadAvg: load() });
    await sleep(1500);
    const heapAfter1 = await heapAfterGc();
    const left = (await call('GET', '/metrics')).text.split('\n').filter((l) => l.includes('world="mw')).length;
    ctx.record('afterDelete1', {
      heapMiB: r(heapAfter1 / MiB),
      overBaselineMiB: r((heapAfter1 - heapBase) / MiB),
      seriesOfDeletedWorlds: left,
      worldsListed: runtime.runner.worlds().length,
    });

    const cycle2 = ids(2);
    ctx.record('createConcurrent', { ...(await pool(cycle2, CONCURRENCY, create, 201)), loadAvg: load() });
    await sleep(1000);
    ctx.record('deleteConcurrent', { ...(await pool(cycle2, CONCURRENCY, del, 200)), loadAvg: load() });
    await sleep(1500);
    const heapAfter2 = await heapAfterGc();
    ctx.record('afterDelete2', {
      heapMiB: r(heapAfter2 / MiB),
      overBaselineMiB: r((heapAfter2 - heapBase) / MiB),
      overAfterDelete1MiB: r((heapAfter2 - heapAfter1) / MiB),
      worldsListed: runtime.runner.worlds().length,
    });
  } finally {
    clients?.kill('SIGTERM');
    await stop();
    await pgServer?.destroy();
  }
  if (pgServer) return; // the scrape below does not depend on the store
  // The same scrape with every world exported and with --metrics-worlds 32 (docs/ADMIN.md "Metrics").
  ctx.record('metricsLimit', [await scrapeWith(WORLDS, 4096), await scrapeWith(WORLDS, 32)]);
};

// `--out <name>`: write bench/results/<name>.json instead (a second measurement beside the first).
const OUT = process.argv[process.argv.indexOf('--out') + 1];
const manyWorldsSuite: Suite = {
  name: process.argv.includes('--out') && OUT ? OUT : POSTGRES ? 'many-worlds-postgres' : 'many-worlds',
  run,
};
export default manyWorldsSuite;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runSuite(manyWorldsSuite, process.argv.includes('--quick'));
  process.exit(0);
}
