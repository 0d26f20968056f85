/**
 * Player bindings in an input log: which durable player id (the ledger's `playerId`) owned which
 * player entity. Live, the ledger binds a player while its join fact applies (src/ledger/world-ledger.ts
 * `bindPlayer`), and game code reads the binding with `playerIdOf` / `playerEntityOf`. A replay has
 * no ledger, so the log keeps the bindings and the replayed world's game slot holds them
 * (`world.game.replay`, src/game/slot.ts):
 *
 *   join fact    [ 'session', key, { op: 'enter', ..., pid, evict? } ]   pid: bound as the join applied;
 *                evict: the parked player the join removed live (a full world), removed again
 *   other bind   [ 'player.bind', eid, playerId ]                 (a bind inside a step, outside a join fact)
 *   between      pre.binds: [[eid, playerId], ...]               bound between the previous step and this
 *                one (version 5): bound before the step, the first that saw it live
 *   header       players: [[eid, playerId], ...]                  bound when recording started
 *
 * A player removed by a replayed leave fact loses its binding, as `releasePlayer` does live.
 */
import type { PlayerBindings } from '../game/slot.js';
import type { EnterFact, SessionFact } from '../net/player-facts.js';
import type { SimWorld } from '../world/sim-world.js';

/** Pseudo fact type of a binding recorded outside a join fact (the replayer applies it itself, not through ingest). */
export const PLAYER_BIND_FACT = 'player.bind';

/** Empty bindings. */
export const createPlayerBindings = (): PlayerBindings => ({ eidOf: new Map(), playerOf: new Map() });

/** Bind `playerId` to entity `eid` (the ledger's rule: one entity per id, one id per entity). */
export const bindReplayed = (b: PlayerBindings, eid: number, playerId: string): void => {
  const prev = b.playerOf.get(eid);
  if (prev !== undefined && prev !== playerId) b.eidOf.delete(prev);
  const old = b.eidOf.get(playerId);
  if (old !== undefined && old !== eid) b.playerOf.delete(old);
  b.eidOf.set(playerId, eid);
  b.playerOf.set(eid, playerId);
};

/** Entity `eid` was removed: forget its binding (an id since bound to another entity keeps it). */
export const releaseReplayed = (b: PlayerBindings, eid: number): void => {
  const id = b.playerOf.get(eid);
  if (id === undefined) return;
  b.playerOf.delete(eid);
  if (b.eidOf.get(id) === eid) b.eidOf.delete(id);
};

/** Is `v` a well-formed `players` list of a log header? */
export const isPlayerList = (v: unknown): v is Array<[number, string]> =>
  Array.isArray(v) && v.every((p) => Array.isArray(p) && p.length === 2 && Number.isInteger(p[0]) && p[0] >= 0 && typeof p[1] === 'string');

/** The serializable part of a join/leave fact (its callbacks are the live session's). */
export const sessionFactRecord = (f: SessionFact): Record<string, unknown> =>
  f.op === 'enter'
    ? {
        op: 'enter',
        session: f.session,
        player: f.player,
        owner: f.owner,
        x: f.x,
        y: f.y,
        interestRadius: f.interestRadius,
        ...(f.cls ? { cls: f.cls } : {}),
        live: f.live(),
      }
    : { op: f.op, player: f.player, owner: f.owner };

/** The durable player ids bound to player entities of `w` now ([eid, playerId]; none without a ledger). */
export const boundPlayers = (w: SimWorld): Array<[number, string]> => {
  const l = w.ledger;
  const out: Array<[number, string]> = [];
  if (l) for (const [eid, id] of l.playerOf) if (l.eidOf.get(id) === eid) out.push([eid, id]);
  return out;
};

/**
 * Wrap a live join fact for the recorder (called as the fact applies). The ledger binds the player
 * inside its `applied` callback (the session registry's), which runs right after: `entering(rec)`
 * before it and `entering(null)` after, so exactly the bindings made there are kept with this join
 * (`pid`), none made later in the step. A join into a full world may evict a parked player
 * (player-facts.ts `evictParked`): `rec.evict` names it, so the replay removes the same player
 * before it spawns this one.
 */
export const recordJoin = (f: EnterFact, rec: Record<string, unknown>, entering: (rec: Record<string, unknown> | null) => void): void => {
  const applied = f.applied;
  const evictParked = f.evictParked;
  if (evictParked)
    f.evictParked = (isParked) => {
      const victim = evictParked(isParked);
      if (victim !== null) rec.evict = victim.player;
      return victim;
    };
  f.applied = (eid, reattached) => {
    entering(rec);
    try {
      applied(eid, reattached);
    } finally {
      entering(null);
    }
  };
};
