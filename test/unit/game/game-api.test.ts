/**
 * The public game API (src/index.ts): definitions validated with every problem listed, systems
 * placed at phases / before / after named systems, component stores, messages checked at the
 * edge and applied in the step, hooks, and the life-sim example stepping exactly like the
 * embedded default world (same state hash).
 */
import { playerRow } from '../../../components/player-table.js';
import { describe, expect, it } from 'vitest';
import {
  addComponent,
  createGameWorld,
  defineComponent,
  defineGame,
  defineMessage,
  deleteGameWorld,
  despawn,
  ErrorCode,
  getStore,
  hasComponent,
  hashWorldState,
  query,
  removeComponent,
  spawn,
  stepWorld,
  Type,
  WireErrorCode,
  type GameWorld,
} from '../../../src/index.js';
import { lifeSimGame } from '../../../examples/life-sim/game.js';
import { pushGameMessage } from '../../../src/net/game-messages.js';
import { populateNpcs } from '../../../src/world/populate.js';
import { createSimWorld, spawnPlayer } from '../../../src/world/sim-world.js';
import { runStep } from '../../../src/world/step.js';

const Health = defineComponent('Health', { hp: { type: 'u16', default: 100 }, regen: 'f32' });
const noop = (): void => {};
const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    expect(err).toMatchObject({ code: ErrorCode.OPTION_INVALID });
    return (err as { details: { problems: string[] } }).details.problems;
  }
  throw new Error('expected a throw');
};

describe('life-sim example', () => {
  it('steps exactly like the embedded default world (same state hash)', () => {
    const cfg = { controller: { enabled: false } };
    const plain = createSimWorld({ id: 'd', seed: 42, capacity: 3000, config: cfg });
    populateNpcs(plain, { count: 2000 });
    const game = createGameWorld(lifeSimGame, { id: 'd', seed: 42, capacity: 3000, config: cfg, npcs: 2000 });
    expect(game.pipeline.map((s) => s.name)).toEqual(plain.pipeline.map((s) => s.name));
    for (const w of [plain, game]) {
      spawnPlayer(w, 500, 500);
      for (let i = 0; i < 120; i++) runStep(w);
    }
    expect(hashWorldState(game)).toBe(hashWorldState(plain));
  });
});

describe('defineGame', () => {
  it('places systems at a phase, before and after named systems (several after one keep their order)', () => {
    const g = defineGame({
      name: 'g',
      systems: [
        { name: 'late', phase: 'jobs', run: noop },
        { name: 'a1', after: 'movement', run: noop },
        { name: 'a2', after: 'movement', run: noop },
        { name: 'b', before: 'movement', run: noop },
        { name: 'first', before: 'ingest', run: noop },
      ],
    });
    expect(g.pipeline.map((s) => s.name)).toEqual([
      'record',
      'first',
      'ingest',
      'time',
      'b',
      'movement',
      'a1',
      'a2',
      'late',
      'periodic',
      'replicate',
      'control',
    ]);
    expect(g.pipeline.find((s) => s.name === 'b')?.phase).toBe('physics');
  });

  it('lists every problem of a bad definition', () => {
    const problems = problemsOf(() =>
      defineGame({
        name: 'bad name!',
        components: [Health, Health],
        systems: [
          { name: 'x', before: 'nope', run: noop },
          { name: 'y', before: 'time', after: 'time', run: noop },
          { name: 'z', run: noop },
          { name: 'w', phase: 'physics', before: 'replicate', run: noop },
        ],
        messages: [
          defineMessage({ name: 'm', schema: Type.Object({}), apply: noop }),
          defineMessage({ name: 'm', schema: Type.Object({}), apply: noop }),
        ],
        replicate: { player: { hp: { component: Health, field: 'hpp' } }, '70000': {} },
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^game name/),
        'component Health is listed twice',
        expect.stringMatching(/^system "x": before unknown system "nope"/),
        'system "y": give before or after, not both',
        'system "z": give a phase, or before/after a named system',
        'system "w": phase physics disagrees with replicate\'s phase replicate',
        'message m is defined twice',
        'replicate.player.hp: component Health has no field "hpp"',
        'replicate.70000: kind must be "player" or an integer 0..65534',
      ]),
    );
  });

  it('refuses a bad component definition', () => {
    expect(problemsOf(() => defineComponent('C', { a: 'f16' as 'f32', b: { type: 'u8', default: Number.NaN } }))).toEqual([
      'component C.a: type must be one of f64, f32, i32, u32, i16, u16, i8, u8',
      'component C.b: default must be a finite number',
    ]);
  });
});

