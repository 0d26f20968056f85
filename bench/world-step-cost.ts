/**
 * What one idle small world costs per step (docs/ADMIN.md "Sizing --max-worlds"): the process CPU
 * of a real runtime divided by the steps its worlds ran, with N worlds of the shape of
 * bench/many-worlds.ts (50 NPCs, capacity 200, created over the admin API, no player).
 *
 *   npm run bench -- world-step-cost [--quick]   (or npx tsx bench/world-step-cost.ts [--counts 1,50,200])
 *
 * For each N (a runtime of its own: SQLite in a temp data dir, the default world with no NPC):
 * - `cpuUsPerWorldStep`: process CPU (user + system) over the window / steps of every world;
 * - `marginalUsPerWorldStep`: the same above the runtime alone (the default world, no other), i.e.
 *   what one more world costs; only meaningful for tens of worlds or more (the runtime alone is
 *   measured first, JIT still cold, and its CPU varies by more than a few worlds cost);
 * - `inStepUsPerWorldStep` and `systemsUs`: the pipeline's own wall time per step, from
 *   `worldtick_system_seconds_total` (scraped before and after the window, outside it), by system;
 *   `outsideStepUs` is the rest (the loop, its timers, the per-step hooks: telemetry, checkpoints,
 *   world records; GC; the servers);
 * - `driven.cpuUsPerWorldStep`: after the windows, the loop's timer stopped and every world stepped
 *   once per round by `runner.runDue` on a clock advanced one interval per round (a turn of the
 *   event loop between rounds): the CPU of the steps and their hooks alone, whatever the machine's
 *   load does to the timer (no timer wakes in it; world records every 10 steps are in it, the 10 s
 *   checkpoints mostly not);
 * - `timerCallbacksPerS`: timer callbacks per wall second, the loop's wakes among them (how often it wakes).
 * `--profile <prefix>` writes a V8 CPU profile of the main thread over each N's first window to
 * `<prefix>-<N>.cpuprofile` (open it in Chrome DevTools; the profiler's own cost is in that window).
 * Runs `--repeat` windows per N (CPU time, not wall time: the machine is shared). Writes
 * bench/results/world-step-cost.json (machine load from os.loadavg with every window).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseOptions } from '../src/cli/options.js';
import { createLogger } from '../src/log.js';
import { createRuntime } from '../src/server/runtime.js';
import { tempDataDir } from '../test/helpers/data-dir.js';
import { runSuite, type Suite, type SuiteContext } from './harness.js';

const TOKEN = 'world-step-cost-bench-token';
const argOf = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const r = (n: number, d = 1): number => Math.round(n * 10 ** d) / 10 ** d;
const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));
const load = (): number[] => os.loadavg().map((l) => r(l, 2));
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

/** Seconds per system name summed over every world, from a `/metrics` text. */
const systemSeconds = (text: string): Map<string, number> => {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('worldtick_system_seconds_total{')) continue;
    const name = /system="([^"]+)"/.exec(line)?.[1] ?? '?';
    out.set(name, (out.get(name) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
};

/** Counts the callbacks of timers created from now on (the loop's wakes among them). */
const countTimers = (): { count: () => number; restore: () => void } => {
  const original = globalThis.setTimeout;
  let n = 0;
  const wrapped = ((fn: (...a: unknown[]) => void, ms?: number, ...rest: unknown[]) =>
    original(
      (...a: unknown[]) => {
        n++;
        fn(...a);
      },
      ms,
      ...rest,
    )) as typeof setTimeout;
  globalThis.setTimeout = Object.assign(wrapped, original);
  return { count: () => n, restore: () => void (globalThis.setTimeout = original) };
};

/** Start the V8 CPU profiler of this thread; the returned function stops it and writes the profile to a file. */
const startProfile = async (): Promise<(file: string) => Promise<void>> => {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  return async (file) => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
};

/** One runtime with `worlds` extra worlds of `npcs` NPCs; `repeat` windows of `ms`. */
const measure = async (worlds: number, npcs: number, ms: number, repeat: number, profile?: string) => {
  const data = tempDataDir('wt-step-cost-');
  const flags = ['--npcs', '0', '--port', '0', '--admin-port', '0', '--stats-interval', '0', '--admin-token', TOKEN];
  const extra = ['--max-worlds', String(worlds + 1), '--data-dir', data.dir];
  const timers = countTimers();
  const runtime = createRuntime(parseOptions([...flags, ...extra], {}), createLogger('silent'));
  await runtime.start();
  const base = `http://127.0.0.1:${runtime.admin.port}`;
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> => {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, text: await res.text() };
  };
  try {
    for (let i = 0; i < worlds; i++) {
      const made = await call('POST', '/api/v1/worlds', { id: `wsc-${i}`, npcs, capacity: 200 });
      if (made.status !== 201) throw new Error(`create wsc-${i}: ${made.status} ${made.text}`);
    }
    await sleep(2000);
    const steps = (): number => runtime.runner.worlds().reduce((n, w) => n + w.clock.step, 0);
    const windows = [];
    for (let k = 0; k < repeat; k++) {
      const sys0 = systemSeconds((await call('GET', '/metrics')).text);
      await sleep(200);
      const elu0 = performance.eventLoopUtilization();
      const cpu0 = process.cpuUsage();
      const s0 = steps();
      const w0 = timers.count();
      const profiling = profile !== undefined && k === 0 ? await startProfile() : undefined;
      const t0 = performance.now();
      await sleep(ms);
      if (profiling) await profiling(`${profile}-${worlds}.cpuprofile`);
      const cpu = process.cpuUsage(cpu0);
      const wallS = (performance.now() - t0) / 1000;
      const stepsRun = steps() - s0;
      const wakes = timers.count() - w0;
      const elu = performance.eventLoopUtilization(elu0).utilization;
      const sys1 = systemSeconds((await call('GET', '/metrics')).text);
      const cpuUs = cpu.user + cpu.system;
      let inStepS = 0;
      const systemsUs: Record<string, number> = {};
      for (const [name, s] of sys1) {
        const d = s - (sys0.get(name) ?? 0);
        inStepS += d;
        systemsUs[name] = stepsRun > 0 ? r((d * 1e6) / stepsRun, 2) : 0;
      }
      windows.push({
        wallS: r(wallS, 2),
        cpuMsPerS: r(cpuUs / 1000 / wallS),
        eventLoopUtilization: r(elu, 3),
        stepsPerS: r(stepsRun / wallS),
        timerCallbacksPerS: r(wakes / wallS),
        cpuUsPerWorldStep: stepsRun > 0 ? r(cpuUs / stepsRun) : null,
        inStepUsPerWorldStep: stepsRun > 0 ? r((inStepS * 1e6) / stepsRun) : null,
        outsideStepUs: stepsRun > 0 ? r((cpuUs - inStepS * 1e6) / stepsRun) : null,
        systemsUs,
        loadAvg: load(),
      });
    }
    // Driven: the loop's timer stopped, every world stepped once per round by runDue on a clock that
    // advances one interval per round (a turn of the event loop between rounds for I/O).
    runtime.runner.stop();
    const rounds = Math.max(20, Math.round(20_000 / (worlds + 1)));
    const cpu0 = process.cpuUsage();
    let t = performance.now();
    let stepsRun = 0;
    for (let i = 0; i < rounds; i++) {
      t += 50;
      stepsRun += runtime.runner.runDue(t);
      await new Promise((res) => setImmediate(res));
    }
    const cpu = process.cpuUsage(cpu0);
    const driven = { rounds, steps: stepsRun, cpuUsPerWorldStep: r((cpu.user + cpu.system) / Math.max(1, stepsRun)), loadAvg: load() };
    return { windows, driven };
  } finally {
    timers.restore();
    await runtime.stop();
    data.remove();
  }
};

