/**
 * Suite `soak` (`npm run bench -- soak`, or `npx tsx bench/soak.ts`): does a server run for days?
 * A real market server (bench/soak-server.ts: ledger, player data, game messages, timers, SQLite)
 * in a child process started with `--expose-gc`, driven by real WebSocket clients from this process
 * (bench/soak-clients.ts: joins, moves, leaves, abrupt drops and resumes, purchases with fresh and
 * repeated keys, game messages, hostile frames) and an admin poller (API reads, `/metrics`, wrong
 * tokens, unknown paths). Every `SOAK_SAMPLE_SECONDS` the child reports its heap after three full
 * GCs and the sizes of its live state (sessions, parked players, entities, ledger and net tables).
 *
 *   SOAK_SECONDS=180 SOAK_CLIENTS=150 SOAK_SAMPLE_SECONDS=10 npx tsx bench/soak.ts
 *   SOAK_SNAPSHOTS=1 ...   also writes heap snapshots after the warm-up and at the end (/tmp)
 *
 * Figures: heap growth per hour, a least-squares line over the second half of the run (after the
 * warm-up has filled caches and JIT code); the same fit of sessions + parked, so a heap that grows
 * with live state is not taken for a leak; and the heap with no client at all (every player left,
 * the grace over) after the warm-up and after the run: the clearest leak signal, since nothing
 * live explains a difference. Writes bench/results/soak.json (as every suite, via the runner).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runSuite, type Suite } from './harness.js';
import { newTraffic, runAdmin, runAgent } from './soak-clients.js';

const env = (name: string, d: number): number => (process.env[name] ? Number(process.env[name]) : d);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const MiB = 2 ** 20;
const r2 = (n: number): number => Math.round(n * 100) / 100;

interface Sample {
  mem: NodeJS.MemoryUsage;
  handles: number;
  live: { sessions: number; parked: number; connections: number; ledger: { rateLimitBuckets: number } | null; [k: string]: unknown };
  cpu: NodeJS.CpuUsage;
}
interface Point {
  t: number;
  heapMiB: number;
  rssMiB: number;
  externalMiB: number;
  handles: number;
  sessions: number;
  parked: number;
  connections: number;
  /** Players with a ledger rate-limit bucket (bounded: pruned at 10,000; grows with distinct buyers until then). */
  rateLimitBuckets: number;
}

/** Least-squares slope of y over x. */
export const slope = (xs: readonly number[], ys: readonly number[]): number => {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += ((xs[i] ?? 0) - mx) * ((ys[i] ?? 0) - my);
    den += ((xs[i] ?? 0) - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
};

/** The child server: its ports, and `ask` for an IPC answer. */
const startChild = async (dataDir: string, grace: number) => {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', 'bench/soak-server.ts', '--data-dir', dataDir, '--grace', String(grace)],
    { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] },
  );
  const first = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{"port"'));
      if (line) resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`soak server exited ${code}`)));
  });
  const ports = JSON.parse(first) as { port: number; adminPort: number; adminToken: string };
  const ask = <T>(msg: { op: string; path?: string }): Promise<T> =>
    new Promise((resolve) => {
      const on = (m: { op: string }) => {
        if (m.op !== msg.op) return;
        child.off('message', on);
        resolve(m as T);
      };
      child.on('message', on);
      child.send(msg);
    });
  return { child, ...ports, ask };
};

