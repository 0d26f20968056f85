/**
 * Seeded deterministic PRNG (sfc32) whose whole state is four uint32 words in a typed array,
 * so it can be hashed, snapshotted and shared. Free functions over data: no closures, no
 * allocation per call.
 */

/** PRNG state: 4 × uint32. */
export type Prng = Uint32Array;

/** Create a PRNG from a 32-bit seed (splitmix32 spreads it over the state). */
export const createPrng = (seed: number): Prng => {
  const s = new Uint32Array(4);
  let x = seed >>> 0;
  for (let i = 0; i < 4; i++) {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    s[i] = (z ^ (z >>> 16)) >>> 0;
  }
  for (let i = 0; i < 12; i++) nextU32(s); // discard warm-up outputs
  return s;
};

/** Next uniformly distributed uint32. */
export const nextU32 = (s: Prng): number => {
  const a = s[0],
    b = s[1],
    c = s[2],
    d = s[3];
  const t = (((a + b) >>> 0) + d) >>> 0;
  s[3] = (d + 1) >>> 0;
  s[0] = b ^ (b >>> 9);
  s[1] = (c + (c << 3)) >>> 0;
  const c2 = (c << 21) | (c >>> 11);
  s[2] = (c2 + t) >>> 0;
  return t;
};

/** Uniform float in [0, 1). */
export const nextFloat = (s: Prng): number => nextU32(s) / 4294967296;

/** Uniform float in [lo, hi). */
export const nextRange = (s: Prng, lo: number, hi: number): number => lo + (hi - lo) * nextFloat(s);

/** Uniform integer in [0, n). */
export const nextInt = (s: Prng, n: number): number => Math.floor(nextFloat(s) * n);
