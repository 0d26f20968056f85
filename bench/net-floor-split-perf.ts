/**
 * `WT_FLOOR_PERF=1` for bench/net-floor-split.ts: a kernel call-chain profile of the server
 * process during one run of a configuration (`perf record -e cpu-clock -g -p PID`, perf itself on
 * CPU 1), each sample classified by the kernel functions on its stack:
 *
 *   rx      loopback's receive processing run in the sender's context: net_rx_action,
 *           process_backlog, __netif_receive_skb*, ip_rcv, tcp_v4_rcv (it runs inside
 *           tcp_sendmsg → __dev_queue_xmit → local_bh_enable → do_softirq, so it is tested first)
 *   tx      the rest of the send syscall (tcp_sendmsg, IP output, loopback xmit, syscall entry/exit)
 *   kOther  other kernel samples (timers, scheduling, page faults, ...)
 *   user    samples with no kernel frame on top (uWS, V8, the loop)
 *
 * and, overlapping rx, `wakeup` (sock_def_readable, ep_poll_callback, __wake_up*, try_to_wake_up)
 * and `ipiSend` (the IPI senders: *send_IPI*, *send_call_func*). Shares are of the run's samples;
 * µs are share × the run's own server CPU per send (the profiler's overhead included). Sampling
 * in a VM without a PMU uses the hrtimer (`cpu-clock`): code with interrupts off is attributed late.
 */
