/**
 * The checks `defineGame` makes of a game's own server defaults, each field on its own: `net`
 * (game-server settings, `net.<field>` problems) and `world.config` (a scheduler patch,
 * `world.config.<path>` problems). Relations between fields are left to where the values are merged
 * (the server's net config under a config file's `net`; a world's scheduler config with its own
 * patch), so a game whose default is completed there is not refused here. Also its economy
 * settings (`economyProblems`).
 */
import { defaultSchedulerConfig, SCHEDULER_CONFIG_SPEC } from '../config/scheduler-config.js';
import { mergeAndCheck } from '../config/schema.js';
import { netConfigFieldProblems } from '../net/net-config.js';

/** Problems of a game's `net` and `world.config` defaults (empty when both are valid or absent). */
export const gameDefaultsProblems = (net: unknown, worldConfig: unknown): string[] => {
  const problems = net === undefined ? [] : netConfigFieldProblems(net);
  if (worldConfig !== undefined) {
    const r = mergeAndCheck(SCHEDULER_CONFIG_SPEC, defaultSchedulerConfig(), worldConfig, 'world.config');
    if (!r.ok) problems.push(...r.problems);
  }
  return problems;
};

/** Problems of a game's economy settings: `startingCoins`, `anonymousStartingCoins` (integers 0..1e9), `clientPurchases` (a boolean). */
export const economyProblems = (opts: {
  startingCoins?: unknown;
  anonymousStartingCoins?: unknown;
  clientPurchases?: unknown;
}): string[] => {
  const problems: string[] = [];
  for (const key of ['startingCoins', 'anonymousStartingCoins'] as const) {
    const v = opts[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > 1_000_000_000))
      problems.push(`${key} must be an integer between 0 and 1000000000`);
  }
  if (opts.clientPurchases !== undefined && typeof opts.clientPurchases !== 'boolean')
    problems.push(`clientPurchases must be true or false (got ${JSON.stringify(opts.clientPurchases)})`);
  return problems;
};
