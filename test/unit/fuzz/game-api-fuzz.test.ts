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
  broadcast,
  broadcastNear,
  clearWorldTimer,
  defineComponent,
  defineGame,
  deliverToWorld,
  deletePlayerData,
  despawn,
  gameFactStats,
  getStore,
  getWorldData,
  grantPlayerReward,
  hasComponent,
  hashWorldState,
  isPlayerConnected,
  isSpectator,
  kickPlayer,
  loadPlayerData,
  pauseWorld,
  pendingWorldTimers,
  playerActions,
  playerCoins,
  playerEntityOf,
  playerIdOf,
  playerItemCount,
  purchaseForPlayer,
  query,
  removeComponent,
  resumeWorld,
  savePlayerData,
  sendToPlayer,
  setSpectator,
  setWorldData,
  setWorldTimer,
  spawn,
  stepWorld,
  Type,
  updatePlayerData,
} from '../../../src/index.js';
import { WorldtickError } from '../../../src/errors.js';
import { createGameWorld } from '../../../src/game/world.js';
import type { SimWorld } from '../../../src/world/sim-world.js';
import { spawnPlayer } from '../../../src/world/spawn.js';
import { EDGE_NUMBERS, fuzzScale, fuzzSeed, jsonValue, type Rng, withSeed } from '../../fuzz-helpers/rng.js';

const CALLS = Math.round(4000 * fuzzScale());

const Hp = defineComponent('FzApiHp', { hp: 'u16', mana: 'f32' });
const Tag = defineComponent('FzApiTag', { on: 'u8' });
const NotInGame = defineComponent('FzApiOther', { v: 'i32' });
const note = { name: 'note', schema: Type.Object({ text: Type.String({ maxLength: 16 }) }) };
const fact = { name: 'found', apply: () => undefined };

const game = defineGame({
  name: 'fz-api',
  components: [Hp, Tag],
  serverMessages: [note],
  facts: [fact],
  timers: [{ name: 'once', run: () => undefined }],
  catalogue: [{ id: 'sword', price: 5 }],
});

/** Any value a JavaScript caller could put somewhere. */
const junk = (rng: Rng): unknown =>
  rng.pick<() => unknown>([
    () => undefined,
    () => null,
    () => rng.pick(EDGE_NUMBERS),
    () => rng.pick(['', 'x', 'toString', '__proto__', 'constructor', '1', 'once', 'note', 'found', 'sword']),
    () => [],
    () => ({}),
    () => () => undefined,
    () => true,
    () => jsonValue(rng, 2),
    () => Hp,
    () => NotInGame,
    () => Symbol('s'),
    () => 10n,
    () => ({ toString: [] }),
    () => Object.create(null),
    () => ({ valueOf: () => 3, toString: () => 'three' }),
  ])();

interface Ctx {
  readonly world: SimWorld;
  /** Entities spawned so far (some despawned since: dead or recycled ids). */
  readonly eids: number[];
  readonly players: number[];
}

/** An entity id: mostly a live or once-live one, sometimes anything. */
const eidOf = (rng: Rng, c: Ctx): unknown =>
  rng.chance(0.7)
    ? rng.pick(rng.chance(0.5) && c.players.length ? c.players : c.eids.length ? c.eids : [1])
    : rng.pick<unknown>([0, -1, c.world.capacity, c.world.capacity + 1, 1.5, Number.NaN, '1', null, junk(rng)]);
const maybe = <T>(rng: Rng, good: () => T): unknown => (rng.chance(0.6) ? good() : junk(rng));
const anyOf = (rng: Rng): unknown => maybe(rng, () => rng.pick<unknown>([Hp, Tag, 'FzApiHp', NotInGame]));
const num = (rng: Rng, lo: number, hi: number): unknown => maybe(rng, () => rng.int(lo, hi));

