import { describe, expect, it } from 'vitest';
import { keepNearest, partialSelect } from '../../../src/tiers/partial-select.js';

const lcg = (seed: number) => () => (seed = (seed * 48271) % 2147483647) / 2147483647;

describe('deterministic selection helpers', () => {
  it('partialSelect puts the k smallest by (key, id) first, ties broken by id', () => {
    const rnd = lcg(7);
    for (const [n, k] of [
      [1000, 10],
      [1000, 999],
      [50, 25],
      [2000, 1],
    ] as const) {
      const key = new Float64Array(n + 1);
      for (let e = 1; e <= n; e++) key[e] = Math.floor(rnd() * 20); // many ties
      const ids = Int32Array.from({ length: n }, (_, i) => n - i);
      partialSelect(ids, 0, n, k, key);
      const want = Array.from({ length: n }, (_, i) => i + 1)
        .sort((a, b) => key[a] - key[b] || a - b)
        .slice(0, k);
      expect(Array.from(ids.subarray(0, k)).sort((a, b) => a - b)).toEqual(want.sort((a, b) => a - b));
      expect(new Set(ids).size).toBe(n);
    }
  });

  it('keepNearest keeps exactly the cap nearest by (distance, id) and keeps keys aligned', () => {
    const rnd = lcg(3);
    const n = 5000,
      cap = 1234;
    const dist = new Float32Array(n + 1);
    for (let e = 1; e <= n; e++) dist[e] = Math.round(rnd() * 4000) / 10;
    const ids = Int32Array.from({ length: n }, (_, i) => i + 1);
    const keys = Float32Array.from(ids, (e) => dist[e]);
    keepNearest(ids, keys, n, cap, 405, dist, new Int32Array(1024), new Int32Array(n), new Float32Array(n));
    const want = Array.from({ length: n }, (_, i) => i + 1)
      .sort((a, b) => dist[a] - dist[b] || a - b)
      .slice(0, cap);
    expect(Array.from(ids.subarray(0, cap)).sort((a, b) => a - b)).toEqual(want.sort((a, b) => a - b));
    for (let i = 0; i < n; i++) expect(keys[i]).toBe(dist[ids[i]]);
    expect(new Set(ids).size).toBe(n);
  });
});
