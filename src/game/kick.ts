/**
 * `kickPlayer`: game code ends a player's session (a cheater, an idle player, a match that ended;
 * docs/GAME-API.md "Kicking a player"). The player is marked kicked at once (its input and messages
 * are ignored from then on, a second kick is refused); at the end of the step's replicate phase —
 * after the server messages sent to it in the step — its socket is closed 4020 (`KICKED`) with the
 * reason and its resume token forgotten; the next step's ingest phase removes the entity
 * (`onPlayerLeft` with `kicked: true`). src/net/session-kick.ts does the session's part.
 */
import { checkWorld } from '../core/check-world.js';
import { shown } from '../core/shown.js';
import { playerRow } from '../../components/player-table.js';
import { hasComponent } from 'bitecs';
import { ErrorCode, optionInvalid, WorldtickError } from '../errors.js';
import { KICKED_OWNER } from '../net/player-facts.js';
import { DEFAULT_KICK_REASON, kickReasonProblem } from '../net/session-kick.js';
import { isLiveEntity } from './components.js';
import type { GameWorld } from './pipeline.js';

/** Options of {@link kickPlayer}. */
export interface KickOptions {
  /**
   * The WebSocket close reason the client gets with code 4020 (at most 123 UTF-8 bytes; default
   * `"kicked"`). Shown to the player, so write it for them (`"match over"`, `"idle for 5 minutes"`).
   */
  reason?: string;
}

/**
 * End the session of player entity `player`: closed 4020 with `reason` at the end of this step,
 * removed (not parked) by the next step, `onPlayerLeft` told `kicked: true`; its resume token is
 * refused from then on (a client joining again is a new session of a fresh entity). Call it from
 * game code (a system, a message handler, a hook, a timer, a fact's apply): inside a step, so a
 * replay of the world makes the same call. Throws `WT_ERR_ENTITY_NOT_FOUND` for a dead or invalid
 * id, `WT_ERR_OPTION_INVALID` for an entity that is not a player or a bad option (a reason that is
 * not a string or is over 123 UTF-8 bytes, an unknown key), `WT_ERR_PLAYER_LEAVING` when its
 * session is already ending (its socket closed: parked or being removed; or kicked already).
 * Nothing changes when it throws.
 */
export const kickPlayer = (world: GameWorld, player: number, options: KickOptions = {}): void => {
  checkWorld(world, 'kickPlayer');
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw optionInvalid(['kickPlayer: options must be an object { reason? }']);
  const problems: string[] = [];
  for (const k of Object.keys(options)) if (k !== 'reason') problems.push(`kickPlayer: ${k} is not an option (reason)`);
  const reason = options.reason ?? DEFAULT_KICK_REASON;
  const bad = kickReasonProblem(reason);
  if (bad !== null) problems.push(`kickPlayer: ${bad}`);
  if (problems.length) throw optionInvalid(problems);
  if (!isLiveEntity(world, player))
    throw new WorldtickError(ErrorCode.ENTITY_NOT_FOUND, `kickPlayer: no entity ${shown(player)} in world ${world.id}`, {
      details: { eid: player },
    });
  const { Player } = world.stores;
  const row = hasComponent(world, player, Player) ? playerRow(world.stores, player) : 0;
  if (row === 0) throw optionInvalid([`kickPlayer: entity ${player} is not a player (despawn removes other entities)`]);
  const session = Player.session[row];
  if (session < 0) {
    const why = session === KICKED_OWNER ? 'it was kicked already' : 'its socket closed (it is parked for resume, or being removed)';
    throw new WorldtickError(ErrorCode.PLAYER_LEAVING, `kickPlayer: player ${player}'s session is already ending: ${why}`, {
      details: { eid: player },
    });
  }
  Player.session[row] = KICKED_OWNER;
  world.net?.kicks.push({ player, reason });
};

/**
 * Is `player` a player entity whose session is live — connected, not parked for a resume, not
 * kicked: what {@link kickPlayer} accepts? False for a parked player (its socket dropped; the entity
 * and its components stay until it resumes or its grace ends), a kicked one (from the call on), and
 * any number that is not a live player entity. No allocation; read it in a system, handler or hook.
 * Parks, resumes and kicks are in the input log, so a replay answers as the live world did.
 */
export const isPlayerConnected = (world: GameWorld, player: number): boolean => {
  checkWorld(world, 'isPlayerConnected');
  if (!isLiveEntity(world, player)) return false;
  const { Player } = world.stores;
  if (!hasComponent(world, player, Player)) return false;
  const row = playerRow(world.stores, player);
  return row !== 0 && Player.session[row] >= 0;
};
