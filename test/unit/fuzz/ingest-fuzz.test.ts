/**
 * Fuzz: random push() calls on a world with defined ingest types — bad keys, unknown or odd type
 * names, huge facts, floods — interleaved with real steps. Every push returns a documented
 * outcome or throws one of the three documented coded errors; the counters add up; no buffer
 * ever holds more than its documented bound; dropped huge facts are garbage collected.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode, WorldtickError } from '../../../src/errors.js';
import type { IngestTypeStats } from '../../../src/ingest/ingest-buffers.js';
import { createSimWorld, type SimWorld } from '../../../src/world/sim-world.js';
import { runStep } from '../../../src/world/step.js';
import { forceGc } from '../../fuzz-helpers/gc.js';
import { EDGE_NUMBERS, fuzzSeed, jsonValue, ODD_KEYS, withSeed, fuzzScale, type Rng, fuzzTimeout } from '../../fuzz-helpers/rng.js';

/**
 * Pushes per run (seed 0x1a6e, WT_FUZZ_SEED to change it). 12,000 reach every statement, function and
 * branch of src/ingest/ that 60,000 reached (v8 coverage of this file alone, December 2026); the one
 * exception, `compact`, is run by the 30 s wall-clock cleanup task and was only reached when the file
 * itself took over 30 s on a loaded machine. WT_FUZZ_SCALE=5 for the old count.
 */
const OPS = Math.round(12_000 * fuzzScale());

/** Cheap assertion for hot fuzz loops (vitest's expect is slow per call). */
const check = (ok: boolean, what: string): void => {
  if (!ok) throw new Error(`invariant failed: ${what}`);
};

interface TypeDef {
  name: string;
  mode: 'latestByKey' | 'queue';
  capacity: number;
  hard: number;
  policy: 'dropOldest' | 'rejectNewest';
  critical: boolean;
}

const TYPES: TypeDef[] = [
  { name: 'chat', mode: 'queue', capacity: 32, hard: 32, policy: 'dropOldest', critical: false },
  { name: 'bids', mode: 'queue', capacity: 16, hard: 16, policy: 'rejectNewest', critical: false },
  { name: 'state', mode: 'latestByKey', capacity: 24, hard: 24, policy: 'dropOldest', critical: false },
  { name: 'ticket', mode: 'latestByKey', capacity: 8, hard: 8, policy: 'rejectNewest', critical: false },
  { name: 'buy', mode: 'queue', capacity: 8, hard: 20, policy: 'dropOldest', critical: true },
];

/** A validating apply: throws on a fact that is not `{ n: finite number }` (counted, discarded). */
const makeWorld = (applied: { ok: number }): SimWorld => {
  const w = createSimWorld({ id: 'ingest-fuzz', capacity: 64, config: { simulation: { pauseSimulation: true } } });
  for (const t of TYPES) {
    w.ingest.define(t.name, {
      mode: t.mode,
      capacity: t.capacity,
      dropPolicy: t.policy,
      critical: t.critical,
      ...(t.critical ? { hardCapacity: t.hard } : {}),
      apply: (_w, _key, fact) => {
        const n = (fact as { n?: unknown } | null)?.n;
        if (typeof n !== 'number' || !Number.isFinite(n)) throw new Error('bad fact');
        applied.ok++;
      },
    });
  }
  return w;
};

const genKey = (rng: Rng): unknown => {
  const r = rng.next();
  if (r < 0.75) return rng.int(0, 40);
  if (r < 0.9) return rng.pick(EDGE_NUMBERS);
  return rng.pick<unknown>(['1', null, undefined, {}, [], true, 10n, Symbol('k')]);
};

const genType = (rng: Rng): unknown => {
  if (rng.chance(0.9)) return rng.pick(TYPES).name;
  return rng.pick<unknown>(['', 'CHAT', 'input', 'critical', 'default', ...ODD_KEYS, 'z'.repeat(100_000), null, 42, {}]);
};

const genFact = (rng: Rng, huge: number[][]): unknown => {
  const r = rng.next();
  if (r < 0.6) return { n: rng.int(0, 100) };
  if (r < 0.98) return jsonValue(rng, 3);
  const big = new Array<number>(20_000).fill(rng.next()); // ~160 KB, fresh each time
  huge.push(big);
  return { n: 1, big };
};

const byName = (stats: IngestTypeStats[]): Map<string, IngestTypeStats> => new Map(stats.map((s) => [s.type, s]));

