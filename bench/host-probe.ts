/**
 * Does this machine change speed by itself? Fixed workloads timed every 50 ms for N seconds in one
 * process, nothing else of ours running: integer arithmetic as one dependent chain (latency-bound)
 * and as four independent ones (throughput-bound, as most real code), a chain of dependent random
 * reads over 8 MiB (fits the shared L3), the same over 256 MiB (memory latency), gathers from an
 * L2-sized array with four accumulators, and a 4 × 4 MiB copy (bandwidth). Prints each workload's
 * percentiles and, per second, its median relative to the run's: a stretch of seconds at 2× is the
 * host (a VM's sibling thread or clock), not the program under test.
 *
 * `taskset -c 0 npx tsx bench/host-probe.ts [seconds=60]` — pin it where the server runs in the
 * `net` bench (docs/NET-SCALE.md "What the longest steps are made of"). Writes bench/results/host-probe.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { chase, fillXorshift, xorshiftRounds } from './probe-loops.js';

const seconds = Number(process.argv[2] ?? 60);
const l3 = new Int32Array(2 * 1024 * 1024);
const big = new Int32Array(64 * 1024 * 1024);
const src = new Uint8Array(4 << 20).fill(7);
const l2 = new Float64Array(32 * 1024).map((_, i) => i * 0.5);
const gatherAt = new Int32Array(1 << 16).map((_, i) => (i * 7919) & 0x7fff);
const dst = new Uint8Array(4 << 20);
fillXorshift(l3, 88172645);
fillXorshift(big, 2463534242);
const NAMES = ['cpu', 'l3', 'dram', 'copy', 'ilp', 'gather'] as const;
/** Four independent xorshift chains: the core's throughput, not one instruction's latency. */
const ilp = (): number => {
  let a = 1,
    b = 2,
    c = 3,
    d = 4;
  for (let i = 0; i < 100_000; i++) {
    a ^= a << 13;
    b ^= b << 13;
    c ^= c << 13;
    d ^= d << 13;
    a ^= a >>> 17;
    b ^= b >>> 17;
    c ^= c >>> 17;
    d ^= d >>> 17;
    a ^= a << 5;
    b ^= b << 5;
    c ^= c << 5;
    d ^= d << 5;
  }
  return a + b + c + d;
};
/** Gathers from an L2-sized array, four sums in flight. */
const gather = (): number => {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0;
  for (let r = 0; r < 8; r++)
    for (let i = 0; i < gatherAt.length; i += 4) {
      s0 += l2[gatherAt[i] ?? 0] ?? 0;
      s1 += l2[gatherAt[i + 1] ?? 0] ?? 0;
      s2 += l2[gatherAt[i + 2] ?? 0] ?? 0;
      s3 += l2[gatherAt[i + 3] ?? 0] ?? 0;
    }
  return s0 + s1 + s2 + s3;
};
const rows: number[][] = [];
let sink = 0;
const load0 = loadavg();
const end = performance.now() + seconds * 1000;
while (performance.now() < end) {
  const t0 = performance.now();
  const y = xorshiftRounds(200_000);
  const t1 = performance.now();
  sink += chase(l3, l3.length - 1, 200_000);
  const t2 = performance.now();
  sink += chase(big, big.length - 1, 20_000);
  const t3 = performance.now();
  for (let k = 0; k < 4; k++) dst.set(src);
  const t4 = performance.now();
  sink += ilp();
  const t5 = performance.now();
  sink += gather();
  const t6 = performance.now();
  sink += y;
  rows.push([t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5].map((v) => Math.round(v * 1000)));
  const wait = 50 - (performance.now() - t0);
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
const pct = (a: number[], p: number): number => {
  const s = [...a].sort((u, v) => u - v);
  return s[Math.floor(p * (s.length - 1))] ?? 0;
};
const col = (k: number): number[] => rows.map((r) => r[k] ?? 0);
const perSecond = (k: number): number[] => {
  const med = pct(col(k), 0.5);
  const out: number[] = [];
  for (let i = 0; i + 20 <= rows.length; i += 20) out.push(Math.round((pct(col(k).slice(i, i + 20), 0.5) / med) * 100) / 100);
  return out;
};
const figures = {
  date: new Date().toISOString(),
  seconds,
  samples: rows.length,
  loadAverage: { start: load0, end: loadavg() },
  /** µs per sample: p10 / p50 / p90 / p99 / max. */
  us: Object.fromEntries(NAMES.map((n, k) => [n, [0.1, 0.5, 0.9, 0.99, 1].map((p) => pct(col(k), p))])),
  /** Each second's median over the run's median, per workload. */
  perSecond: Object.fromEntries(NAMES.map((n, k) => [n, perSecond(k)])),
  sink: sink & 1,
};
for (const n of NAMES) console.log(`${n} µs p10/p50/p90/p99/max ${figures.us[n]?.join(' / ')}`);
const range = (a: number[]): string => `${Math.min(...a)}–${Math.max(...a)}`;
console.log(`per-second medians / run median: ${NAMES.map((n) => `${n} ${range(figures.perSecond[n] ?? [])}`).join(', ')}`);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/host-probe.json', `${JSON.stringify(figures, null, 2)}\n`);
