/**
 * Join/leave churn from one loopback client against a real game server (uWS on 127.0.0.1, SQLite
 * store, FULL sync, the world stepped at 20 Hz in this process): does the hello flood hold the
 * event loop? A client process (bench/join-flood-client.ts) runs 16 sockets connecting, sending
 * hello (returning identities: no limit applies), closing, in a loop, and times a `/healthz`-like
 * HTTP probe served by this process every 100 ms; this process records its event-loop delay.
 *
 *   npx tsx bench/join-flood.ts [--seconds 8] [--sockets 16] [--modes per-write,batched,admitted]
 *
 * Three runs in one process, same settings:
 *   - `per-write`: the store commits each join's session write in its own transaction (what a hello
 *     cost before joins were group-committed; parks and drops stay batched as they were), no join
 *     admission (`net.maxJoinsPerStep: 0`);
 *   - `batched`: one transaction per event-loop turn for every session write, no join admission;
 *   - `admitted`: the shipped path, batched with the default join admission (`net.maxJoinsPerStep`,
 *     src/net/join-admission.ts): with enough sockets the hellos outrun it and wait in the join queue.
 * This process (server and stepper) is pinned to CPU 0 and the client process to CPU 1 (taskset),
 * and `serverCpuUsPerHello` is this process's CPU (user + system) over the run divided by the
 * welcomes: what one join costs the server, the 20 Hz stepping of the world included.
 * `--modes batched` runs only the named modes (printed, not written). Prints and writes bench/results/join-flood.json,
 * with the load average around each run.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { SessionWrite, Store } from '../src/store/types.js';
import { stepWorld } from '../src/world/step.js';
import { tempDataDir } from '../test/helpers/data-dir.js';
import { pin } from './net-bots-proc.js';
import { sessionServer, sessionWorld } from '../test/helpers/session-world.js';

const arg = (name: string, d: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const SECONDS = arg('seconds', 8);
const SOCKETS = arg('sockets', 16);
const ALL_MODES = ['per-write', 'batched', 'admitted'] as const;
type Mode = (typeof ALL_MODES)[number];
const MODES = process.argv.includes('--modes') ? (process.argv[process.argv.indexOf('--modes') + 1] ?? '').split(',') : [...ALL_MODES];
const PINNED = pin(process.pid, 0);

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? +(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0).toFixed(1) : 0;
};

/** Event-loop delay (ns, as sampled every 10 ms) beyond the sampling interval, in ms. */
const late = (ns: number): number => +Math.max(0, ns / 1e6 - 10).toFixed(1);

/** The store as it behaved before: each join's live session write its own transaction, the rest together. */
const perWrite = (real: Store): Store => {
  const spy: Store = Object.create(real) as Store;
  spy.writeSessions = async (ops) => {
    const rest: SessionWrite[] = [];
    for (const o of ops) {
      if (o.kind === 'session' && o.record.data.live === true) await real.writeSessions([o]);
      else rest.push(o);
    }
    await real.writeSessions(rest);
  };
  return spy;
};

const runOnce = async (mode: Mode): Promise<Record<string, unknown>> => {
  const dir = tempDataDir(`wt-join-flood-${mode}-`);
  const real = new SqliteStore({ dataDir: dir.dir });
  const store = mode === 'per-write' ? perWrite(real) : real;
  const world = sessionWorld(2000);
  const server = sessionServer(world, store, mode === 'admitted' ? {} : { maxJoinsPerStep: 0 });
  await server.start();
  const stepper = setInterval(() => stepWorld(world, 1), 50);
  const http = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const probePort = (http.address() as { port: number }).port;
  const tx0 = real.stats().transactions;
  const load0 = loadavg();
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const cpu0 = process.cpuUsage();
  const child = spawn(
    PINNED ? 'taskset' : process.execPath,
    [
      ...(PINNED ? ['-c', '1', process.execPath] : []),
      '--import',
      'tsx',
      'bench/join-flood-client.ts',
      ...['--url', `ws://127.0.0.1:${server.port}`, '--probe', `http://127.0.0.1:${probePort}/healthz`],
      ...['--sockets', String(SOCKETS), '--seconds', String(SECONDS)],
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  await new Promise((r) => child.once('exit', r));
  const cpu = process.cpuUsage(cpu0);
  delay.disable();
  const load1 = loadavg();
  const c = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { welcomes: number; errors: number; probeMs: number[] };
  const transactions = real.stats().transactions - tx0;
  const { joinsQueued, joinQueueFull, joinWaitTimeouts } = server.stats();
  clearInterval(stepper);
  http.close();
  await server.stop();
  await real.close();
  dir.remove();
  return {
    mode,
    hellosPerSecond: Math.round(c.welcomes / SECONDS),
    welcomes: c.welcomes,
    errors: c.errors,
    serverCpuUsPerHello: Math.round((cpu.user + cpu.system) / Math.max(1, c.welcomes)),
    joinAdmission: { joinsQueued, joinQueueFull, joinWaitTimeouts },
    storeTransactionsPerHello: +(transactions / Math.max(1, c.welcomes)).toFixed(2),
    healthzMs: {
      median: pct(c.probeMs, 50),
      p90: pct(c.probeMs, 90),
      p99: pct(c.probeMs, 99),
      max: pct(c.probeMs, 100),
      n: c.probeMs.length,
    },
    // Beyond the 10 ms sampling interval (the histogram records whole intervals: 10.1 ms when idle).
    loopDelayMs: {
      p50: late(delay.percentile(50)),
      p99: late(delay.percentile(99)),
      max: late(delay.max),
    },
    loadAverage: { before: load0.map((x) => +x.toFixed(2)), after: load1.map((x) => +x.toFixed(2)) },
  };
};

const runs: Array<Record<string, unknown>> = [];
for (const mode of ALL_MODES) if (MODES.includes(mode)) runs.push(await runOnce(mode));
const placement = PINNED ? 'server process taskset CPU 0, client process CPU 1' : 'not pinned (taskset failed)';
const result = {
  suite: 'join-flood',
  at: new Date().toISOString(),
  seconds: SECONDS,
  sockets: SOCKETS,
  placement,
  runs,
  node: process.version,
};
console.log(JSON.stringify(result, null, 2));
const dirOut = new URL('./results/', import.meta.url);
mkdirSync(dirOut, { recursive: true });
if (runs.length === ALL_MODES.length) writeFileSync(new URL('join-flood.json', dirOut), `${JSON.stringify(result, null, 2)}\n`);
process.exit(0);
