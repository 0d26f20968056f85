/**
 * The option blocks (scheduler, net, periodic, ledger, playerData, tierZones, physicsConfig), checked
 * where they come in — a config file (src/cli/config-file.ts) and `startServer`'s `options` set directly
 * (src/game/server.ts) — so a bad block is listed with the other problems of the options
 * (`WT_ERR_OPTION_INVALID`, exit 2) rather than refused, or thrown as a TypeError, once the runtime is
 * built from it (a `periodic: 5` given to startServer did that before stop 66).
 */
import { defaultSchedulerConfig, mergeSchedulerConfig } from '../config/scheduler-config.js';
import { isWorldtickError } from '../errors.js';
import { createCatalogue } from '../ledger/catalogue.js';
import { parseLedgerOptions } from '../ledger/ledger-options.js';
import { netConfigFieldProblems } from '../net/net-config.js';
import { checkDeclaredTasks } from '../periodic/declared-tasks.js';
import { parsePlayerDataOptions } from '../player-data/player-data-options.js';
import { resolveWorldPhysics } from '../physics/physics-world.js';
import { createTierZones, replaceZones } from '../tiers/tier-zones.js';

/** The blocks a config file may carry besides the options (README's `--config` row names each). */
export const CONFIG_BLOCKS: readonly string[] = ['scheduler', 'net', 'periodic', 'ledger', 'playerData', 'tierZones', 'physicsConfig'];

/** The problems a validator throws (a coded error's `details.problems`); other errors are rethrown. */
const problemsOf = (check: () => unknown): string[] => {
  try {
    check();
    return [];
  } catch (err) {
    if (!isWorldtickError(err)) throw err;
    return (err.details as { problems?: string[] } | undefined)?.problems ?? [err.message];
  }
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Check block `k` (one of {@link CONFIG_BLOCKS}) holding `raw`: its problems (each naming the block's
 * path, without the caller's prefix), or none and the value to keep (the player-data block parsed, the
 * others as given).
 */
export const checkConfigBlock = (k: string, raw: unknown): { problems: string[]; value: unknown } => {
  const done = (problems: string[], value: unknown = raw) => ({ problems, value });
  switch (k) {
    case 'scheduler':
      return done(problemsOf(() => mergeSchedulerConfig(defaultSchedulerConfig(), raw)).map((m) => `scheduler.${m}`));
    case 'periodic':
      return done(checkDeclaredTasks(raw));
    case 'ledger': {
      if (!isObject(raw)) return done(['ledger must be an object of ledger settings']);
      const cat = raw.catalogue;
      return done([
        ...problemsOf(() => parseLedgerOptions(raw)),
        ...(cat === undefined ? [] : problemsOf(() => createCatalogue(cat)).map((m) => `ledger.catalogue: ${m}`)),
      ]);
    }
    case 'playerData':
      try {
        return done([], parsePlayerDataOptions(raw));
      } catch (err) {
        if (!isWorldtickError(err)) throw err;
        return done((err.details as { problems?: string[] }).problems ?? [err.message]);
      }
    case 'tierZones':
      try {
        replaceZones(createTierZones(), raw);
        return done([]);
      } catch (err) {
        return done([(err as Error).message]);
      }
    case 'physicsConfig':
      // The block alone (the flags --shards, --shard-mode, --map are checked by their own specs).
      if (!isObject(raw)) return done(['physicsConfig must be an object (obstacles, tuning, navigation, mainRuns)']);
      return done(problemsOf(() => resolveWorldPhysics({ ...raw, enabled: true }, { path: 'physicsConfig', cores: 1 })));
    case 'net':
      // Each field, and the relations between fields the block sets all of; a relation with a default in it where the
      // game's own `net` defaults are merged under the block (the game server's resolveNetConfig).
      if (!isObject(raw)) return done(['net must be an object of game-server settings']);
      return done(netConfigFieldProblems(raw, true));
    default:
      return done([`${k} is not a config block`]);
  }
};
