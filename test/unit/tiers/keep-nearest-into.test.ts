import { describe, expect, it } from 'vitest';
import { keepNearest, keepNearestInto } from '../../../src/tiers/partial-select.js';

const lcg = (seed: number) => {
  let s = seed >>> 0;
  return (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
};

describe('keepNearestInto (tier caps demoting into the next list)', () => {
  it('keeps what keepNearest keeps, in the same order, and appends exactly the rest with their keys', () => {
    for (const [seed, n, cap] of [
      [1, 5000, 1234],
      [2, 3000, 1],
      [3, 4000, 3999],
      [4, 2000, 700],
    ]) {
      const rnd = lcg(seed);
      const dist = new Float32Array(n + 1);
      // Coarse distances: many ties inside the boundary bucket.
      for (let e = 1; e <= n; e++) dist[e] = Math.round(rnd() * 400) / 2;
      const ids = Int32Array.from({ length: n }, (_, i) => ((i * 7919) % n) + 1);
      const keys = Float32Array.from(ids, (e) => dist[e]);
      const a = ids.slice(),
        ka = keys.slice();
      keepNearest(a, ka, n, cap, 205, dist, new Int32Array(1024), new Int32Array(n), new Float32Array(n));
      const next = new Int32Array(n + 10).fill(-7),
        nextKeys = new Float32Array(n + 10);
      const nk = keepNearestInto(ids, keys, n, cap, 205, dist, new Int32Array(1024), new Int32Array(n), next, nextKeys, 10);
      expect(nk).toBe(10 + n - cap);
      expect(Array.from(ids.subarray(0, cap))).toEqual(Array.from(a.subarray(0, cap)));
      expect(Array.from(keys.subarray(0, cap))).toEqual(Array.from(ka.subarray(0, cap)));
      const rest = Array.from(next.subarray(10, nk));
      expect([...rest].sort((x, y) => x - y)).toEqual(Array.from(a.subarray(cap, n)).sort((x, y) => x - y));
      for (let k = 10; k < nk; k++) expect(nextKeys[k]).toBe(dist[next[k]]);
      expect(Array.from(next.subarray(0, 10))).toEqual(new Array(10).fill(-7));
    }
  });
});
