/**
 * The game API fuzz's parts (test/unit/fuzz/game-api-fuzz.test.ts on a world of its own,
 * test/integration/fuzz/game-api-server-fuzz.test.ts on a running server's world): the game, what a
 * JavaScript caller could pass, and each function of the API called with it.
 */
import { expect } from 'vitest';
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
  serverWorlds,
  savePlayerData,
  sendToPlayer,
  setSpectator,
  setWorldData,
  setWorldTimer,
  spawn,
  stepWorld,
  Type,
  updatePlayerData,
} from '../../src/index.js';
import { WorldtickError } from '../../src/errors.js';
import { shown } from '../../src/core/shown.js';
import type { SimWorld } from '../../src/world/sim-world.js';
import { callerValue, jsonValue, type Rng } from './rng.js';

export const Hp = defineComponent('FzApiHp', { hp: 'u16', mana: 'f32' });
export const Tag = defineComponent('FzApiTag', { on: 'u8' });
export const NotInGame = defineComponent('FzApiOther', { v: 'i32' });
const note = { name: 'note', schema: Type.Object({ text: Type.String({ maxLength: 16 }) }) };
const fact = { name: 'found', apply: () => undefined };

export const game = defineGame({
  name: 'fz-api',
  components: [Hp, Tag],
  serverMessages: [note],
  facts: [fact],
  timers: [{ name: 'once', run: () => undefined }],
  catalogue: [{ id: 'sword', price: 5 }],
  startingCoins: 50,
  world: { npcs: 0, physics: 'off' },
});

/** Any value a JavaScript caller could put somewhere (among them the game's names and another game's component). */
export const junk = (rng: Rng): unknown => callerValue(rng, ['once', 'note', 'found', 'sword'], [() => Hp, () => NotInGame]);

export interface Ctx {
  readonly world: SimWorld;
  /** Entities spawned so far (some despawned since: dead or recycled ids). */
  readonly eids: number[];
  readonly players: number[];
}

/** An entity id: mostly a live or once-live one, sometimes anything. */
const eidOf = (rng: Rng, c: Ctx): unknown =>
  rng.chance(0.7)
    ? rng.pick(rng.chance(0.5) && c.players.length ? c.players : c.eids.length ? c.eids : [1])
    : rng.pick<unknown>([0, -1, capacityOf(c), capacityOf(c) + 1, 1.5, Number.NaN, '1', null, junk(rng)]);
/** The world's capacity (64 where the fuzz passes something that is no world). */
const capacityOf = (c: Ctx): number => (c.world as { capacity?: number } | null)?.capacity ?? 64;
const maybe = <T>(rng: Rng, good: () => T): unknown => (rng.chance(0.6) ? good() : junk(rng));
const anyOf = (rng: Rng): unknown => maybe(rng, () => rng.pick<unknown>([Hp, Tag, 'FzApiHp', NotInGame]));
const num = (rng: Rng, lo: number, hi: number): unknown => maybe(rng, () => rng.int(lo, hi));

/** A player-data call's world, player and key: mostly good, sometimes anything. */
const dataTarget = (rng: Rng, c: Ctx) => [c.world as never, eidOf(rng, c) as number, maybe(rng, () => 'profile') as string] as const;
/** A player-data write's options: an expected version, or anything. */
const writeOptions = (rng: Rng): never => maybe(rng, () => ({ version: rng.pick<number | 'any'>(['any', 0, 1, 2]) })) as never;

