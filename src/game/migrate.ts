/**
 * The game's migration hook (`defineGame({ version, migrate })`, docs/GAME-API.md "Shipping a new
 * version of your game"): run once on a world restored from a checkpoint a lower version of the game
 * wrote, after its data was carried over by the rules (src/persist/game-changes.ts) and before the
 * world's first step. A hook that throws refuses the checkpoint (`WT_ERR_CHECKPOINT_INCOMPATIBLE`,
 * its message in `details.problems`): the world is not loaded, nothing is written.
 */
import { checkpointIncompatible } from '../errors.js';
import type { GameWorld } from './pipeline.js';

/** What `migrate` receives. */
export interface MigrateContext {
  /** The restored world: the checkpoint's state carried over by the rules, not yet stepped. */
  readonly world: GameWorld;
  /** The version of the game that wrote the checkpoint. */
  readonly from: number;
  /** This version of the game (`defineGame({ version })`). */
  readonly to: number;
}

/** A game's migration hook: deterministic, world state only (no wall clock, no I/O); may throw to refuse the checkpoint. */
export type MigrateHook = (ctx: MigrateContext) => void;

/** Longest hook error message kept in `details.problems`. */
const MAX_MESSAGE = 300;

/**
 * Run `hook` on `world` restored from a checkpoint of version `from` of the game `game` (now `to`).
 * Throws `WT_ERR_CHECKPOINT_INCOMPATIBLE` naming the migration and the hook's error when it throws.
 */
export const runMigration = (hook: MigrateHook, game: { name: string; version: number }, world: GameWorld, from: number): void => {
  const to = game.version;
  try {
    hook({ world, from, to });
  } catch (err) {
    const msg = (err instanceof Error ? err.message : String(err)).slice(0, MAX_MESSAGE);
    throw checkpointIncompatible([`migrate (game ${JSON.stringify(game.name)} version ${from} to ${to}) threw: ${msg}`]);
  }
};
