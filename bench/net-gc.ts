/**
 * Garbage-collection pauses of the server process over a `net` run's measured window (bench/net-e2e.ts):
 * V8's collections as `perf_hooks` reports them (each with its start and duration, on the thread that
 * steps the worlds), and how much of the window's longest step they took, with that step's phases and
 * its replicate phase's CPU — the questions a step far above its neighbours raises (docs/NET-SCALE.md
 * "The longest steps at 5,000 sessions"). And every recorded step's cost per snapshot, with the CPU
 * of the process's threads (`stepCost`; docs/NET-SCALE.md "What the longest steps are made of").
 *
 * `WT_NET_PROBES=1` also times fixed machine probes after every step (≈ 0.7 ms of the server's core
 * per step, and a 64 MiB buffer in its RSS: off by default, so the suite's figures do not carry them).
 * `WT_NET_STEPS_DUMP=<file>` writes every step's figures and the window's collections.
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { PHASES } from '../src/core/phases.js';
import { chase, fillXorshift, xorshiftRounds } from './probe-loops.js';

/** What a step's anatomy reads of the world just stepped (a served world of bench/net-e2e.ts). */
interface SteppedWorld {
  stats: { totalMs: number; phaseMs: ArrayLike<number> };
  controller: { mode: string; cpuShare: number };
  net?: {
    stats: {
      lastReplicateMs: number;
      lastReplicateCpuMs: number;
      lastSendMs: number;
      snapshotBytes: number;
      sentBuffered: number;
      ladder: { activeSpread: number; overload: number; activeUsPerSnapshot: number; down: number };
    };
  } | null;
}

/**
 * One recorded step's replicate phase per snapshot: where a step that costs more per snapshot than
 * its neighbours spends it — encoding (more changes to write) or the sends (clients behind: on
 * loopback a send runs the receiver's TCP path, and into a non-empty socket uWS copies the frame).
 */
interface StepCost {
  /** Recorded steps before this one in the window (0: the window's first). */
  index: number;
  ms: number;
  snapshots: number;
  /** Wall µs per snapshot: the whole phase, inside the sends, the rest (priorities, encode). */
  wallUs: number;
  sendUs: number;
  encodeUs: number;
  /** Process CPU µs per snapshot of the phase. */
  cpuUs: number;
  bytesPerSnapshot: number;
  /** Share of the step's snapshots sent into a socket still holding an earlier frame's bytes. */
  sentBufferedShare: number;
  /** Sessions stepped down their quality ladder in this step. */
  ladderDown: number;
  /**
   * With `WT_NET_PROBES=1` (else 0): µs of fixed probes run right after the step (outside it) —
   * a dependent chain of integer arithmetic, 1,000 dependent random reads over a 64 MiB buffer
   * (memory latency) and 2,000 over 8 MiB of it (fits the shared L3 when nothing else uses it).
   * Slower probes in a slow step mean the machine ran slower then, not that the step did more; all
   * three are latency-bound (bench/host-probe.ts has throughput-bound ones).
   */
  probeCpuUs: number;
  probeMemUs: number;
  probeL3Us: number;
  /**
   * CPU ms of the process's threads over the loop interval ending with this step (the step, then
   * socket I/O and timers until the next): the main thread, every other thread, and the busiest
   * other by name. The server is pinned to one core, so another thread's CPU is time the main
   * thread waited — and `process.cpuUsage` counts it in the phase's CPU too.
   */
  mainMs: number;
  otherMs: number;
  otherTop: string;
}

/** Per-thread CPU time from /proc (schedstat's first field: ns on a CPU), read through kept descriptors. */
const threadClock = () => {
  const buf = Buffer.alloc(64);
  let threads: Array<{ tid: string; name: string; fd: number; ns: number }> = [];
  const read = (fd: number): number => {
    const n = readSync(fd, buf, 0, 64, 0);
    const sp = buf.indexOf(32);
    return Number(buf.toString('latin1', 0, sp > 0 && sp < n ? sp : n));
  };
  const refresh = (): void => {
    const known = new Map(threads.map((t) => [t.tid, t]));
    const next: typeof threads = [];
    for (const tid of readdirSync('/proc/self/task')) {
      const had = known.get(tid);
      if (had) {
        next.push(had);
        known.delete(tid);
        continue;
      }
      try {
        const fd = openSync(`/proc/self/task/${tid}/schedstat`, 'r');
        const name = readFileSync(`/proc/self/task/${tid}/comm`, 'latin1').trim();
        next.push({ tid, name, fd, ns: read(fd) });
      } catch {
        // the thread ended between the listing and the open
      }
    }
    for (const t of known.values()) closeSync(t.fd);
    threads = next;
  };
  let calls = 0;
  const mainTid = String(process.pid);
  return {
    /** CPU ms of each thread since the last call: the main thread's, the rest's, and the busiest other. */
    sample(): { mainMs: number; otherMs: number; otherTop: string } {
      if (calls++ % 100 === 0) refresh();
      let mainMs = 0,
        otherMs = 0,
        top = { name: '', ms: 0 };
      for (const t of threads) {
        let ns = t.ns;
        try {
          ns = read(t.fd);
        } catch {
          // ended: counts nothing more
        }
        const ms = (ns - t.ns) / 1e6;
        t.ns = ns;
        if (t.tid === mainTid) mainMs = ms;
        else {
          otherMs += ms;
          if (ms > top.ms) top = { name: t.name, ms };
        }
      }
      return { mainMs, otherMs, otherTop: top.ms > 0 ? `${top.name} ${r2(top.ms)}` : '' };
    },
  };
};

