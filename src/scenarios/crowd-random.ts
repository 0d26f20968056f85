/**
 * The crowd scenario's seeded generator: a counter-based hash, so draw `k` of NPC (or bot) `i`
 * under seed `s` is one pure function of (s, i, k). Every NPC's stream is independent of the
 * others and of iteration order (a shard, a test or another implementation can recompute any
 * single NPC without replaying the rest). No state, no allocation.
 *
 * Draw numbering (docs/SCENARIOS.md): NPC i's initial x, y, vx, vy are draws 0..3; its velocity
 * re-roll at step s uses draws 4 + 2s (vx) and 5 + 2s (vy). Bot b's k-th crowd input uses
 * draws 2k (moveX) and 2k + 1 (moveY) under the bot seed.
 */

/** murmur3's 32-bit finaliser: a bijective avalanche mix of one uint32. */
const fmix32 = (h: number): number => {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
};

/** Uniform uint32 for (seed, stream i, draw k). Inputs are taken modulo 2³². */
export const crowdHash = (seed: number, i: number, k: number): number => {
  let h = fmix32((seed ^ 0x9e3779b9) >>> 0);
  h = fmix32((h ^ Math.imul((i + 1) >>> 0, 0x27d4eb2f)) >>> 0);
  h = fmix32((h ^ Math.imul((k + 1) >>> 0, 0x165667b1)) >>> 0);
  return h;
};

/** Uniform float in [0, 1) for (seed, stream i, draw k). */
export const crowdUnit = (seed: number, i: number, k: number): number => crowdHash(seed, i, k) / 4294967296;

/** Uniform float in [lo, hi) for (seed, stream i, draw k). */
export const crowdRange = (seed: number, i: number, k: number, lo: number, hi: number): number => lo + (hi - lo) * crowdUnit(seed, i, k);