export const soakSuite: Suite = {
  name: 'soak',
  async run(ctx) {
    const seconds = env('SOAK_SECONDS', ctx.quick ? 30 : 180);
    const clients = env('SOAK_CLIENTS', ctx.quick ? 40 : 150);
    const sampleEvery = env('SOAK_SAMPLE_SECONDS', ctx.quick ? 3 : 10);
    const warmup = env('SOAK_WARMUP_SECONDS', Math.min(30, Math.round(seconds / 6)));
    const grace = 5;
    const snapshots = process.env.SOAK_SNAPSHOTS === '1';
    const dataDir = mkdtempSync(join(tmpdir(), 'wt-soak-'));
    const srv = await startChild(dataDir, grace);
    const url = `ws://127.0.0.1:${srv.port}`;
    const admin = `http://127.0.0.1:${srv.adminPort}`;
    const sample = async (): Promise<Sample> => (await srv.ask<{ sample: Sample }>({ op: 'sample' })).sample;
    const traffic = newTraffic();

    /** Run the mix for `ms`, sampling into `points` (t from `t0`). */
    const play = async (ms: number, points: Point[] | null, t0: number): Promise<void> => {
      let stopped = false;
      const stop = () => stopped;
      const runs = [
        ...Array.from({ length: clients }, (_, id) => runAgent({ url, id, pool: 3, graceMs: grace * 1000, stop, t: traffic })),
        runAdmin(admin, srv.adminToken, traffic, stop),
      ];
      const until = Date.now() + ms;
      while (Date.now() < until) {
        await sleep(Math.min(sampleEvery * 1000, until - Date.now()));
        if (!points) continue;
        const s = await sample();
        const p: Point = {
          t: r2((performance.now() - t0) / 1000),
          heapMiB: r2(s.mem.heapUsed / MiB),
          rssMiB: r2(s.mem.rss / MiB),
          externalMiB: r2((s.mem.external + s.mem.arrayBuffers) / MiB),
          handles: s.handles,
          sessions: s.live.sessions,
          parked: s.live.parked,
          connections: s.live.connections,
          rateLimitBuckets: s.live.ledger?.rateLimitBuckets ?? 0,
        };
        points.push(p);
        ctx.log(
          `  t=${p.t}s heap ${p.heapMiB} MiB rss ${p.rssMiB} MiB sessions ${p.sessions} parked ${p.parked} handles ${p.handles} buyers ${p.rateLimitBuckets}`,
        );
      }
      stopped = true;
      await Promise.all(runs);
    };
    /** Wait until no client is connected, joining or parked, then sample. */
    const drained = async (): Promise<Sample> => {
      for (let i = 0; i < 120; i++) {
        const s = await sample();
        if (s.live.connections + s.live.sessions + s.live.parked + Number(s.live.joining) === 0) return s;
        await sleep(500);
      }
      return sample();
    };

    const t0 = performance.now();
    const cpu0 = (await sample()).cpu;
    ctx.log(`soak: ${clients} clients, ${seconds} s (warm-up ${warmup} s), a sample every ${sampleEvery} s`);
    await play(warmup * 1000, null, t0);
    const idleBefore = await drained();
    if (snapshots) await srv.ask({ op: 'snapshot', path: join(tmpdir(), 'soak-before.heapsnapshot') });
    const points: Point[] = [];
    const tRun = performance.now();
    await play((seconds - warmup) * 1000, points, tRun);
    const runSeconds = (performance.now() - tRun) / 1000;
    const idleAfter = await drained();
    if (snapshots) await srv.ask({ op: 'snapshot', path: join(tmpdir(), 'soak-after.heapsnapshot') });
    const cpu1 = idleAfter.cpu;

    const half = points.filter((p) => p.t >= runSeconds / 2);
    const perHour = (ys: number[]) =>
      r2(
        slope(
          half.map((p) => p.t),
          ys,
        ) * 3600,
      );
    const growth = {
      secondHalfSamples: half.length,
      heapMiBPerHour: perHour(half.map((p) => p.heapMiB)),
      rssMiBPerHour: perHour(half.map((p) => p.rssMiB)),
      externalMiBPerHour: perHour(half.map((p) => p.externalMiB)),
      liveSessionsPlusParkedPerHour: perHour(half.map((p) => p.sessions + p.parked)),
      handlesPerHour: perHour(half.map((p) => p.handles)),
      rateLimitBucketsPerHour: perHour(half.map((p) => p.rateLimitBuckets)),
    };
    const idle = (s: Sample) => ({ heapMiB: r2(s.mem.heapUsed / MiB), rssMiB: r2(s.mem.rss / MiB), handles: s.handles, live: s.live });
    const idleDelta = {
      heapMiB: r2((idleAfter.mem.heapUsed - idleBefore.mem.heapUsed) / MiB),
      heapBytesPerVisit: Math.round((idleAfter.mem.heapUsed - idleBefore.mem.heapUsed) / Math.max(1, traffic.visits)),
      handles: idleAfter.handles - idleBefore.handles,
    };
    ctx.record('settings', { seconds, clients, sampleEvery, warmup, resumeGraceSeconds: grace, game: 'examples/market' });
    ctx.record('traffic', traffic);
    ctx.record('growth', growth);
    ctx.record('idleBefore', idle(idleBefore));
    ctx.record('idleAfter', idle(idleAfter));
    ctx.record('idleDelta', idleDelta);
    // CPU µs / 1e4 = CPU s × 100: percent of one core over the wall seconds of the run.
    ctx.record('serverCpuPercent', r2((cpu1.user + cpu1.system - cpu0.user - cpu0.system) / 1e4 / ((performance.now() - t0) / 1000)));
    ctx.record('samples', points);
    srv.child.kill('SIGTERM');
    await new Promise((r) => srv.child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  },
};

export default soakSuite;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runSuite(soakSuite, process.argv.includes('--quick'));
  process.exit(0);
}
