/**
 * Join and leave as ingest facts: the one update rule for a player's presence. The session
 * registry (session-registry.ts) pushes these facts from socket callbacks; the ingest phase of
 * the next step applies them, in arrival order, together with movement input (same floor lane,
 * never cut by the drain budget, never dropped). Nothing else writes `Player.session` or spawns
 * and removes player entities for the network.
 *
 *   hello ──► enter {session, player?, owner} ─┐
 *   close ──► park  {player, owner=session}    │
 *   expire ─► remove{player, owner=-1}         ├─► ingest phase: applySessionFact ─► applied(cb)
 *   kick ───► kick  {player, owner=session}    │   (also applies to a player the game marked
 *                                                  │    KICKED_OWNER: session-kick.ts)
 *   leave ──► leave {player, owner=session}    ┘   (the client sent `leave`: session-kick.ts)
 *
 * `owner` is the `Player.session` value the entity must still have for the fact to apply: a fact
 * about a player that has since been reattached, removed, or whose id was recycled is ignored.
 */
import { ensurePlayerRow, playerRow } from '../../components/player-table.js';
import { addComponent, entityExists, hasComponent, removeComponent } from 'bitecs';
import { ErrorCode, WorldtickError } from '../errors.js';
import type { World } from 'bitecs';
import { despawnEntity, type CoreWorld, type WorldCore } from '../core/world-core.js';
import type { GameSlot, GameState } from '../game/slot.js';
import type { IngestSlot } from '../ingest/ingest-buffers.js';
import { releasePlayer, type WorldLedger } from '../ledger/world-ledger.js';
import { spawnPlayer } from '../world/spawn.js';

/** The slice of a world the session facts touch: the core, its ingest buffers and the game's player hooks. */
export type SessionWorld = World<WorldCore & IngestSlot & GameSlot>;

/** Ingest type name of join/leave facts. */
export const SESSION_INGEST_TYPE = 'session';

/** `applied` player id when the world had no room for a new player. */
export const JOIN_WORLD_FULL = -1;
/** `applied` player id when spawning failed for another reason (a bug; counted). */
export const JOIN_FAILED = -2;

/** A session wants a player: reattach `player` (resume, takeover) if still valid, else spawn one. */
export interface EnterFact {
  op: 'enter';
  /** Connection id that will own the player (`Player.session`). */
  session: number;
  /** Player to reattach, or -1 for a new one. */
  player: number;
  /** `Player.session` the reattached player must still have: -1 (parked) or the previous owner. */
  owner: number;
  /** Spawn point of a new player (world units). */
  x: number;
  y: number;
  interestRadius: number;
  /**
   * The joining session's class (`SessionClass` code: 0 player, 1 spectator, 2 bot, 3 observer),
   * handed to the game's `onPlayerJoined`; absent = player (logs recorded before it was kept).
   */
  cls?: number;
  /** False when the socket closed before the fact applied: nothing is spawned, a reattachable player is parked. */
  live: () => boolean;
  /** Called inside the ingest phase: player id (or JOIN_WORLD_FULL / JOIN_FAILED), and whether it was reattached. */
  applied: (player: number, reattached: boolean) => void;
  /**
   * The world is full for a new player: forget the oldest parked player of the world whose entity
   * `isParked` (session-parking.ts `evictParkedForJoin`); it is then removed here (hooks as at the
   * end of its grace, recorded in `removed`) and the spawn retried once. Null: none to evict.
   */
  evictParked?: (isParked: (eid: number) => boolean) => { player: number; removed: number[] } | null;
}

/**
 * `Player.session` of a player the game kicked inside a step (`kickPlayer`, src/game/kick.ts): its
 * input and messages are ignored from then on, and its `kick` fact (pushed at the end of that step,
 * when its socket is closed) must find it so.
 */
export const KICKED_OWNER = -2;

/**
 * A session left: park its player (`park`), remove it (`remove`: grace over), remove it because
 * the game or the operator ended its session (`kick`: the game's `onPlayerLeft` hears `kicked`), or
 * remove it because its client left on purpose (`leave`: `onPlayerLeft` hears `consented`), if
 * `owner` still owns it.
 */
export interface LeaveFact {
  op: 'park' | 'remove' | 'kick' | 'leave';
  player: number;
  /** Required `Player.session`: the leaving session's id, or -1 for a parked player that expired. */
  owner: number;
  /** Ids removed are appended here (the world's replication list, so sessions see them leave). */
  removed: number[];
}

export type SessionFact = EnterFact | LeaveFact;

/**
 * `SessionClass` codes (session-priority.ts; not imported: it imports session.ts, which imports
 * this module) whose entity is a camera (the `Spectator` tag): spectator (1) and observer (3).
 */
const isCameraClass = (cls: number): boolean => cls === 1 || cls === 3;

/**
 * Tag (or untag) the entity of a joining session as a `Spectator` by its class — at every join,
 * so a player resumed by a spectator session becomes a camera and the other way round. Before
 * `onPlayerJoined`, which may change it (docs/GAME-API.md "Spectators").
 */
const markSpectator = (world: CoreWorld, eid: number, cls: number): void => {
  const tag = world.stores.Spectator;
  if (isCameraClass(cls)) {
    if (!hasComponent(world, eid, tag)) addComponent(world, eid, tag);
  } else if (hasComponent(world, eid, tag)) removeComponent(world, eid, tag);
};

