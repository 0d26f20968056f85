/**
 * bench/net-floor-split.ts's figures: one run's record, the medians per (size, configuration)
 * over the repetitions with every value kept, and the console table.
 */
import { median } from './net-bots-proc.js';
import type { NetPlacement } from './net-netns.js';

/** The script's options (validated env, bench/net-floor-split.ts `readFloorOptions`). */
export interface FloorOptions {
  /** Where the receivers run: loopback, or a network namespace behind a veth pair (WT_NET_NETNS). */
  place: NetPlacement;
  /** Sockets (K). */
  sockets: number;
  /** Rounds per run (R), 50 ms apart. */
  rounds: number;
  /** Repetitions of every configuration, interleaved. */
  reps: number;
  /** Frame payload sizes, bytes. */
  sizes: number[];
  /** Payload size of the call-chain profile (perf) of a, b, c (ag, cg at their own size); 0: no profile. */
  perfSize: number;
  /** µs of CPU work between two sends in ag / cg (0: those configurations are skipped). */
  gapUs: number;
}

/** Per-CPU /proc/stat deltas, µs per send (tick-sampled: USER_HZ 10 ms units, 4 ms ticks at HZ 250). */
export interface CpuLine {
  user: number;
  system: number;
  idle: number;
  irq: number;
  softirq: number;
  steal: number;
}

/** One configuration run (R rounds to K sockets). Per-send figures unless named otherwise. */
export interface FloorRun {
  /** a, b, c, ag, cg (module doc of bench/net-floor-split.ts) or idle: the same window with nothing sent (size 0). */
  cfg: 'a' | 'b' | 'c' | 'ag' | 'cg' | 'idle';
  size: number;
  rep: number;
  sends: number;
  /** `ws.send` results other than 1 (must be 0: nothing blocked). */
  backpressured: number;
  /** Frames the receivers counted for this run (must equal `sends`). */
  delivered: number;
  /**
   * Server process CPU inside the send loops (user, system, total), wall time inside them, process
   * CPU over the whole window (rounds + 50 ms), and (ag, cg) the CPU of the gaps timed alone, which
   * user, total and wall already exclude; µs per send.
   */
  serverUs: { user: number; system: number; total: number; wall: number; window: number; gap: number };
  /** Server context switches per send over the window. */
  serverCtxSwitches: { voluntary: number; involuntary: number };
  cpu0: CpuLine;
  cpu1: CpuLine;
  /** /proc/interrupts IPI lines: per-CPU deltas per send ([cpu0, cpu1]; an IPI is counted on the CPU that receives it). */
  ipis: Record<string, number[]>;
  /** TcpExt counter deltas over the window (absolute, not per send). */
  tcp: Record<string, number>;
  /** Receivers' process CPU per frame received, µs (in b: the backlog read after SIGCONT). */
  receiverCpuUsPerFrame: number;
  /** Receivers' voluntary context switches per send (each sleep ends with a wakeup; in b they include the stop). */
  receiverSleepsPerSend: number;
  /** Payload bytes per send (0 for idle). */
  sentBytes: number;
}

const r3 = (v: number): number => Math.round(v * 1000) / 1000;

/** Figures of one (size, cfg) cell: median of each, and every value in run order. */
export interface FloorCell {
  size: number;
  cfg: string;
  runs: number;
  median: Record<string, number>;
  values: Record<string, number[]>;
}

/** The per-send figures of a run, flat (the table's and the summary's columns). */
const flat = (r: FloorRun): Record<string, number> => {
  const f: Record<string, number> = {
    srvTotal: r.serverUs.total,
    srvUser: r.serverUs.user,
    srvSystem: r.serverUs.system,
    srvWall: r.serverUs.wall,
    srvWindow: r.serverUs.window,
    srvGap: r.serverUs.gap,
    srvInvolCtx: r.serverCtxSwitches.involuntary,
    cpu0User: r.cpu0.user,
    cpu0System: r.cpu0.system,
    cpu0Softirq: r.cpu0.softirq,
    cpu0Irq: r.cpu0.irq,
    cpu0Steal: r.cpu0.steal,
    cpu1User: r.cpu1.user,
    cpu1System: r.cpu1.system,
    cpu1Softirq: r.cpu1.softirq,
    rxUsPerFrame: r.receiverCpuUsPerFrame,
    rxSleeps: r.receiverSleepsPerSend,
  };
  for (const [n, v] of Object.entries(r.ipis)) {
    f[`ipi${n}cpu0`] = v[0] ?? 0;
    f[`ipi${n}cpu1`] = v[1] ?? 0;
  }
  return f;
};

