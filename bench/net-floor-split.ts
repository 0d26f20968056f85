/**
 * What the transport floor is made of on this machine (docs/NET-SCALE.md, last section). A bare
 * uWS app (src/uws.ts) in this process, pinned to CPU 0, sends one frame to each of K WebSocket
 * sockets on 127.0.0.1 (or over a veth pair: WT_NET_NETNS, bench/net-netns.ts) per round
 * (`ws.send`, as `GameServer.probeTransport`), R rounds 50 ms apart (20 Hz steps). The receivers — K raw WebSocket clients (src/bots/raw-ws.ts) in ONE child process
 * — only read. Configurations, interleaved per repetition (a, b, c, a, b, c, ...):
 *
 *   a  receivers on CPU 1, reading (asleep in epoll between rounds): the net bench's situation
 *   b  receivers on CPU 1, process stopped (SIGSTOP before the rounds, SIGCONT after): no reader
 *      wakes; loopback's receive processing still runs on the sender's CPU
 *   c  receivers on CPU 0 with the sender: a wakeup needs no cross-CPU IPI
 *   ag, cg  a and c at one size (300 B) with WT_FLOOR_GAP_US (6) µs of CPU work between two sends,
 *      as the replicate phase spaces its sends: the receivers keep up and sleep between frames.
 *      The gaps are timed alone in the same round and subtracted
 *
 * Per run: server process CPU (user, system) inside the send loops and wall time, per send;
 * /proc/stat deltas of cpu0 and cpu1 (user, system, softirq, irq, steal, idle) per send; the
 * per-CPU deltas of /proc/interrupts' IPI lines per send; TcpExt counters; the receivers' CPU per
 * frame; every frame checked delivered. `WT_FLOOR_PERF=1` adds a kernel call-chain profile of the
 * server during a and b (bench/net-floor-split-perf.ts).
 *
 * `npx tsx bench/net-floor-split.ts` or `WT_NET_ONLY=floor-split npm run bench -- net`; writes
 * bench/results/net-floor-split.json. Env: WT_FLOOR_SOCKETS (2000), WT_FLOOR_ROUNDS (20),
 * WT_FLOOR_REPS (4), WT_FLOOR_SIZES (64,300,450,1400 payload bytes), WT_FLOOR_GAP_US (6; 0 skips ag
 * and cg), WT_FLOOR_PERF (0; 1 profiles a, b, c at 300 B, or name another of the sizes). Bad values
 * exit with status 2.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type us_listen_socket, uWS, type WebSocket } from '../src/uws.js';
import type { SuiteContext } from './harness.js';
import { pin } from './net-bots-proc.js';
import { type PerfRun, perfRun, perfSummary, printPerf } from './net-floor-split-perf.js';
import { procState, type Receivers, readIpis, readStat, readTcp, startReceivers, TCP_COUNTERS } from './net-floor-split-procs.js';
import { type FloorOptions, type FloorRun, printTable, summarize } from './net-floor-split-report.js';
import { describePlacement, readNetPlacement } from './net-netns.js';

const SELF = fileURLToPath(import.meta.url);
const STEP_MS = 50;
/** Bytes a stopped receiver may have queued per socket (b): well under tcp_rmem's default 128 KiB and the window. */
const MAX_QUEUED = 32 * 1024;
/** Profiled runs per configuration with WT_FLOOR_PERF=1 (interleaved). */
const PERF_REPS = 2;