/** The memory probes' buffer: filled at `gcWatch()` with `WT_NET_PROBES=1` (before the server starts, so it is in every RSS figure alike). */
let PROBE_MEM = new Int32Array(0);
let probeSink = 0;
/** µs of the fixed probes (see StepCost); zeros without `WT_NET_PROBES=1`. */
const probeMachine = (): { cpuUs: number; memUs: number; l3Us: number } => {
  if (PROBE_MEM.length === 0) return { cpuUs: 0, memUs: 0, l3Us: 0 };
  const t0 = performance.now();
  const x = xorshiftRounds(20_000);
  const t1 = performance.now();
  probeSink += chase(PROBE_MEM, 0xffffff, 1_000);
  const t2 = performance.now();
  probeSink += chase(PROBE_MEM, 0x1fffff, 2_000) + x;
  const t3 = performance.now();
  return { cpuUs: (t1 - t0) * 1000, memUs: (t2 - t1) * 1000, l3Us: (t3 - t2) * 1000 };
};

const KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

const r2 = (n: number): number => Math.round(n * 100) / 100;

export const gcWatch = () => {
  if (process.env.WT_NET_PROBES === '1' && PROBE_MEM.length === 0) {
    PROBE_MEM = new Int32Array(16 * 1024 * 1024);
    fillXorshift(PROBE_MEM, 88172645);
  }
  const entries: Array<{ start: number; ms: number; kind: string }> = [];
  let recording = false;
  let longest = { start: 0, end: 0, ms: -1, detail: {} as Record<string, unknown> };
  /** The step before's spread, controller mode and overload stage (shown next to the longest step's own). */
  let prev = { spread: 1, mode: '', overload: -1 };
  /** Every recorded step's cost per snapshot, and the counters it is taken from. */
  const costs: Array<StepCost & { at: number }> = [];
  const clock = threadClock();
  /** The counters at the step before (null until the first recorded step: its deltas would span the ramp). */
  let last: { bytes: number; buffered: number; down: number } | null = null;
  const obs = new PerformanceObserver((list) => {
    if (!recording) return;
    for (const e of list.getEntries() as Array<PerformanceEntry & { detail?: { kind?: number } }>)
      entries.push({ start: e.startTime, ms: e.duration, kind: KINDS[e.detail?.kind ?? -1] ?? 'other' });
  });
  obs.observe({ entryTypes: ['gc'] });
  return {
    /** Start or stop taking collections (the measured window). */
    record(on: boolean): void {
      recording = on;
    },
    /** A recorded step of `w` that just ended, `snapshots` sent in it: kept with its anatomy if it is the longest so far. */
    step(w: SteppedWorld, snapshots: number): void {
      const st = w.net?.stats;
      if (st) {
        const now = { bytes: st.snapshotBytes, buffered: st.sentBuffered, down: st.ladder.down };
        const threads = clock.sample();
        if (snapshots > 0 && last !== null) {
          const probe = probeMachine();
          costs.push({
            index: costs.length,
            at: performance.now(),
            ms: w.stats.totalMs,
            snapshots,
            wallUs: (st.lastReplicateMs * 1000) / snapshots,
            sendUs: (st.lastSendMs * 1000) / snapshots,
            encodeUs: ((st.lastReplicateMs - st.lastSendMs) * 1000) / snapshots,
            cpuUs: (st.lastReplicateCpuMs * 1000) / snapshots,
            bytesPerSnapshot: (now.bytes - last.bytes) / snapshots,
            sentBufferedShare: (now.buffered - last.buffered) / snapshots,
            ladderDown: now.down - last.down,
            probeCpuUs: probe.cpuUs,
            probeMemUs: probe.memUs,
            probeL3Us: probe.l3Us,
            ...threads,
          });
        }
        last = now;
      }
      const lad = st?.ladder;
      const now = { spread: lad?.activeSpread ?? 1, mode: w.controller.mode, overload: lad?.overload ?? -1 };
      const ms = w.stats.totalMs;
      if (ms > longest.ms) {
        const end = performance.now();
        const detail = {
          phaseMs: Object.fromEntries(PHASES.map((p, i) => [p, r2(w.stats.phaseMs[i] ?? 0)])),
          replicateCpuMs: r2(w.net?.stats.lastReplicateCpuMs ?? 0),
          snapshots,
          // [the step before, this step]
          activeSpread: [prev.spread, now.spread],
          mode: [prev.mode, now.mode],
          overload: [prev.overload, now.overload],
          cpuShare: r2(w.controller.cpuShare),
          activeUsPerSnapshot: r2(lad?.activeUsPerSnapshot ?? 0),
        };
        longest = { start: end - ms, end, ms, detail };
      }
      prev = now;
    },
    /** The window's collections by kind, their longest, and the ms of collection inside the longest step. */
    figures() {
      obs.disconnect();
      const byKind: Record<string, { count: number; totalMs: number; maxMs: number }> = {};
      for (const e of entries) {
        const k = (byKind[e.kind] ??= { count: 0, totalMs: 0, maxMs: 0 });
        k.count++;
        k.totalMs = r2(k.totalMs + e.ms);
        k.maxMs = r2(Math.max(k.maxMs, e.ms));
      }
      const inLongest = entries.reduce(
        (s, e) => s + Math.max(0, Math.min(e.start + e.ms, longest.end) - Math.max(e.start, longest.start)),
        0,
      );
      return {
        byKind,
        maxMs: r2(entries.reduce((m, e) => Math.max(m, e.ms), 0)),
        longestStepMs: r2(longest.ms),
        gcMsInLongestStep: r2(inLongest),
        longestStep: longest.detail,
        stepCost: stepCosts(costs, entries),
      };
    },
  };
};

