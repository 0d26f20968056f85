/**
 * Fuzz: game definitions (`defineGame`, src/game/definition.ts) as a studio writing JavaScript
 * could hand them over — no compiler to catch a list given as a number, a null entry, a module's
 * pipeline given as a function, a hook that is no function, a component built by hand. Each
 * definition is refused with `WT_ERR_OPTION_INVALID` listing its problems (non-empty strings), or
 * accepted; a world of each accepted one is created and stepped (`createGameWorld`, three steps),
 * or refused with a coded error. A TypeError or any uncoded error fails here. Before the shape
 * checks (option-keys.ts `gameShapeProblems`, components.ts `componentProblems`) about a third of
 * these definitions threw `TypeError: components is not iterable`, `modules.filter is not a
 * function`, `Cannot use 'in' operator ...` or, at world creation, `CTORS[f.type] is not a
 * constructor` (a component field of type `toString` passed defineComponent too). Seeds 12, 18, 19
 * and 27 at 4x then found three more (a hand-built component in defineComponent's short form, an
 * entry whose name is an object, a module pipeline holding null); seed 80218 at 3x a system whose phase is
 * an object (`PhaseIndex[phase]` threw) — with it, inherited names (`constructor`, `toString`) that passed
 * as phases, and a replicated field named `constructor` (`in` found it): KNOWN_BAD's last seven; then a
 * component field named `__proto__` (stop 58).
 */
import { describe, expect, it } from 'vitest';
import { defineComponent, defineGame, Type } from '../../../src/index.js';
import { ErrorCode, WorldtickError } from '../../../src/errors.js';
import type { GameDefinition } from '../../../src/game/definition.js';
import { createGameWorld } from '../../../src/game/world.js';
import { runStep } from '../../../src/world/step.js';
import { EDGE_NUMBERS, fuzzScale, fuzzSeed, jsonValue, type Rng, withSeed, fuzzTimeout } from '../../fuzz-helpers/rng.js';

const DEFINITIONS = Math.round(3000 * fuzzScale());

const Hp = defineComponent('FzHp', { hp: 'u16' });

/** Any value a JavaScript caller could put somewhere. */
const junk = (rng: Rng): unknown =>
  rng.pick<() => unknown>([
    () => undefined,
    () => null,
    () => rng.pick(EDGE_NUMBERS),
    () => rng.pick(['', 'x', 'toString', '__proto__']),
    () => [],
    () => ({}),
    () => () => undefined,
    () => true,
    () => jsonValue(rng, 2),
    () => Hp,
    () => Type.Object({}),
    () => ({ name: 'q', fields: rng.pick<unknown>([null, 'x', { a: { type: 'toString' } }, { a: 'u8' }]) }),
  ])();

/** Keys of each list option's entries, and a valid entry to damage. */
const LISTS: Record<string, { keys: string[]; good: (rng: Rng) => Record<string, unknown> }> = {
  modules: { keys: ['name', 'pipeline', 'populate', 'attach'], good: (rng) => ({ name: `m${rng.int(0, 3)}` }) },
  components: { keys: ['name', 'fields'], good: () => ({ ...Hp }) },
  systems: {
    keys: ['name', 'phase', 'run', 'before', 'after'],
    good: (rng) => ({ name: `s${rng.int(0, 3)}`, phase: rng.pick(['input', 'simulation', 'output']), run: () => undefined }),
  },
  messages: {
    keys: ['name', 'schema', 'apply', 'mode', 'capacity', 'key', 'rate', 'maxBytes'],
    good: (rng) => ({ name: `msg${rng.int(0, 3)}`, schema: Type.Object({ a: Type.Number() }), apply: () => undefined }),
  },
  serverMessages: { keys: ['name', 'schema', 'maxBytes'], good: (rng) => ({ name: `sm${rng.int(0, 3)}`, schema: Type.Object({}) }) },
  timers: {
    keys: ['name', 'every', 'run', 'schema', 'before', 'after'],
    good: (rng) => ({ name: `t${rng.int(0, 3)}`, run: () => undefined }),
  },
  facts: { keys: ['name', 'apply', 'capacity', 'maxBytes'], good: (rng) => ({ name: `f${rng.int(0, 3)}`, apply: () => undefined }) },
};