describe('fuzz: ingest push', () => {
  it(`${OPS} random pushes and floods with steps in between: coded outcomes, exact counters, hard bounds`, {
    timeout: fuzzTimeout(30_000),
  }, async () => {
    await withSeed('ingest', fuzzSeed(0x1a6e), async (rng, ctx) => {
      const applied = { ok: 0 };
      const w = makeWorld(applied);
      const expectInvalid = new Map<string, number>();
      const expectRejected = new Map<string, number>();
      const hugeRefs: Array<WeakRef<number[]>> = [];
      let thrown = 0;
      for (let i = 0; i < OPS; i++) {
        ctx.at = `op ${i}`;
        if (rng.chance(0.01)) {
          w.ctx.budgets.ingestDrain = rng.pick([0, 1, 5, 1000]);
          runStep(w);
          continue;
        }
        const flood = rng.chance(0.002) ? rng.int(200, 2000) : 1;
        for (let f = 0; f < flood; f++) {
          const type = genType(rng);
          const key = genKey(rng);
          const huge: number[][] = [];
          const fact = genFact(rng, huge);
          for (const h of huge) hugeRefs.push(new WeakRef(h));
          const def = TYPES.find((t) => t.name === type);
          // Was the buffer full before this push? A non-critical type is full at its capacity, which
          // atCapacity answers from the same pending count stats() reports (without building a fresh
          // stats object per buffer: 200k stats() calls were most of this file's run time); a
          // critical type is full at its hard bound, read from stats().
          const criticalPending = def?.critical ? byName(w.ingest.stats()).get(def.name)!.pending : 0;
          const full = def ? (def.critical ? criticalPending >= def.hard : w.ingest.atCapacity(def.name)) : false;
          let out: string;
          try {
            out = w.ingest.push(type as string, key as number, fact);
          } catch (err) {
            thrown++;
            check(err instanceof WorldtickError, 'a WorldtickError');
            const code = (err as WorldtickError).code;
            if (!def) check(code === ErrorCode.INGEST_UNKNOWN_TYPE, `unknown type code ${code}`);
            else if (!(Number.isInteger(key) && (key as number) >= 0 && (key as number) <= 0xffffffff)) {
              check(code === ErrorCode.INGEST_BAD_FACT, `bad key code ${code}`);
              expectInvalid.set(def.name, (expectInvalid.get(def.name) ?? 0) + 1);
            } else {
              check(code === ErrorCode.INGEST_CRITICAL_FULL && def.critical && criticalPending === def.hard, `critical full ${code}`);
              expectRejected.set(def.name, (expectRejected.get(def.name) ?? 0) + 1);
            }
            check((err as WorldtickError).message.length < 300, 'short message');
            continue;
          }
          check(def !== undefined, `push to ${String(type).slice(0, 20)} must throw`);
          check(['accepted', 'coalesced', 'dropped', 'rejected'].includes(out), `outcome ${out}`);
          if (out === 'rejected') {
            check(full && def!.policy === 'rejectNewest' && !def!.critical, 'rejected only when full with rejectNewest');
            expectRejected.set(def!.name, (expectRejected.get(def!.name) ?? 0) + 1);
          }
          if (out === 'dropped') check(full && def!.policy === 'dropOldest', 'dropped only when full with dropOldest');
          if (out === 'accepted') check(!full, 'accepted only when not full');
          if (out === 'coalesced') check(def!.mode === 'latestByKey', 'coalesced only latestByKey');
        }
        // Invariants after every op: bounds and conservation.
        for (const s of w.ingest.stats()) {
          const t = TYPES.find((x) => x.name === s.type)!;
          check(s.pending <= t.hard, `${t.name} pending ${s.pending} <= ${t.hard}`);
          check(s.pending === s.accepted - s.dropped - s.drained, `${t.name} pending = accepted - dropped - drained`);
          check(s.invalid === (expectInvalid.get(t.name) ?? 0), `${t.name} invalid counted`);
          check(s.rejected === (expectRejected.get(t.name) ?? 0), `${t.name} rejected counted`);
        }
      }
      // Drain everything; every applied fact was either good or counted as an apply error.
      w.ctx.budgets.ingestDrain = 1_000_000;
      runStep(w);
      const stats = w.ingest.stats();
      let drained = 0,
        applyErrors = 0;
      for (const s of stats) {
        expect(s.pending).toBe(0);
        drained += s.drained;
        applyErrors += s.applyErrors;
      }
      expect(drained).toBe(applied.ok + applyErrors);
      expect(thrown).toBeGreaterThan(0);
      expect(applyErrors).toBeGreaterThan(0);
      // Huge facts that were dropped or applied are not retained by the buffers.
      await forceGc();
      const alive = hugeRefs.filter((r) => r.deref() !== undefined).length;
      expect(hugeRefs.length).toBeGreaterThan(50);
      expect(alive).toBeLessThanOrEqual(TYPES.reduce((a, t) => a + t.hard, 0));
    });
  });
});
