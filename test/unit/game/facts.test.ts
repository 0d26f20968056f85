/**
 * Game facts (src/game/facts.ts): `deliverToWorld` from outside the step queues a JSON copy of the
 * payload, applied by the fact's handler in the next step's ingest phase, in delivery order across
 * names; the payload is frozen; a bad call throws `WT_ERR_GAME_FACT_INVALID` and queues nothing; a
 * full name refuses (false, counted); a throwing handler is counted and the world goes on; a
 * world marked as a replay queues nothing. `defineGame` lists bad fact declarations.
 */
import { describe, expect, it } from 'vitest';
import {
  defineComponent,
  defineFact,
  defineGame,
  deliverToWorld,
  ErrorCode,
  gameFactStats,
  getStore,
  hashWorldState,
  type GameWorld,
} from '../../../src/index.js';
import { createGameWorld } from '../../../src/game/world.js';
import { runStep } from '../../../src/world/step.js';
import type { SimWorld } from '../../../src/world/sim-world.js';

const stepWorld = (w: SimWorld, n: number): void => {
  for (let i = 0; i < n; i++) runStep(w);
};

const Tally = defineComponent('Tally', { n: 'u32' });

interface Note {
  tag: string;
  n: number;
}

const makeGame = (log: string[], opts: { throwOn?: string } = {}) => {
  const note = defineFact<Note>({
    name: 'note',
    capacity: 3,
    maxBytes: 64,
    apply: (world: GameWorld, p: Note) => {
      if (p.tag === opts.throwOn) throw new Error('handler failed');
      log.push(`note:${p.tag}@${world.clock.step}`);
      getStore(world, Tally).n[0] += p.n;
    },
  });
  const ping = defineFact<{ tag: string }>({
    name: 'ping',
    apply: (world, p) => {
      log.push(`ping:${p.tag}@${world.clock.step}`);
      // A frozen copy: the handler cannot change what the log recorded.
      expect(Object.isFrozen(p)).toBe(true);
    },
  });
  return {
    note,
    ping,
    game: defineGame({ name: 'facts-test', components: [Tally], facts: [note, ping] }),
  };
};