/** One option's value: a list of (often damaged) entries, or junk in place of the list. */
const option = (rng: Rng, key: string): unknown => {
  switch (key) {
    case 'hooks':
      return rng.chance(0.1)
        ? junk(rng)
        : { [rng.pick(['populate', 'onWorldCreated', 'onPlayerJoined', 'onPlayerLeft'])]: rng.chance(0.5) ? () => undefined : junk(rng) };
    case 'replicate': {
      const field = rng.chance(0.3)
        ? junk(rng)
        : { component: rng.chance(0.5) ? Hp : junk(rng), field: rng.pick<unknown>(['hp', 'x', 1, null]), scale: junk(rng) };
      return rng.chance(0.1) ? junk(rng) : { [rng.pick(['player', '0', '7', 'x'])]: rng.chance(0.2) ? junk(rng) : { f: field } };
    }
    case 'world':
      return rng.chance(0.1) ? junk(rng) : { [rng.pick(['size', 'npcs', 'config', 'physics'])]: junk(rng) };
    case 'net':
      return rng.chance(0.1) ? junk(rng) : { [rng.pick(['maxSpeed', 'interestRadius', 'x'])]: junk(rng) };
    default: {
      if (rng.chance(0.1)) return junk(rng);
      const l = LISTS[key];
      return Array.from({ length: rng.int(1, 3) }, () => {
        if (rng.chance(0.05)) return junk(rng);
        const e = l.good(rng);
        for (let j = rng.chance(0.5) ? rng.int(1, 2) : 0; j > 0; j--) e[rng.pick(l.keys)] = junk(rng);
        return e;
      });
    }
  }
};

const OPTIONS = [...Object.keys(LISTS), 'hooks', 'replicate', 'world', 'net'];

/** Definitions the oracle knows must be refused: [what, options]. */
const KNOWN_BAD: ReadonlyArray<[string, Record<string, unknown>]> = [
  ['components a number', { components: 5 }],
  ['a null component', { components: [null] }],
  ['a component built by hand with a bad field type', { components: [{ name: 'Z', fields: { a: { type: 'toString', default: 0 } } }] }],
  ['modules an object', { modules: { name: 'm' } }],
  ["a module's pipeline a function", { modules: [{ name: 'm', pipeline: () => undefined }] }],
  ['systems a string', { systems: 'x' }],
  ['a null message', { messages: [null] }],
  ['serverMessages a number', { serverMessages: 3 }],
  ['timers true', { timers: true }],
  ['facts an object', { facts: {} }],
  ['a hook that is no function', { hooks: { onWorldCreated: { name: 'x' } } }],
  ['hooks an array', { hooks: [] }],
  ['a replicated field of no component', { replicate: { player: { f: { component: { name: 'q' }, field: 'hp' } } } }],
  ['world a string', { world: 'big' }],
  // Found by seeds 12, 18, 19 and 27 at 4x after the first fix: each threw a TypeError.
  ["a hand-built component with defineComponent's short field form", { components: [{ name: 'Q', fields: { a: 'u8' } }] }],
  ['a message whose name is an object', { messages: [{ name: { toString: 1 }, schema: Type.Object({}), apply: () => undefined }] }],
  ["a module's pipeline with a null system", { modules: [{ name: 'm', pipeline: [null] }] }],
  // Found by seed 80218 at 3x (stop 57): a TypeError from `PhaseIndex[phase]`; an inherited name passed as a phase.
  ['a system whose phase is an object', { systems: [{ name: 's', phase: { toString: [] }, run: () => undefined }] }],
  ['a system whose phase is an inherited name', { systems: [{ name: 's', phase: 'constructor', run: () => undefined }] }],
  [
    "a replicated field named as an inherited property ('constructor')",
    { components: [Hp], replicate: { player: { f: { component: Hp, field: 'constructor' } } } },
  ],
  [
    "a module pipeline system whose phase is 'toString'",
    { modules: [{ name: 'm', pipeline: [{ name: 's', phase: 'toString', run: () => undefined }] }] },
  ],
  // Stop 58, by reading: an own field key `__proto__` (JSON.parse makes one) set the checked fields' prototype instead
  // (the field vanished; the prototype's `type` and `default` were inherited by the component's fields).
  [
    "a component field named '__proto__'",
    { components: [{ name: 'P', fields: JSON.parse('{"__proto__":{"type":"u8","default":0},"a":{"type":"u8","default":0}}') }] },
  ],
];