type Call = (rng: Rng, c: Ctx) => unknown;
/** `read`: a call that must never change the world. */
const API: Array<{ name: string; read?: true; call: Call }> = [
  {
    name: 'spawn',
    call: (rng, c) => {
      const eid = spawn(c.world, maybe(rng, () => ({ kind: rng.int(0, 3), x: rng.int(0, 500), y: rng.int(0, 500) })) as never);
      c.eids.push(eid);
      return eid;
    },
  },
  { name: 'despawn', call: (rng, c) => despawn(c.world, eidOf(rng, c) as number) },
  {
    name: 'addComponent',
    call: (rng, c) =>
      addComponent(c.world, eidOf(rng, c) as number, anyOf(rng) as typeof Hp, maybe(rng, () => ({ hp: rng.int(0, 70_000) })) as never),
  },
  { name: 'removeComponent', call: (rng, c) => removeComponent(c.world, eidOf(rng, c) as number, anyOf(rng) as typeof Hp) },
  { name: 'hasComponent', read: true, call: (rng, c) => hasComponent(c.world, eidOf(rng, c) as number, anyOf(rng) as typeof Hp) },
  { name: 'getStore', read: true, call: (rng, c) => getStore(c.world, anyOf(rng) as typeof Hp) },
  { name: 'query', read: true, call: (rng, c) => [...query(c.world, maybe(rng, () => [anyOf(rng)]) as never)] },
  {
    name: 'sendToPlayer',
    call: (rng, c) =>
      sendToPlayer(c.world as never, eidOf(rng, c) as number, maybe(rng, () => note) as never, maybe(rng, () => ({ text: 'hi' })) as never),
  },
  {
    name: 'broadcast',
    call: (rng, c) => broadcast(c.world as never, maybe(rng, () => note) as never, maybe(rng, () => ({ text: 'hi' })) as never),
  },
  {
    name: 'broadcastNear',
    call: (rng, c) =>
      broadcastNear(
        c.world as never,
        maybe(rng, () => (rng.chance(0.5) ? rng.pick(c.eids.length ? c.eids : [1]) : { x: rng.int(0, 500), y: rng.int(0, 500) })) as never,
        maybe(rng, () => note) as never,
        maybe(rng, () => ({ text: 'hi' })) as never,
      ),
  },
  {
    name: 'setWorldTimer',
    call: (rng, c) => setWorldTimer(c.world as never, num(rng, 0, 30) as number, maybe(rng, () => 'once') as string, jsonValue(rng, 2)),
  },
  { name: 'clearWorldTimer', call: (rng, c) => clearWorldTimer(c.world as never, num(rng, 0, 20) as number) },
  { name: 'pendingWorldTimers', read: true, call: (_rng, c) => pendingWorldTimers(c.world as never) },
  { name: 'getWorldData', read: true, call: (_rng, c) => getWorldData(c.world) },
  {
    name: 'setWorldData',
    call: (rng, c) =>
      setWorldData(
        c.world,
        maybe(rng, () => jsonValue(rng, 3)),
      ),
  },
  { name: 'deliverToWorld', call: (rng, c) => deliverToWorld(c.world as never, maybe(rng, () => fact) as never, jsonValue(rng, 2)) },
  { name: 'gameFactStats', read: true, call: (_rng, c) => gameFactStats(c.world as never) },
  { name: 'playerCoins', read: true, call: (rng, c) => playerCoins(c.world as never, eidOf(rng, c) as number) },
  {
    name: 'playerItemCount',
    read: true,
    call: (rng, c) => playerItemCount(c.world as never, eidOf(rng, c) as number, maybe(rng, () => 'sword') as string),
  },
  { name: 'playerActions', read: true, call: (rng, c) => playerActions(c.world as never, eidOf(rng, c) as number) },
  { name: 'isSpectator', read: true, call: (rng, c) => isSpectator(c.world as never, eidOf(rng, c) as number) },
  {
    name: 'setSpectator',
    call: (rng, c) => setSpectator(c.world as never, eidOf(rng, c) as number, maybe(rng, () => rng.chance(0.5)) as boolean),
  },
  { name: 'isPlayerConnected', read: true, call: (rng, c) => isPlayerConnected(c.world as never, eidOf(rng, c) as number) },
  {
    name: 'kickPlayer',
    call: (rng, c) => kickPlayer(c.world as never, eidOf(rng, c) as number, maybe(rng, () => ({ reason: 'bye' })) as never),
  },
  { name: 'playerIdOf', read: true, call: (rng, c) => playerIdOf(c.world as never, eidOf(rng, c) as number) },
  { name: 'playerEntityOf', read: true, call: (rng, c) => playerEntityOf(c.world as never, maybe(rng, () => 'p1') as string) },
  {
    name: 'grantPlayerReward',
    call: (rng, c) =>
      grantPlayerReward(
        c.world as never,
        eidOf(rng, c) as number,
        maybe(rng, () => ({ key: `k${rng.int(0, 9)}`, coins: rng.int(0, 9) })) as never,
      ),
  },
  {
    name: 'purchaseForPlayer',
    call: (rng, c) =>
      purchaseForPlayer(
        c.world as never,
        eidOf(rng, c) as number,
        maybe(rng, () => ({ key: `b${rng.int(0, 9)}`, item: 'sword', price: rng.int(0, 9) })) as never,
      ),
  },
  {
    name: 'loadPlayerData',
    call: (rng, c) => loadPlayerData(c.world as never, eidOf(rng, c) as number, maybe(rng, () => 'profile') as string),
  },
  {
    name: 'savePlayerData',
    call: (rng, c) =>
      savePlayerData(
        c.world as never,
        eidOf(rng, c) as number,
        maybe(rng, () => 'profile') as string,
        jsonValue(rng, 2),
        junk(rng) as never,
      ),
  },
  {
    name: 'updatePlayerData',
    call: (rng, c) =>
      updatePlayerData(
        c.world as never,
        eidOf(rng, c) as number,
        maybe(rng, () => 'profile') as string,
        maybe(rng, () => (v: unknown) => v) as never,
      ),
  },
  {
    name: 'deletePlayerData',
    call: (rng, c) =>
      deletePlayerData(c.world as never, eidOf(rng, c) as number, maybe(rng, () => 'profile') as string, junk(rng) as never),
  },
  { name: 'pauseWorld', call: (_rng, c) => pauseWorld(c.world) },
  { name: 'resumeWorld', call: (_rng, c) => resumeWorld(c.world) },
  {
    name: 'stepWorld',
    call: (rng, c) => stepWorld(c.world, rng.pick<unknown>([0, 1, 2, -1, 1.5, Number.NaN, Infinity, '1', null]) as number),
  },
];