describe('deliverToWorld', () => {
  it('applies facts in the next step, in delivery order across names, with a copy of the payload', async () => {
    const log: string[] = [];
    const { game, note, ping } = makeGame(log);
    const w = createGameWorld(game, { id: 'f1', capacity: 16 });
    const payload = { tag: 'a', n: 2 };
    // From a promise callback, between steps (the usual caller: an async result).
    await Promise.resolve().then(() => {
      expect(deliverToWorld(w, note, payload)).toBe(true);
      expect(deliverToWorld(w, 'ping', { tag: 'b' })).toBe(true);
      expect(deliverToWorld(w, note, { tag: 'c', n: 5 })).toBe(true);
    });
    payload.n = 1000; // changed after delivery: the copy is applied
    expect(gameFactStats(w)?.pending).toEqual({ note: 2, ping: 1 });
    expect(log).toEqual([]);
    stepWorld(w, 1);
    expect(log).toEqual(['note:a@0', 'ping:b@0', 'note:c@0']);
    expect(getStore(w, Tally).n[0]).toBe(7);
    expect(gameFactStats(w)).toMatchObject({ delivered: 3, applied: 3, full: 0, invalid: 0, pending: { note: 0, ping: 0 } });
    // Delivered inside a step (a system, a handler): applied in the next step.
    deliverToWorld(w, ping, { tag: 'd' });
    stepWorld(w, 1);
    expect(log.slice(3)).toEqual(['ping:d@1']);
  });

  it('refuses bad calls with WT_ERR_GAME_FACT_INVALID and queues nothing', () => {
    const { game, note } = makeGame([]);
    const w = createGameWorld(game, { id: 'f2', capacity: 16 });
    const bad: Array<[unknown, unknown, RegExp]> = [
      ['nope', {}, /not a fact of the game/],
      [note, { tag: 'x', n: Number.NaN }, /finite/],
      [note, { tag: 'x', f: () => 1 }, /function/],
      [note, new Map([[1, 2]]), /plain objects/],
      [note, { tag: 'x'.repeat(100), n: 1 }, /over 64 bytes/],
      [note, JSON.parse('{"__proto__": {"x": 1}}'), /__proto__/],
      [42, {}, /fact definition or its name/],
    ];
    for (const [f, p, msg] of bad) {
      let err: unknown;
      try {
        deliverToWorld(w, f as never, p as never);
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: ErrorCode.GAME_FACT_INVALID });
      expect(String((err as Error).message)).toMatch(msg);
    }
    expect(gameFactStats(w)).toMatchObject({ delivered: 0, invalid: 6, pending: { note: 0, ping: 0 } });
    const noFacts = createGameWorld(defineGame({ name: 'plain' }), { id: 'f3', capacity: 8 });
    expect(() => deliverToWorld(noFacts, 'note', {})).toThrow(/declares no facts/);
    expect(gameFactStats(noFacts)).toBeNull();
  });

  it('bounds each name: one more than capacity is refused (false, counted) until a step applies them', () => {
    const log: string[] = [];
    const { game, note, ping } = makeGame(log);
    const w = createGameWorld(game, { id: 'f4', capacity: 16 });
    for (let i = 0; i < 3; i++) expect(deliverToWorld(w, note, { tag: `n${i}`, n: 1 })).toBe(true);
    expect(deliverToWorld(w, note, { tag: 'n3', n: 1 })).toBe(false);
    expect(deliverToWorld(w, ping, { tag: 'other name' })).toBe(true); // another name has its own bound
    expect(gameFactStats(w)).toMatchObject({ delivered: 4, full: 1 });
    stepWorld(w, 1);
    expect(log).toEqual(['note:n0@0', 'note:n1@0', 'note:n2@0', 'ping:other name@0']);
    expect(deliverToWorld(w, note, { tag: 'n4', n: 1 })).toBe(true);
  });

  it('a throwing handler is counted and discarded; the facts after it apply and the world is not faulted', () => {
    const log: string[] = [];
    const { game, note } = makeGame(log, { throwOn: 'boom' });
    const w = createGameWorld(game, { id: 'f5', capacity: 16 });
    deliverToWorld(w, note, { tag: 'boom', n: 1 });
    deliverToWorld(w, note, { tag: 'after', n: 4 });
    stepWorld(w, 1);
    expect(log).toEqual(['note:after@0']);
    expect(getStore(w, Tally).n[0]).toBe(4);
    expect(gameFactStats(w)).toMatchObject({ applied: 2, failed: 1 });
    expect(w.clock.step).toBe(1);
  });

  it('a world that is a replay queues nothing (the log holds the facts), counted', () => {
    const log: string[] = [];
    const { game, note } = makeGame(log);
    const w = createGameWorld(game, { id: 'f6', capacity: 16 });
    const before = hashWorldState(w);
    if (!w.game) throw new Error('no game');
    w.game.replay = { eidOf: new Map(), playerOf: new Map() };
    expect(deliverToWorld(w, note, { tag: 'late', n: 9 })).toBe(true);
    expect(() => deliverToWorld(w, note, { tag: 'x', n: Number.POSITIVE_INFINITY })).toThrow(/finite/); // still checked
    stepWorld(w, 1);
    expect(log).toEqual([]);
    expect(gameFactStats(w)).toMatchObject({ delivered: 0, discardedInReplay: 1 });
    expect(hashWorldState(w)).not.toBe(before); // the step ran (clock), nothing else changed
    expect(getStore(w, Tally).n[0]).toBe(0);
  });
});

describe('defineGame facts', () => {
  it('lists every bad declaration in one WT_ERR_OPTION_INVALID', () => {
    const apply = (): void => {};
    let err: unknown;
    try {
      defineGame({
        name: 'bad-facts',
        facts: [
          { name: 'ok', apply },
          { name: 'ok', apply },
          { name: 'has space', apply },
          { name: 'noapply' } as never,
          { name: 'cap', apply, capacity: 0 },
          { name: 'bytes', apply, maxBytes: 1_000_000 },
        ],
      });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: ErrorCode.OPTION_INVALID });
    const problems = (err as { details: { problems: string[] } }).details.problems;
    expect(problems).toEqual([
      'facts[1]: fact ok is defined twice',
      'facts[2].name must be 1-64 characters of A-Z a-z 0-9 _ . : -',
      'facts[3].apply must be a function',
      'facts[4].capacity must be an integer between 1 and 65536',
      'facts[5].maxBytes must be an integer between 16 and 65536',
    ]);
  });
});