const refusal = (err: unknown): boolean => {
  if (!(err instanceof WorldtickError) || err.code !== ErrorCode.OPTION_INVALID) return false;
  const problems = (err.details as { problems?: unknown } | undefined)?.problems;
  return Array.isArray(problems) && problems.length > 0 && problems.every((p) => typeof p === 'string' && p.length > 0);
};

describe('fuzz: game definitions', () => {
  it('the known-bad definitions are each refused with WT_ERR_OPTION_INVALID', () => {
    expect(() => defineComponent('Z', { a: { type: 'toString' as 'u8' } })).toThrow(
      expect.objectContaining({ code: ErrorCode.OPTION_INVALID }),
    );
    for (const [what, opts] of KNOWN_BAD) {
      let err: unknown = null;
      try {
        defineGame({ name: 'g', ...opts } as never);
      } catch (e) {
        err = e;
      }
      expect(refusal(err), `${what}: ${String(err)}`).toBe(true);
    }
    expect(() => defineGame(null as never)).toThrow(/the game's options must be an object \(got null\)/);
  });

  it(`${DEFINITIONS} random definitions: refused with their problems, or a world of each steps`, {
    timeout: fuzzTimeout(120_000),
  }, async () => {
    await withSeed('game-definition', fuzzSeed(0x6a3e), (rng, ctx) => {
      const seen = { refused: 0, accepted: 0, stepped: 0, worldRefused: 0 };
      for (let i = 0; i < DEFINITIONS; i++) {
        const opts: Record<string, unknown> = { name: 'g' };
        for (let k = rng.int(1, 3); k > 0; k--) {
          const key = rng.pick(OPTIONS);
          opts[key] = option(rng, key);
        }
        ctx.at = `definition ${i}: ${JSON.stringify(opts, (_k, v: unknown) => (typeof v === 'function' ? '<fn>' : v))?.slice(0, 600)}`;
        let def: GameDefinition;
        try {
          def = defineGame(opts as never);
        } catch (err) {
          if (!refusal(err))
            throw new Error(`defineGame threw ${(err as Error)?.constructor?.name}: ${String((err as Error)?.message).slice(0, 300)}`);
          seen.refused++;
          continue;
        }
        seen.accepted++;
        try {
          const w = createGameWorld(def, { id: 'fz', capacity: 60, seed: 1, size: 200, npcs: 3 });
          for (let s = 0; s < 3; s++) runStep(w);
          w.jobs.close();
          seen.stepped++;
        } catch (err) {
          if (!(err instanceof WorldtickError))
            throw new Error(
              `accepted, then the world threw ${(err as Error)?.constructor?.name}: ${String((err as Error)?.message).slice(0, 300)}`,
            );
          seen.worldRefused++;
        }
      }
      if (process.env.WT_FUZZ_DEBUG) console.log('game-definition fuzz', seen);
      expect(seen.refused).toBeGreaterThan(DEFINITIONS / 4);
      expect(seen.stepped).toBeGreaterThan(DEFINITIONS / 20);
    });
  });
});
