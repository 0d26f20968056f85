/**
 * The live entity lists the tier code reads every step, resolved once per world.
 *
 * bitecs's `query(world, terms)` builds and sorts a hash string of the terms on every call (≈ 1 µs,
 * several calls per step per world: a tenth of an idle small world's step). The list it returns is
 * the query's own dense array, the same array at every call for the life of the world (bitecs 0.4:
 * adds push to it, removals swap-remove in it when committed). So the first call of each accessor
 * goes through `query` (the query is registered exactly where it was before, so member order is
 * unchanged) and keeps the array; later calls only commit pending removals, as `query` does, and
 * return it.
 */
import { commitRemovals, Not, query, type World } from 'bitecs';
import type { WorldCore } from '../core/world-core.js';

/** A query's live list (bitecs's `QueryResult`). */
type Members = ReturnType<typeof query>;

/** The cached lists of one world (`npcSim.queries`); null until first asked for. */
export interface TierQueries {
  /** [Position, Npc] */
  npcs: Members | null;
  /** [Position, Player] */
  players: Members | null;
  /** [Position, Velocity, Npc] */
  npcMovers: Members | null;
  /** [Position, Velocity, Not(Npc)] */
  otherMovers: Members | null;
  /** [Position, Velocity] */
  movers: Members | null;
  /** [npcSim.pin] */
  pinned: Members | null;
}

/** The slice these accessors read: the core's stores and the caches (`npcSim.queries`, src/tiers/tier-state.ts). */
type TiersWorld = World<WorldCore & { npcSim: { queries: TierQueries; pin: object } }>;

/** Empty caches for a new world. */
export const createTierQueries = (): TierQueries => ({
  npcs: null,
  players: null,
  npcMovers: null,
  otherMovers: null,
  movers: null,
  pinned: null,
});

/** A list resolved before: pending removals committed first, as `query` does. */
const live = (world: TiersWorld, list: Members): Members => {
  commitRemovals(world);
  return list;
};

/** Positioned NPCs: `query(world, [Position, Npc])`. */
export const npcsOf = (world: TiersWorld): Members => {
  const q = world.npcSim.queries;
  return q.npcs !== null ? live(world, q.npcs) : (q.npcs = query(world, [world.stores.Position, world.stores.Npc]));
};

/** Positioned players (spectators included): `query(world, [Position, Player])`. */
export const playersOf = (world: TiersWorld): Members => {
  const q = world.npcSim.queries;
  return q.players !== null ? live(world, q.players) : (q.players = query(world, [world.stores.Position, world.stores.Player]));
};

/** Moving NPCs: `query(world, [Position, Velocity, Npc])`. */
export const npcMoversOf = (world: TiersWorld): Members => {
  const q = world.npcSim.queries;
  const { Position, Velocity, Npc } = world.stores;
  return q.npcMovers !== null ? live(world, q.npcMovers) : (q.npcMovers = query(world, [Position, Velocity, Npc]));
};

/** Moving entities that are not NPCs: `query(world, [Position, Velocity, Not(Npc)])`. */
export const otherMoversOf = (world: TiersWorld): Members => {
  const q = world.npcSim.queries;
  const { Position, Velocity, Npc } = world.stores;
  return q.otherMovers !== null ? live(world, q.otherMovers) : (q.otherMovers = query(world, [Position, Velocity, Not(Npc)]));
};

/** Moving entities: `query(world, [Position, Velocity])`. */
export const moversOf = (world: TiersWorld): Members => {
  const q = world.npcSim.queries;
  return q.movers !== null ? live(world, q.movers) : (q.movers = query(world, [world.stores.Position, world.stores.Velocity]));
};

/** Pinned NPCs: `query(world, [npcSim.pin])`. */
export const pinnedOf = (world: TiersWorld): Members => {
  const q = world.npcSim.queries;
  return q.pinned !== null ? live(world, q.pinned) : (q.pinned = query(world, [world.npcSim.pin]));
};
