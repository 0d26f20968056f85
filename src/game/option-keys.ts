/**
 * The keys `defineGame` knows (src/game/definition.ts), at the top level, in `world` and in `hooks`:
 * any other is listed as a problem with the likely intended name, so a mistyped key (`hooks: {
 * onPlayerJoin }`) is refused rather than ignored.
 */
import { didYouMean } from '../cli/did-you-mean.js';

/** Keys of `GameOptions`. */
const GAME_KEYS = [
  'name',
  'version',
  'migrate',
  'modules',
  'components',
  'systems',
  'messages',
  'serverMessages',
  'replicate',
  'hooks',
  'timers',
  'facts',
  'catalogue',
  'startingCoins',
  'anonymousStartingCoins',
  'clientPurchases',
  'world',
  'net',
] as const;
/** Keys of `GameWorldDefaults`. */
const WORLD_KEYS = ['size', 'npcs', 'config', 'physics'] as const;
/** Keys of `GameHooks`. */
const HOOK_KEYS = ['populate', 'onWorldCreated', 'onWorldDeleted', 'onPlayerJoined', 'onPlayerLeft'] as const;

const unknownKeys = (o: unknown, known: readonly string[], what: (k: string) => string, problems: string[]): void => {
  if (typeof o !== 'object' || o === null) return;
  for (const k of Object.keys(o)) if (!known.includes(k)) problems.push(`${what(k)}${didYouMean(k, known)}`);
};

/** Push a problem for every key of `opts`, `opts.world` and `opts.hooks` that is not a game option. */
export const unknownGameKeys = (opts: object, problems: string[]): void => {
  unknownKeys(opts, GAME_KEYS, (k) => `${k} is not a game option`, problems);
  const o = opts as { world?: unknown; hooks?: unknown };
  unknownKeys(o.world, WORLD_KEYS, (k) => `world.${k} is not a world option`, problems);
  unknownKeys(o.hooks, HOOK_KEYS, (k) => `hooks.${k} is not a hook`, problems);
};