/** Read and validate the env; returns an error message instead of options when one is bad. */
export const readFloorOptions = (env: NodeJS.ProcessEnv = process.env): FloorOptions | string => {
  const int = (name: string, def: number, lo: number, hi: number): number | string => {
    const raw = env[name];
    const v = raw === undefined || raw === '' ? def : Number(raw);
    return Number.isInteger(v) && v >= lo && v <= hi ? v : `${name} must be an integer ${lo}..${hi} (got ${JSON.stringify(raw)})`;
  };
  const sockets = int('WT_FLOOR_SOCKETS', 2000, 10, 10_000);
  const rounds = int('WT_FLOOR_ROUNDS', 20, 2, 200);
  const reps = int('WT_FLOOR_REPS', 4, 1, 20);
  const gapUs = int('WT_FLOOR_GAP_US', 6, 0, 100);
  for (const v of [sockets, rounds, reps, gapUs]) if (typeof v === 'string') return v;
  const rawSizes = env.WT_FLOOR_SIZES ?? '64,300,450,1400';
  const sizes = rawSizes.split(',').map(Number);
  if (!sizes.length || sizes.some((s) => !Number.isInteger(s) || s < 1 || s > 16_000))
    return `WT_FLOOR_SIZES must be comma-separated integers 1..16000 (got ${JSON.stringify(rawSizes)})`;
  const perf = env.WT_FLOOR_PERF ?? '0';
  const perfSize = perf === '1' ? (sizes.includes(300) ? 300 : (sizes[0] ?? 0)) : Number(perf);
  if (perf !== '0' && perf !== '1' && !sizes.includes(perfSize))
    return `WT_FLOOR_PERF must be 0, 1 or one of WT_FLOOR_SIZES (got ${JSON.stringify(perf)})`;
  const queued = Number(rounds) * (Math.max(...sizes) + 4);
  if (queued > MAX_QUEUED)
    return `WT_FLOOR_ROUNDS × (largest size + 4) = ${queued} bytes per socket: a stopped receiver (b) must queue at most ${MAX_QUEUED}`;
  // A gap round (the gaps alone, then sends of ~8 µs with gaps) must fit in 90 % of a step.
  const gapRound = Number(gapUs) > 0 ? Number(sockets) * (2 * Number(gapUs) + 8) : 0;
  if (gapRound > STEP_MS * 900)
    return `WT_FLOOR_SOCKETS × (2 × WT_FLOOR_GAP_US + 8) = ${gapRound} µs: a gap round must fit in 90 % of a ${STEP_MS} ms step (lower either, or WT_FLOOR_GAP_US=0)`;
  const place = readNetPlacement(env);
  if (typeof place === 'string') return place;
  return { place, sockets: Number(sockets), rounds: Number(rounds), reps: Number(reps), sizes, perfSize, gapUs: Number(gapUs) };
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** CPU work standing in for the replicate phase between two sends (ag, cg): `n` dependent float ops, no memory traffic. */
const spin = (n: number): number => {
  let x = 1;
  for (let i = 0; i < n; i++) x = x * 1.000001 + 1e-9;
  return x;
};

/** Iterations of {@link spin} that take about `us` µs on this core (median of 5 timings of 2,000 calls). */
const calibrateSpin = (us: number): number => {
  if (us <= 0) return 0;
  const n = 1000;
  const times: number[] = [];
  for (let k = 0; k < 5; k++) {
    const t = performance.now();
    let v = 0;
    for (let i = 0; i < 2000; i++) v += spin(n);
    times.push((performance.now() - t) / 2000 + (v === -1 ? 1 : 0));
  }
  times.sort((a, b) => a - b);
  return Math.max(1, Math.round((n * us) / ((times[2] ?? 1) * 1000)));
};

/** The server: a bare uWS app on `host` whose sockets are collected as they open. */
const startServer = async (
  host: string,
): Promise<{ port: number; sockets: WebSocket<object>[]; closed: () => number; stop: () => void }> => {
  const sockets: WebSocket<object>[] = [];
  let closed = 0,
    listen: us_listen_socket | false = false;
  const app = uWS.App().ws<object>('/*', {
    maxPayloadLength: 1024,
    maxBackpressure: 1 << 20,
    idleTimeout: 0,
    sendPingsAutomatically: false,
    compression: uWS.DISABLED,
    open: (ws) => void sockets.push(ws),
    close: () => void closed++,
  });
  await new Promise<void>((r) =>
    app.listen(host, 0, (t) => {
      listen = t;
      r();
    }),
  );
  if (!listen) throw new Error(`could not listen on ${host}`);
  const ls: us_listen_socket = listen;
  return {
    port: uWS.us_socket_local_port(ls),
    sockets,
    closed: () => closed,
    stop: () => {
      uWS.us_listen_socket_close(ls);
      for (const ws of sockets.splice(0)) ws.close();
    },
  };
};

type Cfg = FloorRun['cfg'];

/** One configuration run: R rounds of one frame to every socket, 50 ms apart; figures per send. */
const runOnce = async (
  cfg: Cfg,
  size: number,
  rep: number,
  o: FloorOptions,
  socks: WebSocket<object>[],
  rx: Receivers,
  pinned: boolean,
  gapIters = 0,
): Promise<FloorRun> => {
  if (pinned) pin(rx.pid, cfg === 'c' || cfg === 'cg' ? 0 : 1);
  const gap = cfg === 'ag' || cfg === 'cg' ? gapIters : 0;
  const frame = new Uint8Array(size).fill(0x5a);
  const r0 = await rx.stat();
  if (cfg === 'b') {
    process.kill(rx.pid, 'SIGSTOP');
    for (let t = 0; procState(rx.pid) !== 'T' && t < 200; t++) await sleep(5);
  }
  await sleep(100);
  const st0 = readStat(),
    ipi0 = readIpis().counts,
    tcp0 = readTcp(),
    ru0 = process.resourceUsage(),
    win0 = process.cpuUsage();
  let user = 0,
    system = 0,
    wallMs = 0,
    backpressured = 0,
    gapCpu = 0,
    sink = 0;
  const t0 = performance.now();
  for (let k = 0; k < o.rounds; k++) {
    const wait = t0 + k * STEP_MS - performance.now();
    if (wait > 0) await sleep(wait);
    if (gap > 0) {
      // ag / cg: the same gaps alone first (nothing sent); their CPU and wall are subtracted below.
      const g0 = process.cpuUsage(),
        gw0 = performance.now();
      for (let i = 0; i < socks.length; i++) sink += spin(gap);
      wallMs -= performance.now() - gw0;
      const g = process.cpuUsage(g0);
      user -= g.user;
      system -= g.system;
      gapCpu += g.user + g.system;
    }
    const c0 = process.cpuUsage(),
      w0 = performance.now();
    if (gap > 0)
      for (let i = 0; i < socks.length; i++) {
        if (socks[i]?.send(frame, true, false) !== 1) backpressured++;
        sink += spin(gap);
      }
    else if (cfg !== 'idle') for (let i = 0; i < socks.length; i++) if (socks[i]?.send(frame, true, false) !== 1) backpressured++;
    wallMs += performance.now() - w0;
    const d = process.cpuUsage(c0);
    user += d.user;
    system += d.system;
  }
  if (sink === -1) backpressured++; // keeps the gaps' work observable (never true)
  await sleep(STEP_MS);
  const win = process.cpuUsage(win0),
    ru = process.resourceUsage(),
    st1 = readStat(),
    ipi1 = readIpis().counts,
    tcp1 = readTcp();
  if (cfg === 'b') process.kill(rx.pid, 'SIGCONT');
  // Per-send figures of `idle` are per send of an equal run (its background, to subtract).
  const sends = socks.length * o.rounds,
    expected = cfg === 'idle' ? 0 : sends;
  let r1 = await rx.stat();
  for (let t = 0; r1.frames - r0.frames < expected && t < 200; t++) {
    await sleep(25);
    r1 = await rx.stat();
  }
  const per = (v: number): number => v / sends;
  const tickUs = 1e6 / 100; // USER_HZ is 100 on Linux x86
  const cpuLine = (cpu: number) => {
    const a = st0[cpu] ?? [],
      b = st1[cpu] ?? [];
    const d = (i: number): number => per(((b[i] ?? 0) - (a[i] ?? 0)) * tickUs);
    return { user: d(0) + d(1), system: d(2), idle: d(3) + d(4), irq: d(5), softirq: d(6), steal: d(7) };
  };
  const ipis: Record<string, number[]> = {};
  for (const [n, v] of Object.entries(ipi1)) ipis[n] = v.map((x, i) => per(x - (ipi0[n]?.[i] ?? 0)));
  const tcp: Record<string, number> = {};
  for (const n of TCP_COUNTERS) tcp[n] = (tcp1[n] ?? 0) - (tcp0[n] ?? 0);
  return {
    cfg,
    size,
    rep,
    sends,
    backpressured,
    delivered: r1.frames - r0.frames,
    serverUs: {
      user: per(user),
      system: per(system),
      total: per(user + system),
      wall: per(wallMs * 1000),
      window: per(win.user + win.system),
      gap: per(gapCpu),
    },
    serverCtxSwitches: {
      voluntary: per(ru.voluntaryContextSwitches - ru0.voluntaryContextSwitches),
      involuntary: per(ru.involuntaryContextSwitches - ru0.involuntaryContextSwitches),
    },
    cpu0: cpuLine(0),
    cpu1: cpuLine(1),
    ipis,
    tcp,
    receiverCpuUsPerFrame: (r1.cpuUs - r0.cpuUs) / Math.max(1, r1.frames - r0.frames),
    receiverSleepsPerSend: per(r1.sleeps - r0.sleeps),
    sentBytes: cfg === 'idle' ? 0 : size,
  };
};

/** Run every configuration; logs the table through `log` and returns the figures (the result file's `extra`). */
export const floorSplit = async (log: (l: string) => void, o: FloorOptions): Promise<Record<string, unknown>> => {
  const t0 = Date.now();
  const loadStart = readFileSync('/proc/loadavg', 'utf8').trim();
  const pinned = pin(process.pid, 0);
  if (!pinned) log('WARNING: taskset failed or missing: nothing is pinned, and configuration c (same CPU) is skipped');
  const cfgs: Cfg[] = pinned ? ['a', 'b', 'c'] : ['a', 'b'];
  const gapCfgs: Cfg[] = o.gapUs > 0 ? (pinned ? ['ag', 'cg'] : ['ag']) : [];
  const gapIters = calibrateSpin(o.gapUs);
  const server = await startServer(o.place.host);
  let rx: Receivers | null = null;
  const onSignal = (): void => {
    rx?.kill();
    process.exit(130);
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  const onExit = (): void => rx?.kill();
  process.once('exit', onExit);
  const runs: FloorRun[] = [];
  const perf: PerfRun[] = [];
  try {
    rx = await startReceivers(server.port, o.sockets, o.place);
    for (let t = 0; server.sockets.length < o.sockets && t < 200; t++) await sleep(10);
    if (server.sockets.length !== o.sockets) throw new Error(`server saw ${server.sockets.length} of ${o.sockets} sockets`);
    log(
      `${o.sockets} sockets open (receivers pid ${rx.pid}); ${o.rounds} rounds per run, ${o.reps} repetitions, sizes ${o.sizes.join(', ')} B`,
    );
    // Warm-up (JIT, socket buffers): a's rounds of every size, not recorded.
    for (const size of o.sizes) await runOnce('a', size, 0, { ...o, rounds: 4 }, server.sockets, rx, pinned);
    const gapSize = o.sizes.includes(300) ? 300 : (o.sizes[0] ?? 300);
    for (let rep = 1; rep <= o.reps; rep++) {
      const plan: Array<[Cfg, number]> = [];
      for (const size of o.sizes) for (const cfg of cfgs) plan.push([cfg, size]);
      for (const cfg of gapCfgs) plan.push([cfg, gapSize]);
      // The machine's background over an equal window with nothing sent (other processes, timers).
      plan.push(['idle', 0]);
      for (const [cfg, size] of plan) {
        const r = await runOnce(cfg, size, rep, o, server.sockets, rx, pinned, gapIters);
        runs.push(r);
        if (cfg !== 'idle' && (r.delivered !== r.sends || r.backpressured > 0))
          log(`WARNING ${cfg} ${size} B rep ${rep}: ${r.delivered}/${r.sends} delivered, ${r.backpressured} sends backpressured`);
      }
    }
    if (o.perfSize > 0) {
      const r = rx;
      const plan: Array<[Cfg, number]> = [
        ...cfgs.map((c): [Cfg, number] => [c, o.perfSize]),
        ...gapCfgs.map((c): [Cfg, number] => [c, gapSize]),
      ];
      for (let rep = 0; rep < PERF_REPS; rep++)
        for (const [cfg, size] of plan)
          perf.push(await perfRun(cfg, size, process.pid, r.pid, () => runOnce(cfg, size, -1, o, server.sockets, r, pinned, gapIters)));
    }
    if (server.closed() > 0) throw new Error(`${server.closed()} sockets closed during the run`);
  } finally {
    rx?.kill();
    server.stop();
    process.off('exit', onExit).off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
  const summary = summarize(runs);
  printTable(log, summary, o);
  const medianUs = (cfg: string, size: number): { server: number; gap: number; rx: number } => {
    const m = summary.find((c) => c.cfg === cfg && c.size === size)?.median;
    return { server: m?.srvTotal ?? 0, gap: m?.srvGap ?? 0, rx: m?.rxUsPerFrame ?? 0 };
  };
  const perfSplit = perfSummary(perf, medianUs);
  if (perfSplit.length) printPerf(log, perfSplit);
  const ipiLines = readIpis().lines;
  log(`/proc/interrupts lines used (totals since boot): ${ipiLines.join(' | ')}`);
  const loadEnd = readFileSync('/proc/loadavg', 'utf8').trim();
  log(`load average (/proc/loadavg) start: ${loadStart}; end: ${loadEnd}; ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return {
    options: o,
    network: describePlacement(o.place),
    gap: { us: o.gapUs, spinIterations: gapIters },
    pinning: pinned ? { server: 'taskset -a -cp 0', receivers: 'taskset -a -cp 1 (a, b), 0 (c)' } : { applied: false },
    loadavg: { start: loadStart, end: loadEnd },
    kernel: os.release(),
    ipiLines,
    units: 'µs per socket-send; IPIs and context switches per send; cpuN from /proc/stat (USER_HZ ticks, tick-sampled split)',
    summary,
    ...(perf.length ? { perf: perfSplit, perfRuns: perf } : {}),
    runs,
  };
};

/** Standalone run: the figures in the harness's result shape, to bench/results/net-floor-split.json. */
const main = async (o: FloorOptions): Promise<void> => {
  const round2 = (l: number): number => Math.round(l * 100) / 100;
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    totalMemGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAvgStart: os.loadavg().map(round2),
    loadAvgEnd: [] as number[],
  };
  const date = new Date().toISOString();
  const extra = await floorSplit((l) => console.log(l), o);
  machine.loadAvgEnd = os.loadavg().map(round2);
  const dir = join(dirname(SELF), 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, o.place.netns ? 'net-floor-split-netns.json' : 'net-floor-split.json');
  writeFileSync(file, `${JSON.stringify({ suite: 'net-floor-split', date, machine, tasks: [], extra }, null, 2)}\n`);
  console.log(`wrote ${file}`);
};

/** Suite `net` with `WT_NET_ONLY=floor-split`: the same run, figures recorded through the harness (same result file). */
export const floorSplitInSuite = async (ctx: SuiteContext): Promise<void> => {
  const o = readFloorOptions();
  if (typeof o === 'string') {
    console.error(o);
    process.exit(2);
  }
  for (const [k, v] of Object.entries(await floorSplit(ctx.log, o))) ctx.record(k, v);
};

if (resolve(process.argv[1] ?? '') === SELF) {
  const o = readFloorOptions();
  if (typeof o === 'string') {
    console.error(o);
    process.exit(2);
  }
  await main(o);
  process.exit(0);
}