/** Medians per (size, cfg) over the repetitions, with all values. */
export const summarize = (runs: FloorRun[]): FloorCell[] => {
  const cells = new Map<string, FloorRun[]>();
  for (const r of runs) {
    const k = `${r.size}/${r.cfg}`;
    cells.set(k, [...(cells.get(k) ?? []), r]);
  }
  const out: FloorCell[] = [];
  for (const rs of cells.values()) {
    const values: Record<string, number[]> = {};
    for (const r of rs) for (const [k, v] of Object.entries(flat(r))) (values[k] ??= []).push(r3(v));
    const med: Record<string, number> = {};
    for (const [k, v] of Object.entries(values)) med[k] = r3(median(v));
    out.push({ size: rs[0]?.size ?? 0, cfg: rs[0]?.cfg ?? '', runs: rs.length, median: med, values });
  }
  return out;
};

const COLS: Array<[string, string, number]> = [
  ['srvTotal', 'srv CPU', 2],
  ['srvUser', 'user', 2],
  ['srvSystem', 'sys', 2],
  ['srvWall', 'wall', 2],
  ['cpu0System', 'cpu0 sys', 2],
  ['cpu0Softirq', 'cpu0 sirq', 2],
  ['cpu0User', 'cpu0 usr', 2],
  ['cpu1System', 'cpu1 sys', 2],
  ['cpu1Softirq', 'cpu1 sirq', 2],
  ['ipiCALcpu1', 'CAL→1', 3],
  ['ipiREScpu1', 'RES→1', 3],
  ['ipiCALcpu0', 'CAL→0', 3],
  ['ipiREScpu0', 'RES→0', 3],
  ['srvInvolCtx', 'srv inv.cs', 3],
  ['rxSleeps', 'rx sleeps', 3],
  ['rxUsPerFrame', 'rx CPU/fr', 2],
];

const CFG_NAME: Record<string, string> = {
  a: 'a rx CPU1 reading',
  b: 'b rx CPU1 stopped',
  c: 'c rx CPU0 (same)',
  ag: 'ag a + gaps',
  cg: 'cg c + gaps',
  idle: 'idle (no sends)',
};

/** Print the medians as a table (µs per send; IPIs and context switches per send), then b−a and c−a per size. */
export const printTable = (log: (l: string) => void, cells: FloorCell[], o: FloorOptions): void => {
  log('');
  log(`Medians of ${o.reps} interleaved runs; ${o.sockets} sockets × ${o.rounds} rounds per run. µs per socket-send unless noted.`);
  log('srv = server process (process.cpuUsage inside the send loops); cpuN = /proc/stat deltas (tick-sampled) over the');
  log('window; CAL→1 / RES→1 = function-call / reschedule IPIs received by CPU1 per send; srv inv.cs = involuntary');
  log('context switches of the server per send; rx sleeps = voluntary context switches of the receivers per send (each');
  log('ends with a wakeup); rx CPU/fr = receivers process CPU µs per frame.');
  const head = ['size B', 'configuration'.padEnd(18), ...COLS.map(([, h]) => h.padStart(9))].join(' ');
  log(head);
  log('-'.repeat(head.length));
  const sizes = [...new Set(cells.map((c) => c.size))];
  for (const size of sizes) {
    for (const c of cells.filter((x) => x.size === size))
      log(
        [
          String(size).padStart(6),
          (CFG_NAME[c.cfg] ?? c.cfg).padEnd(18),
          ...COLS.map(([k, , d]) => (c.median[k] ?? NaN).toFixed(d).padStart(9)),
        ].join(' '),
      );
    const a = cells.find((x) => x.size === size && x.cfg === 'a')?.median;
    const diffs = ['b', 'c', 'ag', 'cg']
      .map((cfg) => {
        const m = cells.find((x) => x.size === size && x.cfg === cfg)?.median;
        if (!a || !m) return '';
        const d = (m.srvTotal ?? 0) - (a.srvTotal ?? 0);
        return `${cfg}−a ${d >= 0 ? '+' : ''}${d.toFixed(2)} µs (${(((m.srvTotal ?? 0) / (a.srvTotal || 1)) * 100).toFixed(0)} % of a)`;
      })
      .filter(Boolean);
    if (diffs.length) log(`${''.padStart(6)} server CPU per send: ${diffs.join('; ')}`);
  }
  log('');
  log('All values (server CPU µs per send, run order):');
  for (const c of cells) log(`  ${String(c.size).padStart(5)} B ${c.cfg}: ${(c.values.srvTotal ?? []).map((v) => v.toFixed(2)).join(' ')}`);
};
