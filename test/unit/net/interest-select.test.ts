import { describe, expect, it } from 'vitest';
import { selectSmallest } from '../../../src/net/interest-select.js';

/** Seeded LCG so failures reproduce. */
const lcg = (seed: number) => () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;

describe('selectSmallest (partial quickselect over parallel typed arrays)', () => {
  it('puts the k smallest keys first, ids travelling with their keys, for random, sorted, reversed and tied inputs', () => {
    const rnd = lcg(7);
    const shapes: Array<(i: number, n: number) => number> = [
      () => rnd() * 1000,
      (i) => i,
      (i, n) => n - i,
      () => Math.floor(rnd() * 4),
      () => 5,
    ];
    for (const shape of shapes) {
      for (const n of [1, 2, 3, 10, 257, 2000]) {
        for (const k of [1, 2, Math.floor(n / 2), n - 1, n]) {
          if (k < 1 || k > n) continue;
          const keys = new Float64Array(n),
            ids = new Int32Array(n);
          for (let i = 0; i < n; i++) {
            keys[i] = shape(i, n);
            ids[i] = i;
          }
          const orig = Float64Array.from(keys);
          selectSmallest(keys, ids, n, k);
          // One expect per property and case, naming the offending positions (an expect per element
          // was most of this file's run time).
          const at = `shape ${shapes.indexOf(shape)} n ${n} k ${k}`;
          const broken: number[] = [];
          for (let i = 0; i < n; i++) if (!Object.is(keys[i], orig[ids[i]])) broken.push(i);
          expect(broken, `${at}: pairs intact`).toEqual([]);
          expect(
            [...ids].sort((a, b) => a - b),
            `${at}: a permutation`,
          ).toEqual([...Array(n).keys()]);
          const kth = [...orig].sort((a, b) => a - b)[k - 1];
          const above: number[] = [];
          for (let i = 0; i < k; i++) if (!(keys[i] <= kth)) above.push(i);
          expect(above, `${at}: the first k at most the k-th smallest`).toEqual([]);
          const below: number[] = [];
          for (let i = k; i < n; i++) if (!(keys[i] >= kth)) below.push(i);
          expect(below, `${at}: the rest at least the k-th smallest`).toEqual([]);
        }
      }
    }
  });
});
