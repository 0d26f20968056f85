/**
 * Garbage-collection pauses of the server process over a `net` run's measured window (bench/net-e2e.ts):
 * V8's collections as `perf_hooks` reports them (each with its start and duration, on the thread that
 * steps the worlds), and how much of the window's longest step they took, with that step's phases and
 * its replicate phase's CPU — the questions a step far above its neighbours raises (docs/NET-SCALE.md
 * "The longest steps at 5,000 sessions").
 */
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { PHASES } from '../src/core/phases.js';

/** What a step's anatomy reads of the world just stepped (a served world of bench/net-e2e.ts). */
interface SteppedWorld {
  stats: { totalMs: number; phaseMs: ArrayLike<number> };
  controller: { mode: string; cpuShare: number };
  net?: { stats: { lastReplicateCpuMs: number; ladder: { activeSpread: number; overload: number; activeUsPerSnapshot: number } } } | null;
}

const KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

const r2 = (n: number): number => Math.round(n * 100) / 100;

export const gcWatch = () => {
  const entries: Array<{ start: number; ms: number; kind: string }> = [];
  let recording = false;
  let longest = { start: 0, end: 0, ms: -1, detail: {} as Record<string, unknown> };
  /** The step before's spread, controller mode and overload stage (shown next to the longest step's own). */
  let prev = { spread: 1, mode: '', overload: -1 };
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
      const lad = w.net?.stats.ladder;
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
      };
    },
  };
};
