/**
 * Seeded fuzzing helpers: a small deterministic PRNG (mulberry32), value generators and a
 * wrapper that names the seed when an assertion fails.
 *
 * Every fuzz test runs with a fixed default seed (reproducible in CI). Set `WT_FUZZ_SEED=<n>`
 * to run one with another seed; a failure message always says which seed to rerun with.
 */

/** A seeded random source. All methods are deterministic for a given seed. */
export interface Rng {
  readonly seed: number;
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  bytes(n: number): Uint8Array;
  /** A string of `n` characters drawn from `alphabet` (default: printable ASCII). */
  str(n: number, alphabet?: string): string;
}

const PRINTABLE = ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~';

/** mulberry32: tiny, fast, good enough for fuzzing. */
export const createRng = (seed: number): Rng => {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1));
  return {
    seed: seed >>> 0,
    next,
    int,
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)],
    bytes(n) {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = Math.floor(next() * 256);
      return b;
    },
    str(n, alphabet = PRINTABLE) {
      let s = '';
      for (let i = 0; i < n; i++) s += alphabet[Math.floor(next() * alphabet.length)];
      return s;
    },
  };
};

/** The seed for a fuzz test: `WT_FUZZ_SEED` if set, else the test's fixed default. */
export const fuzzSeed = (defaultSeed: number): number => {
  const env = process.env.WT_FUZZ_SEED;
  if (env !== undefined && env !== '' && /^\d+$/.test(env)) return Number(env) >>> 0;
  return defaultSeed >>> 0;
};

/**
 * Multiplier of fuzz iteration counts: `WT_FUZZ_SCALE=<n>` (default 1) for longer local hunts;
 * the committed suite runs at 1 (each fuzz file well under 20 s).
 */
export const fuzzScale = (): number => {
  const v = Number(process.env.WT_FUZZ_SCALE ?? '1');
  return Number.isFinite(v) && v > 0 ? v : 1;
};

/**
 * A fuzz test's time bound: `ms` at scale 1, grown with {@link fuzzScale} as its work grows (a hunt at 3x on a slow
 * machine ran the game-protocol fuzz in 46-55 s against a fixed 60 s bound, and past it while tests ran beside it).
 */
export const fuzzTimeout = (ms: number): number => Math.round(ms * Math.max(1, fuzzScale()));

/**
 * Run `fn` with a seeded Rng; on failure rethrow with the seed (and the iteration, if the
 * callback reports one through `ctx.at`) in the message so the run can be reproduced.
 */
export const withSeed = async <T>(name: string, seed: number, fn: (rng: Rng, ctx: { at: string }) => T | Promise<T>): Promise<T> => {
  const ctx = { at: '' };
  try {
    return await fn(createRng(seed), ctx);
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    e.message = `[fuzz ${name}] seed=${seed}${ctx.at ? ` at ${ctx.at}` : ''} (rerun: WT_FUZZ_SEED=${seed})\n${e.message}`;
    throw e;
  }
};

/** Boundary numbers that tend to break validators. */
export const EDGE_NUMBERS: readonly number[] = [
  0,
  -0,
  1,
  -1,
  0.5,
  -0.5,
  1.0000001,
  -1.0000001,
  2,
  255,
  256,
  65535,
  65536,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 53 - 1,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 53),
  1e308,
  -1e308,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  Number.EPSILON,
  NaN,
  Infinity,
  -Infinity,
  1e-9,
  0.1,
  1e21,
  -1e21,
  3.5,
  59.99,
  60,
  60.0001,
  1e6,
  1e7,
  1e9,
];

/** Keys that have bitten JavaScript code before. */
export const ODD_KEYS: readonly string[] = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '',
  ' ',
  '0',
  '-1',
  'NaN',
  'a.b',
  'simulation.timeScale',
  '\u0000',
  '\u{1F600}',
  'x'.repeat(300),
];

/** A random JSON-compatible value (objects with odd keys, edge numbers, nesting up to `depth`). */
export const jsonValue = (rng: Rng, depth = 3): unknown => {
  const r = rng.int(0, depth > 0 ? 9 : 5);
  switch (r) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick(EDGE_NUMBERS.filter(Number.isFinite));
    case 3:
      return rng.int(-1000, 1000) * (rng.chance(0.3) ? 0.37 : 1);
    case 4:
      return rng.str(rng.int(0, 12));
    case 5:
      return rng.pick(['', '1', 'true', 'NaN', '1e400', '0x10', '__proto__', '{}', '[]']);
    case 6:
    case 7: {
      const n = rng.int(0, 4);
      const a: unknown[] = [];
      for (let i = 0; i < n; i++) a.push(jsonValue(rng, depth - 1));
      return a;
    }
    default: {
      const o: Record<string, unknown> = {};
      const n = rng.int(0, 4);
      for (let i = 0; i < n; i++) {
        const k = rng.chance(0.3) ? rng.pick(ODD_KEYS) : rng.str(rng.int(1, 8), 'abcdefghijklmnopqrstuvwxyz');
        Object.defineProperty(o, k, { value: jsonValue(rng, depth - 1), enumerable: true, writable: true, configurable: true });
      }
      return o;
    }
  }
};

/** `[[[...1...]]]` or `{"a":{"a":...}}` as JSON text, `depth` levels deep. */
export const deepJsonText = (depth: number, kind: 'array' | 'object', leaf = '1'): string =>
  kind === 'array' ? '['.repeat(depth) + leaf + ']'.repeat(depth) : '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);

/** A deeply nested JS value (built iteratively). */
export const deepValue = (depth: number, kind: 'array' | 'object'): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v };
  return v;
};

/**
 * Any value a JavaScript caller could pass where an API wants something else: nothing, edge numbers,
 * odd strings (`words` among them), empty and plain objects, a function, JSON of any shape, a Symbol, a
 * BigInt, an object whose `toString` is no function, one without a prototype, one that coerces to a
 * number; `extra` adds the caller's own (a component of another game, a lone surrogate).
 */
export const callerValue = (rng: Rng, words: readonly string[] = [], extra: ReadonlyArray<() => unknown> = []): unknown =>
  rng.pick<() => unknown>([
    () => undefined,
    () => null,
    () => rng.pick(EDGE_NUMBERS),
    () => rng.pick(['', 'x', '1', 'toString', '__proto__', 'constructor', ...words]),
    () => [],
    () => ({}),
    () => () => undefined,
    () => true,
    () => jsonValue(rng, 2),
    () => Symbol('s'),
    () => 10n,
    () => ({ toString: [] }),
    () => Object.create(null),
    () => ({ valueOf: () => 3, toString: () => 'three' }),
    ...extra,
  ])();
