/**
 * bench/net-floor-split.ts's processes and kernel counters: CPU pinning, /proc/stat, the IPI lines
 * of /proc/interrupts, TcpExt counters, and the receivers — K raw WebSocket clients
 * (src/bots/raw-ws.ts) in one child process (this file is its entry point) that only read and count,
 * answering `stat` on stdin with one JSON line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createReadBuffer, RawWs } from '../src/bots/raw-ws.js';
import { inNetns, type NetPlacement } from './net-netns.js';

const SELF = fileURLToPath(import.meta.url);
/** IPI-type lines of /proc/interrupts (x86): those this kernel shows are used and printed. */
const IPI_LINES = ['RES', 'CAL', 'TLB', 'IWI'];
/** TcpExt counters reported per run (/proc/net/netstat). */
export const TCP_COUNTERS = ['DelayedACKs', 'TCPPureAcks', 'TCPHPAcks', 'TCPHPHits', 'TCPRcvCoalesce', 'TCPRcvCollapsed', 'PruneCalled'];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** cpuN lines of /proc/stat: [user, nice, system, idle, iowait, irq, softirq, steal] in USER_HZ ticks. */
export const readStat = (): number[][] =>
  readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .filter((l) => /^cpu\d+ /.test(l))
    .map((l) => l.trim().split(/\s+/).slice(1, 9).map(Number));

/** IPI lines of /proc/interrupts: name → per-CPU counts, and the lines as printed by the kernel. */
export const readIpis = (): { counts: Record<string, number[]>; lines: string[] } => {
  const counts: Record<string, number[]> = {},
    lines: string[] = [];
  for (const l of readFileSync('/proc/interrupts', 'utf8').split('\n')) {
    const m = /^\s*([A-Z]{3}):\s+(.*)$/.exec(l);
    if (!m || !IPI_LINES.includes(m[1] ?? '')) continue;
    counts[m[1] ?? ''] = (m[2] ?? '').trim().split(/\s+/).slice(0, os.cpus().length).map(Number);
    lines.push(l.trim().replace(/\s+/g, ' '));
  }
  return { counts, lines };
};

/** TcpExt counters of /proc/net/netstat. */
export const readTcp = (): Record<string, number> => {
  const ls = readFileSync('/proc/net/netstat', 'utf8').split('\n');
  const i = ls.findIndex((l) => l.startsWith('TcpExt:'));
  const names = (ls[i] ?? '').split(/\s+/),
    vals = (ls[i + 1] ?? '').split(/\s+/).map(Number);
  const out: Record<string, number> = {};
  for (const n of TCP_COUNTERS) out[n] = vals[names.indexOf(n)] ?? 0;
  return out;
};

/** The state letter of /proc/PID/stat (T: stopped). */
export const procState = (pid: number): string => /\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1] ?? '?';

/** The receivers' process: request/reply over its stdin/stdout (one JSON line per request). */
export interface Receivers {
  pid: number;
  stat(): Promise<{ frames: number; bytes: number; cpuUs: number; sleeps: number }>;
  kill(): void;
}

/**
 * Start the receivers' process (this file) with `sockets` clients of `place.host`:`port` (inside
 * `place.netns` when set); resolves once every socket is open.
 */
export const startReceivers = async (port: number, sockets: number, place: NetPlacement): Promise<Receivers> => {
  // `timeout -s KILL` caps the child's life (30 min) even if this process dies while the child is stopped.
  const [cmd, ...args] = inNetns(place, [
    'timeout',
    '-s',
    'KILL',
    '1800',
    process.execPath,
    '--import',
    'tsx',
    SELF,
    String(port),
    String(sockets),
    place.host,
  ]);
  const child: ChildProcess = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const { stdin, stdout } = child;
  if (!stdin || !stdout) throw new Error('receivers: no stdio pipes');
  const waiting: Array<(l: string) => void> = [];
  let exited = false;
  child.on('exit', () => {
    exited = true;
    for (const w of waiting.splice(0)) w('{"error":"receivers exited"}');
  });
  createInterface({ input: stdout }).on('line', (l) => waiting.shift()?.(l));
  const parse = (l: string): Record<string, number | string> => {
    try {
      return JSON.parse(l) as Record<string, number | string>;
    } catch {
      return { error: `unexpected line from the receivers: ${l.slice(0, 200)}` };
    }
  };
  const next = (): Promise<Record<string, number | string>> =>
    new Promise((r) => {
      if (exited) r({ error: 'receivers exited' });
      else waiting.push((l) => r(parse(l)));
    });
  let pid = 0;
  // The node process (stopped or not) gets SIGCONT + SIGKILL; `timeout` gets SIGTERM, which it
  // forwards to its child (the only way to reach it before its pid is known).
  const kill = (): void => {
    if (exited) return;
    const signal = (p: number, sig: NodeJS.Signals): void => {
      try {
        process.kill(p, sig);
      } catch {}
    };
    if (pid > 0) {
      signal(pid, 'SIGCONT');
      signal(pid, 'SIGKILL');
    }
    if (child.pid) signal(child.pid, 'SIGTERM');
  };
  const ready = await next();
  if (ready.error || typeof ready.pid !== 'number') {
    kill();
    throw new Error(`receivers did not start: ${JSON.stringify(ready)}`);
  }
  pid = ready.pid;
  return {
    pid,
    kill,
    async stat() {
      stdin.write('stat\n');
      const s = await next();
      if (s.error) throw new Error(`receivers: ${s.error}`);
      return { frames: Number(s.frames), bytes: Number(s.bytes), cpuUs: Number(s.cpuUs), sleeps: Number(s.sleeps) };
    },
  };
};

/** The child: K raw WebSocket clients reading and counting; answers `stat` on stdin. */
const receiverMain = async (port: number, sockets: number, host: string): Promise<void> => {
  const rb = createReadBuffer();
  let frames = 0,
    bytes = 0,
    opened = 0,
    failed = '';
  const sink = {
    open: () => void opened++,
    frame: (_b: Uint8Array, _dv: DataView, s: number, e: number) => {
      frames++;
      bytes += e - s;
    },
    close: (code: number) => void (failed ||= `socket closed ${code}`),
    error: (err: Error) => void (failed ||= err.message),
  };
  const all: RawWs[] = [];
  // Connect in batches (the listen backlog is finite).
  for (let i = 0; i < sockets && !failed; ) {
    const batch = Math.min(200, sockets - i);
    for (let j = 0; j < batch; j++) all.push(new RawWs(`ws://${host}:${port}/`, sink, rb));
    i += batch;
    for (let t = 0; opened < i && !failed && t < 1000; t++) await sleep(5);
  }
  const out = (o: object): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
  if (failed || opened < sockets) {
    out({ error: failed || `only ${opened} of ${sockets} sockets opened` });
    process.exit(1);
  }
  out({ pid: process.pid });
  const rl = createInterface({ input: process.stdin });
  rl.on('line', () => {
    const c = process.cpuUsage();
    // Voluntary context switches: how often the process went to sleep (each one ends with a wakeup).
    const sleeps = process.resourceUsage().voluntaryContextSwitches;
    out({ frames, bytes, cpuUs: c.user + c.system, sleeps, error: failed || undefined });
  });
  rl.on('close', () => process.exit(0));
};

if (resolve(process.argv[1] ?? '') === SELF)
  await receiverMain(Number(process.argv[2]), Number(process.argv[3]), process.argv[4] ?? '127.0.0.1');
