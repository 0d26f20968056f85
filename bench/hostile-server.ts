/**
 * The server side of the hostile-client bench (bench/hostile.ts): the arena example from
 * `startServer` (uWS on 127.0.0.1, SQLite store, the loop at 20 Hz) plus what the bench measures
 * on it while an attack runs: the event-loop delay of the process hosting the server (the lateness
 * of a 10 ms timer, as `monitorEventLoopDelay` measures it, paused over a mid-attack heap measure), its CPU (`process.cpuUsage`), the world's step time (`lastStepMs`
 * sampled each step) and the heap after full GCs.
 *
 * `inProcess` hosts it in the bench process (the attackers' CPU competes with the server's);
 * `spawnHostileServer` forks this file as a child process (IPC), pinned with `taskset` to CPU 0
 * while the bench pins itself to CPU 1, so the figures are the server's own. `cpuProf` adds
 * `--cpu-prof` to the child (the profile lands in `cpuProfDir` when the child stops). `worlds` > 1
 * creates worlds `2`..`N` through the admin API (`POST /api/v1/worlds`, as an operator would) next to
 * the default world `1`, all stepping on the one loop; the step figures are then every world's steps.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createHistogram } from 'node:perf_hooks';
import { arena } from '../examples/arena/game.js';
import { startServer } from '../src/index.js';
import { tempDataDir } from '../test/helpers/data-dir.js';
import { heapAfterGc } from './heap-after-gc.js';
import { pin } from './net-bots-proc.js';

const r2 = (n: number): number => Math.round(n * 100) / 100;

/** What one measured window saw in the server's process. */
export interface ServerWindow {
  loopP50Ms: number;
  loopP99Ms: number;
  loopMaxMs: number;
  /** Process CPU (user + system) over the window, ms; and as a share of one core. */
  serverCpuMs: number;
  serverCpuPct: number;
  /** The worlds' step time (`lastStepMs`) over the window's steps: p50 / p99 / max, and how many steps (of every world). */
  stepP50Ms: number;
  stepP99Ms: number;
  stepMaxMs: number;
  steps: number;
  /**
   * The longest gap between two ticks of a 10 ms timer in the server process (a loop block), and
   * what the main thread did in it by /proc/self/schedstat: ran on a CPU (a real stall: the server's
   * own work) or waited in the run queue (descheduled: other processes had the core). Null where
   * /proc is missing. `runqueueWaitMs`: the main thread's run-queue wait over the whole window.
   */
  maxBlockMs: number;
  maxBlockRanMs: number | null;
  maxBlockWaitedMs: number | null;
  runqueueWaitMs: number | null;
}

/** The main thread's [ran, waited] ns from /proc/self/schedstat; null without /proc. */
const schedstat = (): [number, number] | null => {
  try {
    const [run, wait] = readFileSync('/proc/self/schedstat', 'utf8').split(' ').map(Number);
    return run !== undefined && wait !== undefined ? [run, wait] : null;
  } catch {
    return null;
  }
};

type Stats = ReturnType<Awaited<ReturnType<typeof startServer>>['runtime']['gameServer']['stats']>;

/** The bench's handle on the server, wherever it runs. */
export interface HostileServer {
  port: number;
  /** Where it runs and how it is pinned. */
  placement: string;
  stats(): Promise<Stats>;
  heap(): Promise<number>;
  windowStart(): Promise<void>;
  windowStop(): Promise<ServerWindow>;
  stop(): Promise<void>;
}

const q = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0) : 0;
};

