/**
 * Shared parts of suite `net`'s end-to-end runs (bench/net-e2e.ts, bench/net-idle.ts): CPU
 * pinning of the server and the bots, the open-file limit, settled RSS, percentiles, the bots
 * CLI started in a child process and the shape of its JSON report.
 */
import { execFileSync, spawn } from 'node:child_process';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { SuiteContext } from './harness.js';
import { inNetns, LOOPBACK, type NetPlacement } from './net-netns.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** CPU pinning of the server (this process) and the bots. */
export interface Pinning {
  server: string;
  bots: string;
  applied: boolean;
}

/** Pin every thread of `pid` to `cpu` (taskset); false when taskset is missing or fails. */
export const pin = (pid: number, cpu: number): boolean => {
  try {
    execFileSync('taskset', ['-a', '-cp', String(cpu), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** Pin this process (all threads) to CPU 0 with taskset; bots go to CPU 1. */
export const pinServer = (): Pinning =>
  pin(process.pid, 0)
    ? { server: 'taskset -a -cp 0 (bench process hosts the server)', bots: 'taskset -c 1 (bots CLI --cpu 1)', applied: true }
    : { server: 'not pinned (taskset failed)', bots: 'not pinned', applied: false };

/** Raise this process's open-file limit (root: prlimit) so 50,000 sockets fit. Returns the new soft limit or null. */
export const raiseFdLimit = (n: number): number | null => {
  try {
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${n}:${n}`], { stdio: 'ignore' });
    return n;
  } catch {
    return null;
  }
};

export const pct = (a: number[], q: number): number => {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))] * 1000) / 1000 : 0;
};
/** The median (mean of the two middle values for an even count); 0 for none. */
export const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  const n = s.length;
  if (!n) return 0;
  return n % 2 ? (s[(n - 1) / 2] ?? 0) : ((s[n / 2 - 1] ?? 0) + (s[n / 2] ?? 0)) / 2;
};
export const r2 = (v: number): number => Math.round(v * 100) / 100;
export const mib = (b: number): number => Math.round((b / 2 ** 20) * 10) / 10;
export const load = (): number[] => os.loadavg().map((l) => r2(l));

/** RSS after three forced full GCs 300 ms apart (minimum of three samples). */
export const settledRss = async (): Promise<number> => {
  let min = Infinity;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 300));
    min = Math.min(min, process.memoryUsage().rss);
  }
  return min;
};

export interface BotReport {
  connected: number;
  disconnects: number;
  disconnectsByCode: Record<string, number>;
  updateLatencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; samples: number };
  inputAckRttMs: { p50: number; p99: number };
  snapshotsPerClientPerSecond: number;
  bytesPerClientPerSecond: number;
  avgSnapshotBytes: number;
  inconsistencies: number;
  fullDecodeClients: number;
  lightClients: number;
  botsCpuPercent: number;
  /** Fields of newer bots (src/bots/report.ts); absent from an older bots CLI. */
  botsCpuUserPercent?: number;
  botsCpuUsPerSnapshot?: number;
  botsCpuUserUsPerSnapshot?: number;
  eventLoopDelayMs?: { p50: number; p90: number; p99: number; p999: number; max: number; samples: number };
  snapshotGapMs?: { p50: number; p90: number; p99: number; p999: number; max: number; samples: number };
  transport?: string;
  groups?: Record<string, BotGroup>;
}

export interface BotGroup {
  connected: number;
  snapshotsPerClientPerSecond: number;
  bytesPerClientPerSecond: number;
  inputsSent: number;
  updateLatencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; samples: number };
  inputAckRttMs: { p50: number; p99: number; p999: number; samples: number };
}

/** One group's figures in the bench result (per-group p50/p99/p99.9 and snapshots/s). */
export const groupFigures = (g: BotGroup | undefined) =>
  g
    ? {
        clients: g.connected,
        updateLatencyMs: {
          p50: g.updateLatencyMs.p50,
          p99: g.updateLatencyMs.p99,
          p999: g.updateLatencyMs.p999,
          max: g.updateLatencyMs.max,
        },
        inputAckRttMs: g.inputAckRttMs.samples ? { p50: g.inputAckRttMs.p50, p99: g.inputAckRttMs.p99, p999: g.inputAckRttMs.p999 } : null,
        snapshotsPerClientPerSecond: g.snapshotsPerClientPerSecond,
        bytesPerClientPerSecond: g.bytesPerClientPerSecond,
        samples: g.updateLatencyMs.samples,
      }
    : null;

/** Start the bots CLI in a child process (pinned with --cpu when `cpu` is set; inside `place`'s namespace), resolve with its JSON report line. */
export const runBots = (
  ctx: SuiteContext,
  args: string[],
  fdLimit: number | null,
  place: NetPlacement = LOOPBACK,
  onSpawn?: (pid: number) => void,
): Promise<{ code: number | null; out: string }> => {
  const prof = process.env.WT_NET_BOTS_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.WT_NET_BOTS_PROF] : [];
  const node = [process.execPath, ...prof, '--import', 'tsx', 'src/bots/main.ts', ...args];
  const [cmd, ...argv] = inNetns(place, fdLimit ? ['bash', '-c', `ulimit -n ${fdLimit} && exec "$0" "$@"`, ...node] : node);
  const child = spawn(cmd!, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  // `ip netns exec` and `bash -c 'exec ...'` exec in place: this pid is the bots' node process.
  if (child.pid !== undefined) onSpawn?.(child.pid);
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    for (const l of d.split('\n')) if (l.trim() && !l.includes('joined')) ctx.log(`  ${l}`);
  });
  return new Promise((r) => child.on('exit', (code) => r({ code, out })));
};

/**
 * Where the active players' update latency goes, side by side (docs/BOTS.md "Server vs bots"):
 * the bots' figure (receive − send time), the server's part (phase start → last active player
 * sent), the bots' receive-side lag (lateness of a 1 ms timer in the bots process: how long a
 * readable frame can wait behind the bots' other work) and both processes' CPU (% of their one
 * core). Bots near 100 % of their core means the load generator, not the server, sets the tail.
 * Logged as one `split:` line with the load average.
 */
export const latencySplit = (
  ctx: SuiteContext,
  r: BotReport,
  serverActiveSentMs: { p50: number; p99: number },
  serverCpuPercent: number,
  fullEvery: number,
) => {
  const act = r.groups?.activePlayers?.updateLatencyMs ?? null;
  const eld = r.eventLoopDelayMs;
  const split = {
    activePlayersUpdateMs: act ? { p50: act.p50, p99: act.p99 } : null,
    serverActiveSentMs,
    botsEventLoopDelayMs: eld ? { p50: eld.p50, p99: eld.p99, p999: eld.p999, max: eld.max } : null,
    serverCpuPercent,
    botsCpuPercent: r.botsCpuPercent,
    botsCpuUserPercent: r.botsCpuUserPercent ?? null,
    botsCpuUsPerSnapshot: r.botsCpuUsPerSnapshot ?? null,
    botsCpuUserUsPerSnapshot: r.botsCpuUserUsPerSnapshot ?? null,
    botsTransport: r.transport ?? null,
    fullEvery,
  };
  const u = act ?? r.updateLatencyMs;
  ctx.log(
    `  split: ${act ? 'active players' : 'all'} update p50/p99 ${u.p50}/${u.p99} ms; server activeSent p50/p99 ${serverActiveSentMs.p50}/${serverActiveSentMs.p99} ms; ` +
      `bots event-loop delay p50/p99/max ${eld ? `${eld.p50}/${eld.p99}/${eld.max}` : 'n/a'} ms; bots CPU ${r.botsCpuPercent}% ` +
      `(user ${split.botsCpuUserPercent ?? 'n/a'}%; ${split.botsCpuUsPerSnapshot ?? 'n/a'} µs/snapshot, user ${split.botsCpuUserUsPerSnapshot ?? 'n/a'}; ${r.transport ?? 'ws'}); ` +
      `server CPU ${serverCpuPercent}%; load ${load().join(' ')}`,
  );
  return split;
};
