/**
 * Does this machine change speed by itself? Four fixed workloads timed every 50 ms for N seconds in
 * one process, nothing else of ours running: integer arithmetic (registers only), a chain of
 * dependent random reads over 8 MiB (fits the shared L3), the same over 256 MiB (memory latency),
 * and a 4 × 4 MiB copy (bandwidth). Prints each workload's percentiles and, per second, the median
 * of the cache-bound and copy workloads relative to the run's: a stretch of seconds at 2× would be
 * the host (or a neighbour on the other core), not the program under test.
 *
 * `taskset -c 0 npx tsx bench/host-probe.ts [seconds=60]` — pin it where the server runs in the
 * `net` bench (docs/NET-SCALE.md "What the longest steps are made of"). Writes bench/results/host-probe.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';

const seconds = Number(process.argv[2] ?? 60);
const l3 = new Int32Array(2 * 1024 * 1024);
const big = new Int32Array(64 * 1024 * 1024);
const src = new Uint8Array(4 << 20).fill(7);
const dst = new Uint8Array(4 << 20);
let seed = 88172645;
const fill = (a: Int32Array): void => {
  for (let i = 0; i < a.length; i++) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    a[i] = seed;
  }
};
fill(l3);
fill(big);
/** `n` dependent reads: each index comes from the value read before, so none overlaps another. */
const chase = (a: Int32Array, mask: number, n: number): number => {
  let j = 1;
  for (let i = 0; i < n; i++) j = ((a[j & mask] ?? 0) + j * 1103515245 + 12345) >>> 0;
  return j;
};
const NAMES = ['cpu', 'l3', 'dram', 'copy'] as const;
const rows: number[][] = [];
let sink = 0;
const load0 = loadavg();
const end = performance.now() + seconds * 1000;
while (performance.now() < end) {
  const t0 = performance.now();
  let y = 2463534242;
  for (let i = 0; i < 200_000; i++) {
    y ^= y << 13;
    y ^= y >>> 17;
    y ^= y << 5;
  }
  const t1 = performance.now();
  sink += chase(l3, l3.length - 1, 200_000);
  const t2 = performance.now();
  sink += chase(big, big.length - 1, 20_000);
  const t3 = performance.now();
  for (let k = 0; k < 4; k++) dst.set(src);
  const t4 = performance.now();
  sink += y;
  rows.push([t1 - t0, t2 - t1, t3 - t2, t4 - t3].map((v) => Math.round(v * 1000)));
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
  /** Each second's median over the run's median. */
  l3PerSecond: perSecond(1),
  copyPerSecond: perSecond(3),
  sink: sink & 1,
};
for (const n of NAMES) console.log(`${n} µs p10/p50/p90/p99/max ${figures.us[n]?.join(' / ')}`);
const range = (a: number[]): string => `${Math.min(...a)}–${Math.max(...a)}`;
console.log(`per-second medians / run median: l3 ${range(figures.l3PerSecond)}, copy ${range(figures.copyPerSecond)}`);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/host-probe.json', `${JSON.stringify(figures, null, 2)}\n`);
