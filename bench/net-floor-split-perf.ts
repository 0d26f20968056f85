/**
 * `WT_FLOOR_PERF=1` (or a size) for bench/net-floor-split.ts: call-chain profiles of the server
 * process and of the receivers' process during runs of each configuration (`perf record -e
 * cpu-clock -g -p SERVER,RECEIVERS`, perf itself on CPU 1), each sample classed by the innermost
 * marker function on its kernel stack:
 *
 *   rxWakeup  waking the reader inside receive processing (sock_def_readable, ep_poll_callback,
 *             __wake_up*, try_to_wake_up under net_rx_action...)
 *   rxAckIn   a socket taking an ACK (tcp_ack)
 *   ackOut    sending an ACK (__tcp_send_ack...; tail calls often hide it: then rxData or recv)
 *   rxData    the rest of loopback's receive processing (net_rx_action, process_backlog,
 *             __netif_receive_skb*, ip_rcv, ip_local_deliver*, tcp_v4_rcv). In the server it runs
 *             inside tcp_sendmsg → __dev_queue_xmit → local_bh_enable → do_softirq
 *   tx        the rest of the send syscall (tcp_sendmsg, sendto)
 *   recv      the read syscall (tcp_recvmsg, recvfrom, read)
 *   kOther    other kernel samples (epoll, scheduling, timers, page faults, ...)
 *   user      no kernel frame on top (uWS, V8, the loop)
 *
 * `ipiSend` (the IPI senders) overlaps them. Shares are of a process's samples; µs are share × its
 * unprofiled median (server CPU per send, receivers CPU per frame), so the profiler's own cost is
 * left out. Sampling in a VM without a PMU uses the hrtimer (`cpu-clock`): code with interrupts off
 * is attributed when they come back on.
 */