/** Settle a returned promise within 5 s (a call's promise that never settles is a finding too). */
const settle = async (v: unknown): Promise<{ ok: true } | { ok: false; err: unknown }> => {
  if (!(v instanceof Promise)) return { ok: true };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the promise did not settle within 5 s')), 5000);
  });
  try {
    await Promise.race([v, timeout]);
    return { ok: true };
  } catch (err) {
    return { ok: false, err };
  } finally {
    clearTimeout(timer);
  }
};

const coded = (err: unknown): boolean => err instanceof WorldtickError && /^WT_ERR_[A-Z_]+$/.test(err.code);

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

  it(`${CALLS} calls: each returns or throws a coded error; a refusal and a read change nothing; the world steps after each`, async () => {
    const seed = fuzzSeed(2026_12_07);
    await withSeed('game-api', seed, async (rng, at) => {
      const c = fuzzWorld();
      const world = c.world;
      for (let i = 0; i < CALLS; i++) {
        const api = rng.pick(API);
        at.at = `call ${i} (${api.name})`;
        const before = hashWorldState(world);
        let refused: unknown = null;
        try {
          const out = await settle(api.call(rng, c));
          if (!out.ok) refused = out.err;
        } catch (err) {
          refused = err;
        }
        if (refused !== null) {
          expect(
            coded(refused),
            `${api.name} threw ${refused instanceof Error ? `${refused.name}: ${refused.message}` : String(refused)}`,
          ).toBe(true);
          expect(hashWorldState(world), `${api.name} refused (${(refused as WorldtickError).code}) but changed the world`).toBe(before);
        } else if (api.read) expect(hashWorldState(world), `${api.name} is a read but changed the world`).toBe(before);
        if (!world.clock.paused) pauseWorld(world);
        stepWorld(world, 1);
        // The pool of ids stays small: a full world refuses spawns (coded), which is fine, but should not be all it does.
        if (c.eids.length > 40) c.eids.splice(0, 20);
      }
    });
  }, 60_000);
});
