/**
 * What a player's client holds down: the `actions` bit set of the player's newest input applied
 * (docs/PROTOCOL.md `input`, docs/GAME-API.md `playerActions`).
 */
import { checkWorld } from '../core/check-world.js';
import { hasComponent } from './components.js';
import type { GameWorld } from './pipeline.js';

/**
 * The `actions` bit set (uint32) of `player`'s newest input applied by a step — the buttons its
 * client holds (bit meanings are the game's). 0 before the session's first input, for an id that
 * is not a live player of the world, and in a world without a game. Inputs are latest-by-player:
 * a press and release between two steps is never seen, so send one-shot actions as game messages.
 */
export const playerActions = (world: GameWorld, player: number): number => {
  checkWorld(world, 'playerActions');
  const actions = world.game?.actions;
  if (actions === undefined || !hasComponent(world, player, world.stores.Player)) return 0;
  return actions[player] ?? 0;
};