import { execFileSync, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { FloorRun } from './net-floor-split-report.js';

/** One profiled run: samples by class. */
export interface PerfRun {
  cfg: string;
  size: number;
  samples: number;
  counts: Record<string, number>;
  /** The profiled run's server CPU µs per send (perf attached: the sampling's own cost included). */
  serverUsWithPerf: number;
  error?: string;
}

/** Exclusive classes, in the order they are tested within rx (a sample is counted once). */
export const PERF_CLASSES = ['rxWakeup', 'rxAckOut', 'rxAckIn', 'rxData', 'tx', 'kOther', 'user'] as const;

const RX = /^(net_rx_action|process_backlog|__netif_receive_skb|ip_rcv|ip_local_deliver|tcp_v4_rcv)/;
const WAKE = /^(sock_def_readable|ep_poll_callback|__wake_up|try_to_wake_up|ttwu_)/;
const ACK_OUT = /^(__tcp_send_ack|tcp_send_ack|tcp_send_delayed_ack)$/;
const IPI = /send_IPI|send_call_func|x2apic_send/;

/** Class of one sample from its kernel symbols (innermost first); `user` when the top frame is not the kernel's. */
const classOf = (top: boolean, syms: string[]): string => {
  if (!top) return 'user';
  if (syms.some((s) => RX.test(s))) {
    if (syms.some((s) => WAKE.test(s))) return 'rxWakeup';
    if (syms.some((s) => ACK_OUT.test(s))) return 'rxAckOut';
    if (syms.includes('tcp_ack')) return 'rxAckIn';
    return 'rxData';
  }
  return syms.some((s) => s.startsWith('tcp_sendmsg') || s.includes('sendto')) ? 'tx' : 'kOther';
};

/** Classify `perf script` output (samples separated by blank lines; stack lines "addr sym+off (dso)"); `ipiSend` overlaps the classes. */
export const classify = (text: string): { samples: number; counts: Record<string, number> } => {
  const counts: Record<string, number> = { ipiSend: 0 };
  for (const c of PERF_CLASSES) counts[c] = 0;
  let samples = 0;
  for (const block of text.split(/\n\s*\n/)) {
    const frames = block
      .split('\n')
      .map((l) => /^\s*[0-9a-f]+\s+(\S+)\s+\((.*)\)\s*$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null);
    if (!frames.length) continue;
    samples++;
    const syms = frames.filter((m) => (m[2] ?? '').includes('kernel')).map((m) => (m[1] ?? '').replace(/\+0x[0-9a-f]+$/, ''));
    const c = classOf((frames[0]?.[2] ?? '').includes('kernel'), syms);
    counts[c] = (counts[c] ?? 0) + 1;
    if (syms.some((s) => IPI.test(s))) counts.ipiSend = (counts.ipiSend ?? 0) + 1;
  }
  return { samples, counts };
};

/** Profile `pid` (this process) while `run` runs; perf on CPU 1. */
export const perfRun = async (cfg: string, size: number, pid: number, run: () => Promise<FloorRun>): Promise<PerfRun> => {
  const file = `/tmp/wt-floor-split-${pid}-${cfg}.data`;
  const empty = (error: string): PerfRun => ({ cfg, size, samples: 0, counts: {}, serverUsWithPerf: 0, error });
  const perf = spawn(
    'taskset',
    ['-c', '1', 'perf', 'record', '-q', '-e', 'cpu-clock', '-F', String(PERF_HZ), '-g', '-p', String(pid), '-o', file],
    {
      stdio: 'ignore',
    },
  );
  const exited = new Promise<number | null>((r) => perf.on('exit', (code) => r(code)));
  let failed = '';
  perf.on('error', (e) => (failed = e.message));
  try {
    await new Promise((r) => setTimeout(r, 500));
    if (failed || perf.exitCode !== null) return empty(`perf did not start: ${failed || `exit ${perf.exitCode}`}`);
    const r = await run();
    perf.kill('SIGINT');
    await exited;
    const text = execFileSync('perf', ['script', '-i', file, '-F', 'ip,sym,dso'], {
      encoding: 'utf8',
      maxBuffer: 256 << 20,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return { cfg, size, ...classify(text), serverUsWithPerf: Math.round(r.serverUs.total * 100) / 100 };
  } catch (err) {
    return empty(err instanceof Error ? err.message : String(err));
  } finally {
    if (perf.exitCode === null) perf.kill('SIGKILL');
    rmSync(file, { force: true });
  }
};

/** Sampling rate: low enough that the sampling itself does not double the process's CPU. */
const PERF_HZ = 1999;

/**
 * One configuration's profile: samples pooled over its runs; shares, and µs = share × the unprofiled
 * median server CPU per send (ag, cg: plus the gaps' CPU, which the samples include; the gaps are
 * then taken off `user`).
 */
export interface PerfSplit {
  cfg: string;
  size: number;
  runs: number;
  samples: number;
  share: Record<string, number>;
  usPerSend: Record<string, number>;
  /** The unprofiled median server CPU per send the µs are scaled to (gaps excluded). */
  serverUsMedian: number;
  /** ag, cg: the gaps' CPU per send (median), in the samples and taken off `user`. */
  gapUs: number;
  serverUsWithPerf: number[];
  errors: string[];
}

/** Pool the profiled runs per configuration. */
export const perfSummary = (runs: PerfRun[], medianUs: (cfg: string, size: number) => { total: number; gap: number }): PerfSplit[] => {
  const out: PerfSplit[] = [];
  for (const cfg of [...new Set(runs.map((r) => r.cfg))]) {
    const rs = runs.filter((r) => r.cfg === cfg);
    const size = rs[0]?.size ?? 0;
    const samples = rs.reduce((n, r) => n + r.samples, 0);
    const { total: med, gap } = medianUs(cfg, size);
    const share: Record<string, number> = {},
      usPerSend: Record<string, number> = {};
    for (const k of [...PERF_CLASSES, 'ipiSend']) {
      const v = rs.reduce((n, r) => n + (r.counts[k] ?? 0), 0) / Math.max(1, samples);
      share[k] = Math.round(v * 1000) / 1000;
      usPerSend[k] = Math.round((v * (med + gap) - (k === 'user' ? gap : 0)) * 100) / 100;
    }
    const errors = rs.flatMap((r) => (r.error ? [r.error] : []));
    out.push({
      cfg,
      size,
      runs: rs.length,
      samples,
      share,
      usPerSend,
      serverUsMedian: med,
      gapUs: gap,
      serverUsWithPerf: rs.map((r) => r.serverUsWithPerf),
      errors,
    });
  }
  return out;
};

/** Print the pooled profile. */
export const printPerf = (log: (l: string) => void, ps: PerfSplit[]): void => {
  log('');
  log(`Kernel call-chain profile of the server (perf cpu-clock ${PERF_HZ} Hz, -g), samples pooled per configuration;`);
  log("µs = share × the unprofiled median server CPU per send. rx* = loopback receive processing run in the server's");
  log("context (net_rx_action...): rxWakeup = waking the reader, rxAckOut = the receiver's kernel sending ACKs,");
  log('rxAckIn = the server socket taking ACKs (tcp_ack), rxData = the rest (IP/TCP receive of the data, queueing).');
  log('ag, cg: µs = share × (median + gaps), gaps then taken off user. ipiSend overlaps rxWakeup (0 here means: not');
  log('resolvable — the IPI is sent with interrupts off, and cpu-clock samples land after they are back on).');
  log(['cfg', 'size', 'samples', ...PERF_CLASSES.map((c) => c.padStart(9)), 'ipiSend'.padStart(9), 'median'.padStart(7)].join(' '));
  for (const p of ps) {
    if (p.errors.length) log(`  ${p.cfg}: perf errors: ${p.errors.join('; ')}`);
    log(
      [
        p.cfg.padEnd(3),
        String(p.size).padStart(4),
        String(p.samples).padStart(7),
        ...[...PERF_CLASSES, 'ipiSend'].map((c) =>
          `${(p.usPerSend[c] ?? 0).toFixed(2)} ${Math.round((p.share[c] ?? 0) * 100)}%`.padStart(9),
        ),
        p.serverUsMedian.toFixed(2).padStart(7),
      ].join(' '),
    );
  }
};