/** Start the server in this process; the measuring parts are shared by both placements. */
const startLocal = async (helloTimeoutMs: number, resumeGraceSeconds: number, net: Record<string, unknown> = {}, worlds = 1) => {
  const running = await startServer(arena, {
    options: {
      host: '127.0.0.1',
      port: 0,
      adminPort: 0,
      dataDir: tempDataDir('wt-hostile-bench-').dir,
      logLevel: 'silent',
      statsIntervalSeconds: 0,
      net: { resumeGraceSeconds, helloTimeoutMs, ...net },
    },
  });
  for (let i = 2; i <= worlds; i++) {
    const res = await fetch(`http://127.0.0.1:${running.adminPort}/api/v1/worlds`, {
      method: 'POST',
      headers: { authorization: `Bearer ${running.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: String(i) }),
    });
    if (res.status !== 201) throw new Error(`world ${i} not created: ${res.status} ${await res.text()}`);
  }
  const served = running.runtime.runner.worlds();
  // The window's loop delays: each tick's lateness past its 10 ms (what monitorEventLoopDelay measures,
  // but pausable: a mid-window heap measure's full GCs are the bench's pause, not the attack's).
  const acc = createHistogram();
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  const stepMs: number[] = [];
  const lastStep = new Map(served.map((w) => [w, w.clock.step]));
  // Sampled every 10 ms: a step's lastStepMs stays readable until the next step (50 ms at 20 Hz).
  let sampler: NodeJS.Timeout | null = null;
  let prev = { t: 0, ss: schedstat() };
  let ss0 = prev.ss;
  let block = { ms: 0, ran: null as number | null, waited: null as number | null };
  const sample = (): void => {
    const t = performance.now();
    const ss = schedstat();
    if (t - prev.t > block.ms)
      block = {
        ms: t - prev.t,
        ran: ss && prev.ss ? (ss[0] - prev.ss[0]) / 1e6 : null,
        waited: ss && prev.ss ? (ss[1] - prev.ss[1]) / 1e6 : null,
      };
    acc.record(Math.max(1, Math.round((t - prev.t - 10) * 1e6)));
    prev = { t, ss };
    for (const w of served)
      if (w.clock.step !== lastStep.get(w)) {
        lastStep.set(w, w.clock.step);
        stepMs.push(w.stats.totalMs);
      }
  };
  return {
    port: running.port,
    stats: async () => running.runtime.gameServer.stats(),
    /** Inside a window: the histogram and the block sampler pause over the full GCs (the bench's own pause). */
    heap: async (): Promise<number> => {
      if (!sampler) return heapAfterGc();
      clearInterval(sampler);
      const bytes = await heapAfterGc();
      prev = { t: performance.now(), ss: schedstat() };
      sampler = setInterval(sample, 10);
      return bytes;
    },
    windowStart: async () => {
      stepMs.length = 0;
      for (const w of served) lastStep.set(w, w.clock.step);
      prev = { t: performance.now(), ss: schedstat() };
      ss0 = prev.ss;
      block = { ms: 0, ran: null, waited: null };
      sampler = setInterval(sample, 10);
      acc.reset();
      cpu0 = process.cpuUsage();
      t0 = performance.now();
    },
    windowStop: async (): Promise<ServerWindow> => {
      const cpu = process.cpuUsage(cpu0);
      const wall = performance.now() - t0;
      if (sampler) clearInterval(sampler);
      sampler = null;
      const ss = schedstat();
      const cpuMs = (cpu.user + cpu.system) / 1000;
      return {
        loopP50Ms: r2(acc.percentile(50) / 1e6),
        loopP99Ms: r2(acc.percentile(99) / 1e6),
        loopMaxMs: r2(acc.max / 1e6),
        serverCpuMs: r2(cpuMs),
        serverCpuPct: r2((100 * cpuMs) / wall),
        stepP50Ms: r2(q(stepMs, 0.5)),
        stepP99Ms: r2(q(stepMs, 0.99)),
        stepMaxMs: r2(Math.max(0, ...stepMs)),
        steps: stepMs.length,
        maxBlockMs: r2(block.ms),
        maxBlockRanMs: block.ran === null ? null : r2(block.ran),
        maxBlockWaitedMs: block.waited === null ? null : r2(block.waited),
        runqueueWaitMs: ss && ss0 ? r2((ss[1] - ss0[1]) / 1e6) : null,
      };
    },
    stop: () => running.stop(),
  };
};

/** The server in the bench's own process (attackers compete with it for the CPU). */
export const inProcess = async (
  helloTimeoutMs: number,
  resumeGraceSeconds: number,
  net: Record<string, unknown> = {},
  worlds = 1,
): Promise<HostileServer> => ({
  ...(await startLocal(helloTimeoutMs, resumeGraceSeconds, net, worlds)),
  placement: 'in-process (attackers and server share one process, not pinned)',
});

type Req = { id: number; op: 'stats' | 'heap' | 'windowStart' | 'windowStop' | 'stop' };

/** The server in a forked child, pinned to CPU 0; this process pinned to CPU 1 (when taskset works). */
export const spawnHostileServer = async (
  helloTimeoutMs: number,
  resumeGraceSeconds: number,
  opts: { cpuProfDir?: string; net?: Record<string, unknown>; worlds?: number } = {},
): Promise<HostileServer> => {
  const prof = opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : [];
  const child = fork(
    fileURLToPath(import.meta.url),
    ['--child', String(helloTimeoutMs), String(resumeGraceSeconds), JSON.stringify(opts.net ?? {}), String(opts.worlds ?? 1)],
    {
      execArgv: [...process.execArgv, ...prof, ...(process.env.WT_HOSTILE_TRACE_GC ? ['--trace-gc'] : [])],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const pinned = child.pid !== undefined && pin(child.pid, 0) && pin(process.pid, 1);
  const pending = new Map<number, (v: unknown) => void>();
  let port = 0;
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (c) => reject(new Error(`hostile server child exited ${c}`)));
    child.on('message', (m: { id?: number; port?: number; value?: unknown }) => {
      if (m.port !== undefined) {
        port = m.port;
        resolve();
      } else if (m.id !== undefined) {
        pending.get(m.id)?.(m.value);
        pending.delete(m.id);
      }
    });
  });
  await ready;
  let next = 0;
  const call = <T>(op: Req['op']): Promise<T> =>
    new Promise((resolve) => {
      const id = ++next;
      pending.set(id, resolve as (v: unknown) => void);
      child.send({ id, op } satisfies Req);
    });
  return {
    port,
    placement: pinned
      ? 'child process pinned to CPU 0 (taskset -a -cp 0), attackers in the bench process pinned to CPU 1'
      : 'child process, not pinned (taskset missing or failed)',
    stats: () => call<Stats>('stats'),
    heap: () => call<number>('heap'),
    windowStart: () => call<void>('windowStart'),
    windowStop: () => call<ServerWindow>('windowStop'),
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      await call<void>('stop');
      await exited;
    },
  };
};

if (process.argv[2] === '--child' && process.send) {
  const send = (m: unknown): void => void process.send?.(m);
  const local = await startLocal(
    Number(process.argv[3]),
    Number(process.argv[4]),
    JSON.parse(process.argv[5] ?? '{}') as Record<string, unknown>,
    Number(process.argv[6] ?? 1),
  );
  process.on('message', async (m: Req) => {
    const value = await local[m.op]();
    send({ id: m.id, value });
    if (m.op === 'stop') {
      process.disconnect();
      setTimeout(() => process.exit(0), 500).unref(); // --cpu-prof writes its profile at exit
    }
  });
  send({ port: local.port });
}