import { execFileSync, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { FloorRun } from './net-floor-split-report.js';

/** Samples by class of one process in one profiled run. */
export interface PerfCounts {
  samples: number;
  counts: Record<string, number>;
}

/** One profiled run: the server's samples and the receivers'. */
export interface PerfRun extends PerfCounts {
  cfg: string;
  size: number;
  receivers: PerfCounts;
  /** The profiled run's server CPU µs per send (perf attached: the sampling's own cost included). */
  serverUsWithPerf: number;
  error?: string;
}

/** Exclusive classes (a sample is counted once: the innermost marker on its stack decides). */
export const PERF_CLASSES = ['rxWakeup', 'rxAckIn', 'ackOut', 'rxData', 'tx', 'recv', 'kOther', 'user'] as const;

const RX = /^(net_rx_action|process_backlog|__netif_receive_skb|ip_rcv|ip_local_deliver|tcp_v4_rcv)/;
const WAKE = /^(sock_def_readable|ep_poll_callback|__wake_up|try_to_wake_up|ttwu_)/;
const ACK_OUT = /^(__tcp_send_ack|tcp_send_ack|tcp_send_delayed_ack)$/;
const TX = /^(tcp_sendmsg|__sys_sendto|__x64_sys_sendto)/;
const RECV = /^(tcp_recvmsg|__sys_recvfrom|__x64_sys_recvfrom|ksys_read|vfs_read|sock_read_iter)/;
const IPI = /send_IPI|send_call_func|x2apic_send/;

/** Class of one sample from its kernel symbols (innermost first); `user` when the top frame is not the kernel's. */
const classOf = (top: boolean, syms: string[]): string => {
  if (!top) return 'user';
  const underRx = syms.some((s) => RX.test(s));
  for (const s of syms) {
    if (s === 'tcp_ack') return 'rxAckIn';
    if (underRx && WAKE.test(s)) return 'rxWakeup';
    if (ACK_OUT.test(s)) return 'ackOut';
    if (RX.test(s)) return 'rxData';
    if (TX.test(s)) return 'tx';
    if (RECV.test(s)) return 'recv';
  }
  return 'kOther';
};

/**
 * Classify `perf script -F pid,ip,sym,dso` output per process id: samples are blocks separated by
 * blank lines, a header line with the pid, then stack lines "addr sym+off (dso)", innermost first.
 * `ipiSend` overlaps the classes.
 */
export const classify = (text: string): Map<number, PerfCounts> => {
  const out = new Map<number, PerfCounts>();
  for (const block of text.split(/\n\s*\n/)) {
    const ls = block.split('\n').filter((l) => l.trim() !== '');
    const pid = Number(ls[0]?.trim().split(/\s+/)[0]);
    const frames = ls
      .slice(1)
      .map((l) => /^\s*[0-9a-f]+\s+(\S+)\s+\((.*)\)\s*$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null);
    if (!frames.length || !Number.isInteger(pid)) continue;
    let pc = out.get(pid);
    if (!pc) {
      pc = { samples: 0, counts: { ipiSend: 0 } };
      for (const c of PERF_CLASSES) pc.counts[c] = 0;
      out.set(pid, pc);
    }
    pc.samples++;
    const syms = frames.filter((m) => (m[2] ?? '').includes('kernel')).map((m) => (m[1] ?? '').replace(/\+0x[0-9a-f]+$/, ''));
    const c = classOf((frames[0]?.[2] ?? '').includes('kernel'), syms);
    pc.counts[c] = (pc.counts[c] ?? 0) + 1;
    if (syms.some((x) => IPI.test(x))) pc.counts.ipiSend = (pc.counts.ipiSend ?? 0) + 1;
  }
  return out;
};

/** Profile the server (`pid`, this process) and the receivers (`rxPid`) while `run` runs; perf on CPU 1. */
export const perfRun = async (cfg: string, size: number, pid: number, rxPid: number, run: () => Promise<FloorRun>): Promise<PerfRun> => {
  const file = `/tmp/wt-floor-split-${pid}-${cfg}.data`;
  const none: PerfCounts = { samples: 0, counts: {} };
  const empty = (error: string): PerfRun => ({ cfg, size, ...none, receivers: none, serverUsWithPerf: 0, error });
  const perf = spawn(
    'taskset',
    ['-c', '1', 'perf', 'record', '-q', '-e', 'cpu-clock', '-F', String(PERF_HZ), '-g', '-p', `${pid},${rxPid}`, '-o', file],
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
    const text = execFileSync('perf', ['script', '-i', file, '-F', 'pid,ip,sym,dso'], {
      encoding: 'utf8',
      maxBuffer: 256 << 20,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const byPid = classify(text);
    return {
      cfg,
      size,
      ...(byPid.get(pid) ?? none),
      receivers: byPid.get(rxPid) ?? none,
      serverUsWithPerf: Math.round(r.serverUs.total * 100) / 100,
    };
  } catch (err) {
    return empty(err instanceof Error ? err.message : String(err));
  } finally {
    if (perf.exitCode === null) perf.kill('SIGKILL');
    rmSync(file, { force: true });
  }
};

/** Sampling rate: low enough that the sampling itself does not double the process's CPU. */
const PERF_HZ = 1999;

/** A process's pooled samples: shares of its samples and µs = share × its unprofiled median CPU. */
export interface PerfShares {
  samples: number;
  share: Record<string, number>;
  us: Record<string, number>;
  /** The unprofiled median the µs are scaled to: server CPU per send (gaps excluded), receivers CPU per frame. */
  medianUs: number;
}

/** One configuration's profile, samples pooled over its runs. */
export interface PerfSplit {
  cfg: string;
  size: number;
  runs: number;
  server: PerfShares;
  receivers: PerfShares;
  /** ag, cg: the gaps' CPU per send (median): in the server's samples, so the scale is median + gaps and `user` loses the gaps. */
  gapUs: number;
  serverUsWithPerf: number[];
  errors: string[];
}

const pool = (cs: PerfCounts[], med: number, gap: number): PerfShares => {
  const samples = cs.reduce((n, c) => n + c.samples, 0);
  const share: Record<string, number> = {},
    us: Record<string, number> = {};
  for (const k of [...PERF_CLASSES, 'ipiSend']) {
    const v = cs.reduce((n, c) => n + (c.counts[k] ?? 0), 0) / Math.max(1, samples);
    share[k] = Math.round(v * 1000) / 1000;
    us[k] = Math.round((v * (med + gap) - (k === 'user' ? gap : 0)) * 100) / 100;
  }
  return { samples, share, us, medianUs: med };
};

/** Pool the profiled runs per configuration; `median` gives the unprofiled medians (server µs per send, its gaps, receivers µs per frame). */
export const perfSummary = (
  runs: PerfRun[],
  median: (cfg: string, size: number) => { server: number; gap: number; rx: number },
): PerfSplit[] =>
  [...new Set(runs.map((r) => r.cfg))].map((cfg) => {
    const rs = runs.filter((r) => r.cfg === cfg);
    const size = rs[0]?.size ?? 0;
    const m = median(cfg, size);
    return {
      cfg,
      size,
      runs: rs.length,
      server: pool(rs, m.server, m.gap),
      receivers: pool(
        rs.map((r) => r.receivers),
        m.rx,
        0,
      ),
      gapUs: m.gap,
      serverUsWithPerf: rs.map((r) => r.serverUsWithPerf),
      errors: rs.flatMap((r) => (r.error ? [r.error] : [])),
    };
  });

/** Print the pooled profiles: the server's, then the receivers'. */
export const printPerf = (log: (l: string) => void, ps: PerfSplit[]): void => {
  log('');
  log(`Call-chain profiles (perf cpu-clock ${PERF_HZ} Hz, -g), samples pooled per configuration; each class as µs (share of`);
  log("the process's samples × its unprofiled median CPU) and %. The innermost marker on a sample's stack decides its class:");
  log('rxWakeup = waking the reader inside loopback receive processing (net_rx_action → ... → sock_def_readable/ep_poll_callback/');
  log('try_to_wake_up); rxAckIn = a socket taking an ACK (tcp_ack); ackOut = sending an ACK; rxData = the rest of receive');
  log('processing; tx = the send syscall; recv = the read syscall; kOther = other kernel; user = no kernel frame on top.');
  log('ag, cg: server µs = share × (median + gaps), gaps then taken off user. ipiSend overlaps the classes (0 means not');
  log('resolvable: the IPI is sent with interrupts off, and cpu-clock samples land after they are back on).');
  const head = [
    'process  ',
    'cfg',
    'size',
    'samples',
    ...PERF_CLASSES.map((c) => c.padStart(10)),
    'ipiSend'.padStart(10),
    'median'.padStart(7),
  ];
  log(head.join(' '));
  for (const who of ['server', 'receivers'] as const)
    for (const p of ps) {
      if (who === 'server' && p.errors.length) log(`  ${p.cfg}: perf errors: ${p.errors.join('; ')}`);
      const x = p[who];
      log(
        [
          who.padEnd(9),
          p.cfg.padEnd(3),
          String(p.size).padStart(4),
          String(x.samples).padStart(7),
          ...[...PERF_CLASSES, 'ipiSend'].map((c) => `${(x.us[c] ?? 0).toFixed(2)} ${Math.round((x.share[c] ?? 0) * 100)}%`.padStart(10)),
          x.medianUs.toFixed(2).padStart(7),
        ].join(' '),
      );
    }
};