describe('game worlds', () => {
  const hit = defineMessage({
    name: 'hit',
    schema: Type.Object({ damage: Type.Integer({ minimum: 1, maximum: 50 }) }),
    apply: (world, player, { damage }) => {
      getStore(world, Health).hp[player] -= damage;
    },
  });
  const events: string[] = [];
  const game = defineGame({
    name: 'test',
    components: [Health],
    messages: [hit, defineMessage({ name: 'tags', schema: Type.Record(Type.String(), Type.Integer()), apply: () => {} })],
    systems: [
      {
        name: 'regen',
        after: 'movement',
        run: (world) => {
          const { hp, regen } = getStore(world, Health);
          const ents = query(world, [Health]);
          for (let i = 0; i < ents.length; i++) hp[ents[i]] = hp[ents[i]] + regen[ents[i]];
        },
      },
    ],
    replicate: { player: { hp: { component: Health, field: 'hp' } } },
    hooks: {
      populate: (world, setup) => {
        for (let i = 0; i < setup.npcs; i++) spawn(world, { kind: 3, x: i, y: i });
        events.push(`populate ${setup.npcs}`);
      },
      onWorldCreated: (w) => events.push(`created ${w.id}`),
      onWorldDeleted: (w) => events.push(`deleted ${w.id}`),
    },
  });
  const paused = { simulation: { pauseSimulation: true } };

  it('allocates stores on SharedArrayBuffer with defaults; addComponent resets recycled rows', () => {
    const w = createGameWorld(game, { id: 's', capacity: 4, config: paused });
    const h = getStore(w, Health);
    expect(h.hp).toBeInstanceOf(Uint16Array);
    expect(h.hp.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(h.hp.length).toBe(5);
    const e = spawn(w, { kind: 3, x: 1, y: 2 });
    addComponent(w, e, Health, { regen: 2 });
    expect([h.hp[e], h.regen[e], hasComponent(w, e, Health)]).toEqual([100, 2, true]);
    h.hp[e] = 7;
    despawn(w, e);
    expect(hasComponent(w, e, Health)).toBe(false);
    const f = spawn(w, { kind: 3, x: 1, y: 2 });
    expect(f).toBe(e);
    addComponent(w, f, Health);
    expect([h.hp[f], h.regen[f]]).toEqual([100, 0]);
    // Values built from JSON (a client's payload) write declared fields only: a key `constructor` wrote `Object[f]`.
    addComponent(w, f, Health, JSON.parse('{"constructor": 7, "__proto__": 8, "toString": 9, "regen": 3}'));
    expect([h.regen[f], (Object as unknown as Record<number, unknown>)[f], Object.hasOwn(Object.prototype, f)]).toEqual([
      3,
      undefined,
      false,
    ]);
    expect(() => getStore(createSimWorld({ id: 'plain', capacity: 2 }), Health)).toThrowError(
      expect.objectContaining({ code: ErrorCode.OPTION_INVALID }),
    );
    // A JavaScript caller's value that is no number (stored as NaN or 0 before): refused, the row untouched.
    h.regen[f] = 4;
    expect(() => addComponent(w, f, Health, { regen: 'fast' } as never)).toThrowError(
      /addComponent Health: regen must be a number \(got string\)/,
    );
    expect(h.regen[f]).toBe(4);
    // What is no component (a JavaScript caller's null, a number): coded, where each was a TypeError.
    for (const [what, call] of [
      ['getStore', () => getStore(w, null as never)],
      ['hasComponent', () => hasComponent(w, f, null as never)],
      ['removeComponent', () => removeComponent(w, f, 5 as never)],
      ['addComponent', () => addComponent(w, f, undefined as never)],
      ['query', () => query(w, [Health, null] as never)],
      ['query', () => query(w, Health as never)],
    ] as const)
      expect(call, what).toThrowError(expect.objectContaining({ code: ErrorCode.OPTION_INVALID, message: expect.stringContaining(what) }));
    expect(h.regen[f]).toBe(4);
    expect(() => spawn(w, { kind: 65535, x: 0, y: 0 })).toThrowError(/kind must be an integer 0..65534/);
    // Non-finite coordinates are refused (every problem listed); nothing is spawned.
    const before = query(w, [w.stores.Npc]).length;
    expect(() => spawn(w, { kind: 1, x: Number.NaN, y: 0, vy: Number.POSITIVE_INFINITY })).toThrowError(
      /spawn: x must be a finite number \(got NaN\); spawn: vy must be a finite number \(got Infinity\)/,
    );
    // A JavaScript caller's missing coordinate (stored as NaN before) or missing options (a TypeError before).
    expect(() => spawn(w, { kind: 1 } as never)).toThrowError(
      /spawn: x must be a finite number \(got undefined\); spawn: y must be a finite number \(got undefined\)/,
    );
    expect(() => spawn(w, null as never)).toThrowError(
      expect.objectContaining({ code: ErrorCode.OPTION_INVALID, message: expect.stringMatching(/options must be an object/) }),
    );
    expect(query(w, [w.stores.Npc]).length).toBe(before);
    expect(() => spawn(w, { kind: 1, x: 0, y: 0, replicate: 'no' as unknown as boolean })).toThrowError(
      /spawn: replicate must be a boolean \(got "no"\)/,
    );
    // A server-only entity has Position and Velocity, not Npc (what the interest grids hold).
    const only = spawn(w, { kind: 1, x: 0, y: 0, replicate: false });
    expect([hasComponent(w, only, w.stores.Position), hasComponent(w, only, w.stores.Npc)]).toEqual([true, false]);
    expect(query(w, [w.stores.Npc]).length).toBe(before);
    despawn(w, only);
    // A second despawn names the call and the world, as addComponent does (it said only `entity 5 does not exist`).
    expect(() => despawn(w, only)).toThrowError(
      expect.objectContaining({
        code: ErrorCode.ENTITY_NOT_FOUND,
        message: `despawn: entity ${only} does not exist in world s`,
        details: { eid: only },
      }),
    );
    // addComponent on a dead or invalid id is a coded error and leaves the dead row untouched.
    h.hp[e + 1] = 42;
    for (const id of [e + 1, 0, -1, 1.5, 1_000_000])
      expect(() => addComponent(w, id, Health)).toThrowError(expect.objectContaining({ code: ErrorCode.ENTITY_NOT_FOUND }));
    expect(h.hp[e + 1]).toBe(42);
  });

  it('runs populate, onWorldCreated and (once) onWorldDeleted; game systems run in the step', () => {
    events.length = 0;
    const w: GameWorld = createGameWorld(game, { id: 'h', capacity: 10, npcs: 3, config: paused });
    expect(events).toEqual(['populate 3', 'created h']);
    expect(query(w, [w.stores.Npc]).length).toBe(3);
    const p = spawnPlayer(w, 1, 1);
    addComponent(w, p, Health, { regen: 1 });
    expect(stepWorld(w, 2)).toBe(2);
    expect(getStore(w, Health).hp[p]).toBe(102);
    // A fraction or a negative count is refused (it used to run ceil(n) steps, or none, and return n).
    for (const n of [-1, 1.5, Number.NaN]) expect(() => stepWorld(w, n)).toThrowError(/stepWorld: n must be an integer >= 0/);
    expect(w.clock.step).toBe(2);
    expect(stepWorld(w, 0)).toBe(0);
    deleteGameWorld(w);
    deleteGameWorld(w);
    expect(events).toEqual(['populate 3', 'created h', 'deleted h']);
  });

  it('checks a message at the edge, applies it in the next step, ignores one from a previous owner', () => {
    const w = createGameWorld(game, { id: 'm', capacity: 10, config: paused });
    const p = spawnPlayer(w, 1, 1);
    w.stores.Player.session[playerRow(w.stores, p)] = 7;
    addComponent(w, p, Health);
    expect(pushGameMessage(w, p, 7, 'hit', { damage: 0 })).toMatchObject({
      ok: false,
      code: WireErrorCode.BAD_FIELD,
      strike: true,
      message: expect.stringMatching(/^hit: \/damage /),
    });
    const unknown = pushGameMessage(w, p, 7, 'heal', {});
    expect(unknown).toMatchObject({ ok: false, code: WireErrorCode.UNKNOWN_TYPE, strike: true });
    // An error never carries what the client sent (docs/PROTOCOL.md): not an unknown name, and a
    // field path naming a client's key is cut to 64 printable ASCII characters.
    expect(unknown.ok === false && unknown.message).not.toContain('heal');
    const key = `${'k'.repeat(100)}\u0000é`;
    const bad = pushGameMessage(w, p, 7, 'tags', { [key]: 'x' });
    expect(bad).toMatchObject({ ok: false, code: WireErrorCode.BAD_FIELD });
    const path = bad.ok === false ? bad.message.split(' ')[1] : '';
    expect(path).toBe(`/${'k'.repeat(60)}...`);
    expect(pushGameMessage(w, p, 7, 'tags', { 'a\u0001b': 1.5 })).toMatchObject({ message: expect.stringMatching(/^tags: \/a\?b /) });
    expect(pushGameMessage(w, p, 7, 'hit', { damage: 5 })).toEqual({ ok: true });
    expect(pushGameMessage(w, p, 6, 'hit', { damage: 9 })).toEqual({ ok: true });
    expect(getStore(w, Health).hp[p]).toBe(100); // nothing applied outside a step
    stepWorld(w, 1);
    expect(getStore(w, Health).hp[p]).toBe(95);
    expect(w.game?.counters).toEqual({ accepted: 2, refused: 4, dropped: 0 });
  });
});

describe('arena example systems and the game state hash', () => {
  it('a player pushes a crate it walks into; the hash covers game stores and is reproducible', async () => {
    const { arena, Crate, Health } = await import('../../../examples/arena/game.js');
    const run = (hp: number): { moved: number; hash: string } => {
      const w = createGameWorld(arena, {
        id: 'a',
        capacity: 50,
        size: 200,
        npcs: 0,
        seed: 5,
        config: { simulation: { pauseSimulation: true }, controller: { enabled: false } },
      });
      const crate = spawn(w, { kind: 1, x: 100, y: 100 });
      addComponent(w, crate, Crate);
      const p = spawnPlayer(w, 98, 100);
      addComponent(w, p, Health, { hp });
      stepWorld(w, 10);
      return { moved: w.stores.Position.x[crate] - 100, hash: hashWorldState(w) };
    };
    const a = run(100);
    expect(a.moved).toBeGreaterThan(0.5); // shoved east, away from the player, then slowed by friction
    expect(run(100).hash).toBe(a.hash);
    expect(run(99).hash).not.toBe(a.hash); // a game store differs
  });
});
