/**
 * Fuzz: the game API's functions (src/index.ts) called on a real game world as a studio writing
 * JavaScript could call them — an entity id that is a fraction, a string, a dead or recycled id, a
 * component or message that is not the game's, a payload of any JSON, a number at the edges. The world
 * argument is always a world (the engine hands every hook and system its own; docs/GAME-API.md).
 *
 * Each call returns, or throws (or rejects with) a `WorldtickError` with a `WT_ERR_` code — never a
 * TypeError, RangeError or another uncoded error. A refused call changes nothing: the world's state hash
 * (entities, components, game stores, timers, world data) is the same after it. A read (`hasComponent`,
 * `playerCoins`, `isSpectator`, `getWorldData`, ...) changes nothing either way. After every call the
 * world steps (`stepWorld`) without faulting: nothing a call accepted poisons a later step.
 *
 * Found by it (stop 66), each in KNOWN_BAD: `removeComponent` and `despawn` of an id that is no live
 * entity (null, a dead id, a BigInt) threw bitecs's plain Error or a TypeError (now `WT_ERR_ENTITY_NOT_FOUND`
 * as `addComponent`); messages that showed a caller's value with a template or `String()` threw a
 * TypeError for a Symbol, a BigInt or an object whose `toString` is no function (`setWorldTimer`,
 * `setSpectator`, `addComponent`, `kickPlayer`; now `shown`, src/core/shown.ts); `setSpectator` took any
 * truthy value as `true` (now a boolean or `WT_ERR_OPTION_INVALID`).
 */
import { describe, expect, it } from 'vitest';
import {
  addComponent,
  despawn,
  hashWorldState,
  kickPlayer,
  pauseWorld,
  removeComponent,
  setSpectator,
  setWorldTimer,
  spawn,
} from '../../../src/index.js';
import { createGameWorld } from '../../../src/game/world.js';
import { spawnPlayer } from '../../../src/world/spawn.js';
import { shown } from '../../../src/core/shown.js';
import type { WorldtickError } from '../../../src/errors.js';
import { API, coded, type Ctx, fuzzCalls, game, Hp } from '../../fuzz-helpers/game-api.js';
import { fuzzScale, fuzzSeed, withSeed, fuzzTimeout } from '../../fuzz-helpers/rng.js';

const CALLS = Math.round(4000 * fuzzScale());

/** Calls that failed before the fixes above: each must now be refused with its code, the world unchanged. */
const KNOWN_BAD: ReadonlyArray<[string, string, (c: Ctx) => unknown]> = [
  ['removeComponent of null', 'WT_ERR_ENTITY_NOT_FOUND', (c) => removeComponent(c.world, null as never, Hp)],
  ['removeComponent of a dead id', 'WT_ERR_ENTITY_NOT_FOUND', (c) => removeComponent(c.world, c.world.capacity, Hp)],
  ['despawn of a BigInt', 'WT_ERR_ENTITY_NOT_FOUND', (c) => despawn(c.world, 10n as never)],
  ['setWorldTimer named by a BigInt', 'WT_ERR_TIMER_INVALID', (c) => setWorldTimer(c.world as never, 1, 10n as never)],
  ['setWorldTimer delayed by an object', 'WT_ERR_TIMER_INVALID', (c) => setWorldTimer(c.world as never, { toString: [] } as never, 'once')],
  ['setSpectator of a Symbol', 'WT_ERR_ENTITY_NOT_FOUND', (c) => setSpectator(c.world as never, Symbol('p') as never, true)],
  ['setSpectator with "no"', 'WT_ERR_OPTION_INVALID', (c) => setSpectator(c.world as never, c.players[0], 'no' as never)],
  ['addComponent to a Symbol', 'WT_ERR_ENTITY_NOT_FOUND', (c) => addComponent(c.world, Symbol('e') as never, Hp)],
  ['kickPlayer of a Symbol', 'WT_ERR_ENTITY_NOT_FOUND', (c) => kickPlayer(c.world as never, Symbol('p') as never)],
];

/** A paused world of the game with six players and eight entities. */
const fuzzWorld = (): Ctx => {
  const world = createGameWorld(game, { id: 'fz', capacity: 48, seed: 7 });
  pauseWorld(world);
  const c: Ctx = { world, eids: [], players: [] };
  for (let i = 0; i < 6; i++) c.players.push(spawnPlayer(world, 100 + i * 10, 100));
  for (let i = 0; i < 8; i++) c.eids.push(spawn(world, { kind: i % 3, x: 50 * i, y: 50 }));
  return c;
};

describe('fuzz: the game API called with what a JavaScript caller could pass', () => {
  it('the calls found failing are refused with their code, the world unchanged', () => {
    const c = fuzzWorld();
    for (const [what, code, call] of KNOWN_BAD) {
      const before = hashWorldState(c.world);
      expect(() => call(c), what).toThrow(expect.objectContaining({ code }));
      expect(hashWorldState(c.world), what).toBe(before);
    }
  });

  // Before stop 66 a world that was none threw `Cannot read properties of null (reading 'game')` and the like.
  it('every function given something that is no world refuses it with a code naming the function', async () => {
    await withSeed('game-api-no-world', fuzzSeed(2026_12_07), async (rng, at) => {
      for (const notWorld of [undefined, null, 5, '1', {}, { id: '1' }, Symbol('w'), 10n, [], () => undefined, { toString: [] }]) {
        for (const api of API) {
          at.at = `${api.name} given ${shown(notWorld)}`;
          const c = { world: notWorld, eids: [1], players: [1] } as unknown as Ctx;
          let err: unknown = null;
          try {
            const out = api.call(rng, c);
            if (out instanceof Promise) await out.catch((e: unknown) => (err = e));
          } catch (e) {
            err = e;
          }
          expect(coded(err), `${api.name} given ${shown(notWorld)}: ${String((err as Error | null)?.message)}`).toBe(true);
          if (!api.name.startsWith('serverWorlds.'))
            expect((err as WorldtickError).message).toContain(`${api.name}: world must be a world`);
        }
      }
    });
  });

  it(`${CALLS} calls: each returns or throws a coded error; a refusal and a read change nothing; the world steps after each`, {
    timeout: fuzzTimeout(60_000),
  }, async () => {
    const seed = fuzzSeed(2026_12_07);
    await withSeed('game-api', seed, (rng, at) => fuzzCalls(rng, at, fuzzWorld(), CALLS));
  });
});
