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
  /** [Position, Player, Spectator] */
  spectators: Members | null;
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
  spectators: null,
  npcMovers: null,
  otherMovers: null,
  movers: null,
  pinned: null,
});

/** Positioned NPCs: `query(world, [Position, Npc])`. */
export const npcsOf = (world: TiersWorld): Members => {
  const q = world.npcSim.queries;
  if (q.npcs === null) return (q.npcs = query(world, [world.stores.Position, world.stores.Npc]));
  commitRemovals(world);
  return q.npcs;
};

/** Positioned players (spectators included): `query(world, [Position, Player])`. */
export const playersOf = (world: TiersWorld): Members => {
  const q = world.npcSim.queries;
  if (q.players === null) return (q.players = query(world, [world.stores.Position, world.stores.Player]));
  commitRemovals(world);
  return q.players;
};

/** Spectators: `query(world, [Position, Player, Spectator])`. */
export const spectatorsOf = (world: TiersWorld): Members => {
  const q = world.npcSim.queries;
  const { Position, Player, Spectator } = world.stores;
  if (q.spectators === null) return (q.spectators = query(world, [Position, Player, Spectator]));
  commitRemovals(world);
  return q.spectators;
};

/** Moving NPCs: `query(world, [Position, Velocity, Npc])`. */
export const npcMoversOf = (world: TiersWorld): Members => {
  const q = world.npcSim.queries;
  const { Position, Velocity, Npc } = world.stores;
  if (q.npcMovers === null) return (q.npcMovers = query(world, [Position, Velocity, Npc]));
  commitRemovals(world);
  return q.npcMovers;
};

/** Moving entities that are not NPCs: `query(world, [Position, Velocity, Not(Npc)])`. */
export const otherMoversOf = (world: TiersWorld): Members => {
  const q = world.npcSim.queries;
  const { Position, Velocity, Npc } = world.stores;
  if (q.otherMovers === null) return (q.otherMovers = query(world, [Position, Velocity, Not(Npc)]));
  commitRemovals(world);
  return q.otherMovers;
};

/** Moving entities: `query(world, [Position, Velocity])`. */
export const moversOf = (world: TiersWorld): Members => {
  const q = world.npcSim.queries;
  if (q.movers === null) return (q.movers = query(world, [world.stores.Position, world.stores.Velocity]));
  commitRemovals(world);
  return q.movers;
};

/** Pinned NPCs: `query(world, [npcSim.pin])`. */
export const pinnedOf = (world: TiersWorld): Members => {
  const q = world.npcSim.queries;
  if (q.pinned === null) return (q.pinned = query(world, [world.npcSim.pin]));
  commitRemovals(world);
  return q.pinned;
};
