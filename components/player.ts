import { f32, i32, u32 } from './alloc.js';

/**
 * A connected (or parked) player, one row per PLAYER (not per entity): read and write it at
 * `playerRow(stores, eid)` (components/player-table.ts), e.g. `Player.session[playerRow(s, eid)]`.
 * The `Player` object is also the bitecs component that marks player entities.
 *
 * `eid` is the entity owning the row (0 = free row), `session` the owning session id (-1 when
 * parked), `lastInputSeq` the last input sequence number applied by the step, `interestRadius`
 * the radius (world units) of the player's area of interest. Row 0 is never assigned: it holds
 * every field's default (what an entity without a row reads).
 */
export const createPlayer = (rows: number) => ({
  eid: i32(rows),
  session: i32(rows, -1),
  lastInputSeq: u32(rows),
  interestRadius: f32(rows),
});
export type Player = ReturnType<typeof createPlayer>;

/**
 * Tag (no fields) of a player entity that is a camera, not a body: the entity of a `spectator` or
 * `observer` session (set at every join, src/net/player-facts.ts; a game may add or remove it, e.g.
 * to turn a defeated player into a spectator). Such an entity is moved by its session's input and
 * its own session's view is centred on it, but it is replicated to no other session, is no physics
 * body, anchors NPC tiers at most at `active` and is no NPC's interaction partner
 * (docs/GAME-API.md "Spectators"). Test it with `hasComponent(world, eid, world.stores.Spectator)`.
 */
export const createSpectator = (): Record<string, never> => ({});
export type Spectator = ReturnType<typeof createSpectator>;