const median = (xs: number[]): number => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};
const rounded = (c: StepCost): StepCost => ({
  index: c.index,
  ms: r2(c.ms),
  snapshots: c.snapshots,
  wallUs: r2(c.wallUs),
  sendUs: r2(c.sendUs),
  encodeUs: r2(c.encodeUs),
  cpuUs: r2(c.cpuUs),
  bytesPerSnapshot: Math.round(c.bytesPerSnapshot),
  sentBufferedShare: r2(c.sentBufferedShare),
  ladderDown: c.ladderDown,
  probeCpuUs: r2(c.probeCpuUs),
  probeMemUs: r2(c.probeMemUs),
  probeL3Us: r2(c.probeL3Us),
  mainMs: r2(c.mainMs),
  otherMs: r2(c.otherMs),
  otherTop: c.otherTop,
});

/**
 * The window's median step (each field's median over the steps) next to its five longest steps,
 * each split per snapshot into send and encode wall time, with its bytes and its sends into
 * non-empty sockets: whether the longest steps write more, or send into clients that fell behind.
 */
const stepCosts = (costs: Array<StepCost & { at?: number }>, gcEntries: unknown[]) => {
  const field = (k: Exclude<keyof StepCost, 'otherTop'>) => median(costs.map((c) => c[k]));
  const med: StepCost = {
    index: -1,
    ms: field('ms'),
    snapshots: field('snapshots'),
    wallUs: field('wallUs'),
    sendUs: field('sendUs'),
    encodeUs: field('encodeUs'),
    cpuUs: field('cpuUs'),
    bytesPerSnapshot: field('bytesPerSnapshot'),
    sentBufferedShare: field('sentBufferedShare'),
    ladderDown: field('ladderDown'),
    probeCpuUs: field('probeCpuUs'),
    probeMemUs: field('probeMemUs'),
    probeL3Us: field('probeL3Us'),
    mainMs: field('mainMs'),
    otherMs: field('otherMs'),
    otherTop: '',
  };
  const longest = [...costs].sort((a, b) => b.ms - a.ms).slice(0, 5);
  // Every step's figures, for a look at their sequence (not part of the results).
  const dump = process.env.WT_NET_STEPS_DUMP;
  if (dump) writeFileSync(dump, JSON.stringify({ steps: costs.map((c) => ({ ...rounded(c), at: r2(c.at ?? 0) })), gc: gcEntries }));
  return {
    steps: costs.length,
    /** CPU ms of the threads other than the main one over the whole window. */
    otherMs: r2(costs.reduce((a, c) => a + c.otherMs, 0)),
    median: rounded(med),
    longest: longest.map(rounded),
    probeSink: probeSink & 1,
  };
};