const run = async (ctx: SuiteContext): Promise<void> => {
  const counts = (argOf('counts') ?? (ctx.quick ? '1,20' : '1,50,200')).split(',').map(Number);
  const npcs = Number(argOf('npcs') ?? 50);
  const ms = Number(argOf('window-ms') ?? (ctx.quick ? 2000 : 5000));
  const repeat = Number(argOf('repeat') ?? (ctx.quick ? 2 : 3));
  ctx.record('settings', { counts, npcsPerWorld: npcs, windowMs: ms, repeat, node: process.version });
  const alone = await measure(0, npcs, ms, repeat);
  const aloneCpuMsPerS = median(alone.windows.map((w) => w.cpuMsPerS));
  ctx.record('runtimeAlone', { cpuMsPerS: aloneCpuMsPerS, ...alone });
  for (const n of counts) {
    const { windows, driven } = await measure(n, npcs, ms, repeat, argOf('profile'));
    const cpu = median(windows.map((w) => w.cpuMsPerS));
    const stepsPerS = median(windows.map((w) => w.stepsPerS));
    const summary = {
      worlds: n,
      cpuUsPerWorldStep: median(windows.map((w) => w.cpuUsPerWorldStep ?? 0)),
      marginalUsPerWorldStep: r(((cpu - aloneCpuMsPerS) * 1000) / (stepsPerS * (n / (n + 1)))),
      inStepUsPerWorldStep: median(windows.map((w) => w.inStepUsPerWorldStep ?? 0)),
      timerCallbacksPerS: median(windows.map((w) => w.timerCallbacksPerS)),
      stepsPerS,
    };
    ctx.record(`worlds-${n}`, { ...summary, driven, windows });
    ctx.log(
      `${n} worlds: ${summary.cpuUsPerWorldStep} µs CPU per world-step (marginal ${summary.marginalUsPerWorldStep}), in-step ${summary.inStepUsPerWorldStep} µs, ${summary.timerCallbacksPerS} timer callbacks/s, ${summary.stepsPerS} steps/s; driven ${driven.cpuUsPerWorldStep} µs`,
    );
  }
};

const worldStepCostSuite: Suite = { name: 'world-step-cost', run };
export default worldStepCostSuite;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runSuite(worldStepCostSuite, process.argv.includes('--quick'));
  process.exit(0);
}
