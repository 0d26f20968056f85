/**
 * Fuzz: random partial patches through mergeSchedulerConfig and updateWorldConfig (a real
 * SimWorld). Each patch is either accepted — and the result re-validates cleanly, carries every
 * patched value and keeps every other one — or rejected with WT_ERR_CONFIG_INVALID, a non-empty
 * list of problems naming paths, and the world deep-equal to before. Never a raw exception,
 * never a polluted prototype.
 */
import { describe, expect, it } from 'vitest';
import {
  defaultSchedulerConfig,
  mergeSchedulerConfig,
  SCHEDULER_CONFIG_SPEC,
  type SchedulerConfig,
} from '../../../src/config/scheduler-config.js';
import { checkValue, type NumberSpec, type ObjectSpec, type Spec } from '../../../src/config/schema.js';
import { ErrorCode, WorldtickError } from '../../../src/errors.js';
import { createSimWorld, MAX_SPATIAL_CELLS, updateWorldConfig, type SimWorld } from '../../../src/world/sim-world.js';
import { deepValue, EDGE_NUMBERS, fuzzSeed, jsonValue, ODD_KEYS, withSeed, fuzzScale, type Rng } from '../../fuzz-helpers/rng.js';

/**
 * Patches per run of each of the first two tests (seeds 0xc0f1, 0xc0f2; WT_FUZZ_SEED to change them).
 * 750 reach every statement, function and branch of src/config/, src/world/, src/core/world-core.ts and
 * src/tiers/tiers-slot.ts that 3,000 reached (v8 coverage of this file alone, December 2026);
 * WT_FUZZ_SCALE=4 for the old count.
 */
const ITERATIONS = Math.round(750 * fuzzScale());

/** Every leaf of the schema as [path segments, spec]. */
const leaves: Array<[string[], Exclude<Spec, ObjectSpec>]> = [];
const objects: string[][] = [];
const walk = (spec: Spec, path: string[]): void => {
  if (spec.kind !== 'object') return void leaves.push([path, spec]);
  objects.push(path);
  for (const [k, s] of Object.entries(spec.fields)) walk(s, [...path, k]);
};
walk(SCHEDULER_CONFIG_SPEC, []);

const validNumber = (rng: Rng, s: NumberSpec): number => {
  const lo = Math.max(s.min ?? -1e6, s.gt !== undefined ? s.gt + 1e-6 : -1e6);
  const hi = Math.min(s.max ?? 1e6, 1e6);
  const v = rng.chance(0.2) ? rng.pick([lo, hi]) : lo + rng.next() * (hi - lo);
  return s.integer ? Math.min(Math.floor(s.max ?? Infinity), Math.max(Math.ceil(lo), Math.round(v))) : v;
};

/** A value for a leaf: usually valid, often an edge or a wrong type. */
const leafValue = (rng: Rng, s: Exclude<Spec, ObjectSpec>): unknown => {
  if (rng.chance(0.55)) {
    if (s.kind === 'number') return validNumber(rng, s);
    if (s.kind === 'boolean') return rng.chance(0.5);
  }
  if (rng.chance(0.5)) return rng.pick(EDGE_NUMBERS);
  return jsonValue(rng, 2);
};

const setPath = (o: Record<string, unknown>, path: readonly string[], v: unknown): void => {
  let cur = o;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i];
    const next = cur[k];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      Object.defineProperty(cur, k, { value: {}, enumerable: true, writable: true, configurable: true });
    }
    cur = cur[k] as Record<string, unknown>;
  }
  Object.defineProperty(cur, path[path.length - 1], { value: v, enumerable: true, writable: true, configurable: true });
};

const getPath = (o: unknown, path: readonly string[]): unknown => path.reduce<unknown>((c, k) => (c as Record<string, unknown>)?.[k], o);

interface Patch {
  patch: unknown;
  /** Leaves set directly (path → value), for the accepted-case check. */
  set: Array<[string[], unknown]>;
}

