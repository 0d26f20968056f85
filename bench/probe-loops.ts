/**
 * Fixed workloads shared by the machine probes (bench/host-probe.ts, and the `net` bench's per-step
 * probes in bench/net-gc.ts).
 */

/** Fill `a` with xorshift32 values from `seed`: random contents (zeroed or untouched pages would all read the one shared zero page). */
export const fillXorshift = (a: Int32Array, seed: number): void => {
  let x = seed | 0 || 1;
  for (let i = 0; i < a.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    a[i] = x;
  }
};

/** `n` dependent reads of `a` (indices masked by `mask`): each index comes from the value read before, so none overlaps another — latency. */
export const chase = (a: Int32Array, mask: number, n: number): number => {
  let j = 1;
  for (let i = 0; i < n; i++) j = ((a[j & mask] ?? 0) + j * 1103515245 + 12345) >>> 0;
  return j;
};

/** `n` rounds of one dependent xorshift32 chain: integer arithmetic on registers only, each round waiting on the last — the core's clock. */
export const xorshiftRounds = (n: number): number => {
  let x = 2463534242;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return x;
};