const owns = (world: CoreWorld, eid: number, owner: number): boolean =>
  eid >= 0 &&
  entityExists(world, eid) &&
  hasComponent(world, eid, world.stores.Player) &&
  world.stores.Player.session[playerRow(world.stores, eid)] === owner;

const park = (world: CoreWorld, eid: number): void => {
  const { Player, Velocity } = world.stores;
  const row = playerRow(world.stores, eid);
  if (row !== 0) Player.session[row] = -1;
  Velocity.x[eid] = 0;
  Velocity.y[eid] = 0;
};

/** Remove a player entity for good: `onPlayerLeft` (parked: false), despawn, recorded in `removed`, `onRemoved`. */
const removePlayer = (
  world: CoreWorld,
  eid: number,
  removed: number[],
  game: GameState | null,
  onRemoved: ((player: number) => void) | null,
  op: LeaveFact['op'] = 'remove',
): void => {
  try {
    game?.onPlayerLeft?.(eid, false, op === 'kick', op === 'leave');
  } finally {
    // A throwing hook is counted by ingest (applyErrors); the player is removed all the same.
    despawnEntity(world, eid);
    removed.push(eid);
    onRemoved?.(eid);
  }
};

const spawnCode = (err: unknown): number =>
  err instanceof WorldtickError && err.code === ErrorCode.CAPACITY_EXCEEDED ? JOIN_WORLD_FULL : JOIN_FAILED;

/**
 * Spawn the player of a live join; a full world first gives up its oldest parked player (a live
 * player beats a ghost: `EnterFact.evictParked`). The new entity, or JOIN_WORLD_FULL / JOIN_FAILED.
 */
const spawnOrEvict = (world: CoreWorld, f: EnterFact, game: GameState | null, onRemoved: ((player: number) => void) | null): number => {
  try {
    return spawnPlayer(world, f.x, f.y, f.interestRadius);
  } catch (err) {
    const code = spawnCode(err);
    if (code !== JOIN_WORLD_FULL || !f.evictParked) return code;
  }
  const victim = f.evictParked((eid) => owns(world, eid, -1));
  if (victim === null) return JOIN_WORLD_FULL;
  removePlayer(world, victim.player, victim.removed, game, onRemoved);
  try {
    return spawnPlayer(world, f.x, f.y, f.interestRadius);
  } catch (err) {
    return spawnCode(err);
  }
};

/**
 * Apply one join/leave fact (called by the ingest phase only). `game` (the world's game slot)
 * gets `onPlayerLeft` before a park, a removal or a kick and `onPlayerJoined` after a join applied;
 * `onRemoved` is told every player entity removed (the ledger releases its binding).
 */
export const applySessionFact = (
  world: CoreWorld,
  f: SessionFact,
  game: GameState | null = null,
  onRemoved: ((player: number) => void) | null = null,
): void => {
  if (f.op !== 'enter') {
    // A kick also finds the player the game marked kicked in the step before (`KICKED_OWNER`).
    if (!owns(world, f.player, f.owner) && !(f.op === 'kick' && owns(world, f.player, KICKED_OWNER))) return;
    if (f.op === 'park') {
      park(world, f.player);
      game?.onPlayerLeft?.(f.player, true, false, false);
      return;
    }
    removePlayer(world, f.player, f.removed, game, onRemoved, f.op);
    return;
  }
  let eid = owns(world, f.player, f.owner) ? f.player : -1;
  const reattached = eid >= 0;
  if (!f.live()) {
    // The socket is gone: leave a reattachable player parked (the registry parks it for resume).
    if (reattached) park(world, eid);
    f.applied(eid, reattached);
    return;
  }
  if (!reattached) {
    eid = spawnOrEvict(world, f, game, onRemoved);
    if (eid < 0) {
      f.applied(eid, false);
      return;
    }
  }
  const { Player, Velocity } = world.stores;
  const row = ensurePlayerRow(world.stores, eid);
  Player.session[row] = f.session;
  Player.interestRadius[row] = f.interestRadius;
  Player.lastInputSeq[row] = 0; // sequence numbers restart with every session
  Velocity.x[eid] = 0;
  Velocity.y[eid] = 0;
  if (game) game.actions[eid] = 0; // no button held until this session's first input
  markSpectator(world, eid, f.cls ?? 0);
  f.applied(eid, reattached);
  game?.onPlayerJoined?.(eid, reattached, f.cls ?? 0);
};

/**
 * Define the `session` ingest type on a world (once; later calls are no-ops). Critical (never
 * dropped) in the floor lane `input`, after movement input: a step applies pending inputs, then
 * joins and leaves, in arrival order. The fact carries its own callbacks, so the definition is
 * stateless and survives a game-server restart in the same process.
 */
export const defineSessionIngest = (world: SessionWorld & { ledger?: WorldLedger | null }): void => {
  if (world.ingest.has(SESSION_INGEST_TYPE)) return;
  // A removed player's ledger binding goes with it (world-ledger.ts `releasePlayer`): churn leaves nothing behind.
  const releaseBinding = (player: number): void => {
    if (world.ledger) releasePlayer(world.ledger, player);
  };
  const capacity = Math.min(world.capacity + 1, 1 << 18);
  world.ingest.define(SESSION_INGEST_TYPE, {
    mode: 'queue',
    lane: 'input',
    critical: true,
    capacity,
    hardCapacity: capacity * 4,
    apply: (w, _key, fact) => applySessionFact(w, fact as SessionFact, world.game, releaseBinding),
  });
};