const genPatch = (rng: Rng): Patch => {
  const r = rng.next();
  if (r < 0.03) return { patch: jsonValue(rng, 2), set: [] }; // not necessarily an object
  if (r < 0.05) return { patch: JSON.parse('{"__proto__":{"simulation":{"timeScale":1}},"simulation":{}}'), set: [] };
  const patch: Record<string, unknown> = {};
  const set: Array<[string[], unknown]> = [];
  const n = rng.int(1, 4);
  for (let i = 0; i < n; i++) {
    const m = rng.next();
    if (m < 0.7) {
      const [path, spec] = rng.pick(leaves);
      const v = leafValue(rng, spec);
      setPath(patch, path, v);
      set.push([path, v]);
    } else if (m < 0.8) {
      const path = rng.pick(objects.filter((p) => p.length > 0));
      setPath(patch, path, rng.chance(0.5) ? jsonValue(rng, 2) : []);
    } else if (m < 0.9) {
      const base = rng.pick(objects);
      setPath(patch, [...base, rng.pick(ODD_KEYS)], jsonValue(rng, 1));
    } else if (m < 0.95) {
      const [path] = rng.pick(leaves);
      setPath(
        patch,
        rng.chance(0.5) ? path : [...path.slice(0, -1), 'deep'],
        deepValue(rng.int(20, 5000), rng.chance(0.5) ? 'array' : 'object'),
      );
    } else {
      const [path] = rng.pick(leaves);
      setPath(patch, path, rng.pick<unknown>([() => 1, Symbol('s'), 10n, undefined, new Date(0), new Map()]));
    }
  }
  // A later leaf may overwrite an earlier one: keep only the last value per path.
  const last = new Map<string, [string[], unknown]>();
  for (const [p, v] of set) last.set(p.join('.'), [p, v]);
  return { patch, set: [...last.values()].filter(([p, v]) => Object.is(getPath(patch, p), v)) };
};

const relationsHold = (c: SchedulerConfig): boolean =>
  c.controller.recoverBelow < c.controller.degradeAt &&
  c.controller.degradeAt < c.controller.emergencyAt &&
  c.controller.ingestDrainMin <= c.controller.ingestDrainBaseline &&
  c.controller.ingestDrainBaseline <= c.controller.ingestDrainMax;

const worldState = (w: SimWorld) => ({
  config: structuredClone(w.config),
  configVersion: w.configVersion,
  budgets: { ...w.ctx.budgets },
  paused: w.clock.paused,
});

/** Check one outcome; returns the accepted config or null. */
const judge = (before: SchedulerConfig, p: Patch, run: () => SchedulerConfig): SchedulerConfig | null => {
  let out: SchedulerConfig;
  try {
    out = run();
  } catch (err) {
    expect(err).toBeInstanceOf(WorldtickError);
    expect((err as WorldtickError).code).toBe(ErrorCode.CONFIG_INVALID);
    const problems = ((err as WorldtickError).details as { problems: unknown }).problems;
    expect(Array.isArray(problems)).toBe(true);
    expect((problems as unknown[]).length).toBeGreaterThan(0);
    for (const q of problems as unknown[]) {
      expect(typeof q).toBe('string');
      expect((q as string).length).toBeGreaterThan(0);
      expect((q as string).length).toBeLessThan(4096);
    }
    return null;
  }
  const problems: string[] = [];
  checkValue(SCHEDULER_CONFIG_SPEC, out, '', problems);
  expect(problems).toEqual([]);
  expect(relationsHold(out)).toBe(true);
  for (const [path, v] of p.set) expect(Object.is(getPath(out, path), v), path.join('.')).toBe(true);
  // Leaves the patch did not name keep their value.
  const named = new Set(p.set.map(([path]) => path.join('.')));
  for (const [path] of leaves) {
    if (!named.has(path.join('.')) && getPath(p.patch, path) === undefined) expect(getPath(out, path)).toEqual(getPath(before, path));
  }
  return out;
};

