/**
 * Spectators in the game API: a player entity with the built-in `Spectator` tag
 * (`world.stores.Spectator`, components/player.ts) is a camera, not a body — replicated to no
 * other session, no physics body, no NPC's interaction partner, tiering NPCs at most `active`
 * (docs/GAME-API.md "Spectators"). A `spectator` or `observer` session's entity gets the tag at
 * every join; a game may set or clear it.
 */
import { checkWorld } from '../core/check-world.js';
import { addComponent as bitecsAddComponent, removeComponent as bitecsRemoveComponent } from 'bitecs';
import { shown } from '../core/shown.js';
import { ErrorCode, optionInvalid, WorldtickError } from '../errors.js';
import { hasComponent } from './components.js';
import type { GameWorld } from './pipeline.js';

/** Is `eid` a live player entity that is a spectator (has the `Spectator` tag)? False for any other number. */
export const isSpectator = (world: GameWorld, eid: number): boolean => {
  checkWorld(world, 'isSpectator');
  return hasComponent(world, eid, world.stores.Spectator);
};

/**
 * Make player `player` a spectator (`on` true: a camera, e.g. a player out of the round) or a
 * body again (`false`: e.g. in `onPlayerJoined`, to keep a spectator session's entity a player
 * as before). Takes effect in the phases that follow (physics this step; tiers and replication
 * from the next tiering pass and snapshot). Throws `WT_ERR_ENTITY_NOT_FOUND` when `player` is not
 * a live player entity of the world (nothing changes).
 */
export const setSpectator = (world: GameWorld, player: number, on: boolean): void => {
  checkWorld(world, 'setSpectator');
  if (!hasComponent(world, player, world.stores.Player))
    throw new WorldtickError(ErrorCode.ENTITY_NOT_FOUND, `setSpectator: entity ${shown(player)} is not a player of world ${world.id}`, {
      details: { eid: player },
    });
  // A JavaScript caller's 'no' or 0 was taken by its truth: refused, nothing changed.
  if (typeof on !== 'boolean') throw optionInvalid([`setSpectator: on must be a boolean (got ${shown(on)})`]);
  const tag = world.stores.Spectator;
  const has = hasComponent(world, player, tag);
  if (on && !has) bitecsAddComponent(world, player, tag);
  else if (!on && has) bitecsRemoveComponent(world, player, tag);
};