type Call = (rng: Rng, c: Ctx) => unknown;
/** `read`: a call that must never change the world. */
export const API: Array<{ name: string; read?: true; call: Call }> = [
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
        maybe(rng, () => ({ key: `b${rng.int(0, 9)}`, item: 'sword', quantity: rng.int(0, 3), expectedPrice: rng.int(4, 6) })) as never,
      ),
  },
  {
    name: 'loadPlayerData',
    call: (rng, c) => loadPlayerData(...dataTarget(rng, c)),
  },
  {
    name: 'savePlayerData',
    call: (rng, c) => savePlayerData(...dataTarget(rng, c), jsonValue(rng, 2), writeOptions(rng)),
  },
  {
    name: 'updatePlayerData',
    call: (rng, c) => updatePlayerData(...dataTarget(rng, c), maybe(rng, () => (v: unknown) => v) as never),
  },
  {
    name: 'deletePlayerData',
    call: (rng, c) => deletePlayerData(...dataTarget(rng, c), writeOptions(rng)),
  },
  {
    name: 'serverWorlds.create',
    call: (rng, c) =>
      serverWorlds(c.world).create(
        maybe(rng, () => ({ id: `m${rng.int(0, 5)}`, npcs: rng.int(0, 20), ...(rng.chance(0.3) ? { capacity: junk(rng) } : {}) })) as never,
        maybe(rng, () => ({ placement: rng.pick(['local', 'least-loaded']) })) as never,
      ),
  },
  {
    name: 'serverWorlds.delete',
    call: (rng, c) => serverWorlds(c.world).delete(maybe(rng, () => rng.pick(['1', 'm0', 'm1', 'nope'])) as string),
  },
  { name: 'serverWorlds.list', call: (_rng, c) => serverWorlds(c.world).list() },
  { name: 'pauseWorld', call: (_rng, c) => pauseWorld(c.world) },
  { name: 'resumeWorld', call: (_rng, c) => resumeWorld(c.world) },
  {
    name: 'stepWorld',
    call: (rng, c) => stepWorld(c.world, rng.pick<unknown>([0, 1, 2, -1, 1.5, Number.NaN, Infinity, '1', null]) as number),
  },
];

/**
 * Settle a call's promise within 5 s of wall time, stepping the (paused) world meanwhile: a purchase or
 * reward resolves once applied to the wallet, in a step. A promise that never settles is a finding too.
 */
export const settleStepping = async (p: Promise<unknown>, world: SimWorld): Promise<{ ok: true } | { ok: false; err: unknown }> => {
  let done: { ok: true } | { ok: false; err: unknown } | null = null;
  p.then(
    () => {
      done = { ok: true };
    },
    (err: unknown) => {
      done = { ok: false, err };
    },
  );
  const until = Date.now() + 5000;
  while (done === null && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 1));
    if (done === null) {
      if (!world.clock.paused) pauseWorld(world);
      stepWorld(world, 1);
    }
  }
  return done ?? { ok: false, err: new Error('the promise did not settle within 5 s') };
};

const describe = (err: unknown): string => (err instanceof Error ? `${err.name}: ${err.message}` : shown(err));

export const coded = (err: unknown): boolean => err instanceof WorldtickError && /^WT_ERR_[A-Z_]+$/.test(err.code);

/**
 * `n` calls of random API functions on `c.world` (paused): each returns or throws a coded error (a promise
 * resolves, or rejects with one); a refusal thrown and a read leave the world's state hash as it was; the world
 * steps once after each (`stepWorld`), and while a promise settles. The
 * functions named in `rare` are called a tenth as often (`kickPlayer` where the players are few).
 */
export const fuzzCalls = async (rng: Rng, at: { at: string }, c: Ctx, n: number, rare: ReadonlySet<string> = new Set()): Promise<void> => {
  const world = c.world;
  for (let i = 0; i < n; i++) {
    let api = rng.pick(API);
    if (rare.has(api.name) && rng.chance(0.9)) api = rng.pick(API);
    at.at = `call ${i} (${api.name})`;
    const before = hashWorldState(world);
    let refused: unknown = null;
    let out: unknown;
    try {
      out = api.call(rng, c);
    } catch (err) {
      refused = err;
    }
    if (out instanceof Promise) {
      // Settled while the world steps: no hash to compare, only a coded refusal or a result.
      const r = await settleStepping(out, world);
      if (!r.ok) expect(coded(r.err), `${api.name} rejected with ${describe(r.err)}`).toBe(true);
    } else if (refused !== null) {
      expect(coded(refused), `${api.name} threw ${describe(refused)}`).toBe(true);
      expect(hashWorldState(world), `${api.name} refused (${(refused as WorldtickError).code}) but changed the world`).toBe(before);
    } else if (api.read) expect(hashWorldState(world), `${api.name} is a read but changed the world`).toBe(before);
    if (!world.clock.paused) pauseWorld(world);
    stepWorld(world, 1);
    // The pool of ids stays small: a full world refuses spawns (coded), which is fine, but should not be all it does.
    if (c.eids.length > 40) c.eids.splice(0, 20);
  }
};