describe('fuzz: scheduler config patches', () => {
  it(`${ITERATIONS} random patches through mergeSchedulerConfig: valid result or coded problems`, async () => {
    await withSeed('config-merge', fuzzSeed(0xc0f1), (rng, ctx) => {
      let current = defaultSchedulerConfig();
      let accepted = 0;
      for (let i = 0; i < ITERATIONS; i++) {
        const p = genPatch(rng);
        ctx.at = `iteration ${i}`;
        const before = structuredClone(current);
        const out = judge(before, p, () => mergeSchedulerConfig(current, p.patch));
        expect(current).toEqual(before); // never modified in place
        if (out) {
          accepted++;
          if (rng.chance(0.5)) current = out;
        }
      }
      // The generator must exercise both outcomes.
      expect(accepted).toBeGreaterThan(ITERATIONS * 0.1);
      expect(accepted).toBeLessThan(ITERATIONS * 0.9);
    });
  });

  it(`${ITERATIONS} random patches through updateWorldConfig: applied completely or the world is unchanged`, async () => {
    await withSeed('config-world', fuzzSeed(0xc0f2), (rng, ctx) => {
      const world = createSimWorld({ id: 'fz', capacity: 64, config: { simulation: { pauseSimulation: true } } });
      let rejected = 0;
      for (let i = 0; i < ITERATIONS; i++) {
        const p = genPatch(rng);
        ctx.at = `iteration ${i}`;
        const before = worldState(world);
        const out = judge(before.config, p, () => updateWorldConfig(world, p.patch));
        if (!out) {
          rejected++;
          expect(worldState(world)).toEqual(before);
        } else {
          expect(world.config).toEqual(out);
          expect(world.configVersion).toBe(before.configVersion + 1);
          expect(world.clock.paused).toBe(out.simulation.pauseSimulation);
        }
      }
      expect(rejected).toBeGreaterThan(0);
      // No patch (with __proto__/constructor keys) reached a prototype.
      expect(Object.keys(Object.prototype)).toEqual([]);
      expect(({} as Record<string, unknown>).simulation).toBeUndefined();
    });
  });

  it('300 random world sizes × grid cell sizes × capacities: a world or a coded error, never a giant grid', async () => {
    await withSeed('world-create', fuzzSeed(0xc0f3), (rng, ctx) => {
      let made = 0;
      for (let i = 0; i < 300; i++) {
        const size = rng.pick([1e-300, 1e-6, 1, 400, 2000, 1e5, 1e6, 1e7, 1e7 + 1, NaN, -1, rng.next() * 1e7]);
        const cell = rng.pick([1e-6, 0.01, 0.5, 1, 64, 64, 1000, 1e6, rng.next() * 100, 0, -1]);
        const capacity = rng.pick([1, 64, 1000, 0, 1.5]);
        ctx.at = `size ${size} cell ${cell} capacity ${capacity}`;
        try {
          createSimWorld({ id: 'g', capacity, size, config: { simulation: { spatialCellSize: cell, pauseSimulation: true } } });
          made++;
          expect(Math.ceil(size / cell) ** 2).toBeLessThanOrEqual(MAX_SPATIAL_CELLS);
        } catch (err) {
          if (!(err instanceof WorldtickError)) throw err; // was: RangeError "Invalid typed array length"
          expect([ErrorCode.CONFIG_INVALID, ErrorCode.OPTION_INVALID]).toContain(err.code);
        }
      }
      expect(made).toBeGreaterThan(10);
    });
  });

  it('nesting past the limit is a coded problem, not a stack overflow', () => {
    for (const depth of [33, 5000, 40_000]) {
      for (const kind of ['array', 'object'] as const) {
        const patch = JSON.parse(
          `{"simulation":{"timeScale":${kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`}}}`,
        );
        let err: unknown;
        try {
          mergeSchedulerConfig(defaultSchedulerConfig(), patch);
        } catch (e) {
          err = e;
        }
        expect((err as WorldtickError).code, `${kind} ${depth}`).toBe(ErrorCode.CONFIG_INVALID);
        expect(((err as WorldtickError).details as { problems: string[] }).problems.join()).toMatch(
          /^simulation\.timeScale.* nested more than 32 levels/,
        );
      }
    }
    // Thousands of unknown keys: the problem list is capped (no amplification of a 64 KiB body).
    const wide: Record<string, number> = {};
    for (let i = 0; i < 5000; i++) wide[`k${i}`] = i;
    let wideErr: unknown;
    try {
      mergeSchedulerConfig(defaultSchedulerConfig(), { simulation: wide });
    } catch (e) {
      wideErr = e;
    }
    const wideProblems = ((wideErr as WorldtickError).details as { problems: string[] }).problems;
    expect(wideProblems).toHaveLength(101);
    expect(wideProblems[100]).toBe('…and 4900 more problems');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => mergeSchedulerConfig(defaultSchedulerConfig(), { simulation: cyclic })).toThrow(/nested more than/);
  });
});
