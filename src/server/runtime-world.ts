/**
 * How the runtime builds its embedded default world from the options: the world id, the
 * physics block, the crowd scenario world, the scheduler config merge, the config file's periodic
 * tasks and tier zones, and the input log's recipe. Split out of
 * src/server/runtime.ts; no state.
 */
import type { ServerOptions } from '../cli/options.js';
import type { Logger } from '../log.js';
import { declareTask } from '../periodic/declared-tasks.js';
import type { WorldRecipe } from '../replay/log-format.js';
import { createCrowdWorld } from '../scenarios/crowd.js';
import { replaceZones } from '../tiers/tier-zones.js';
import type { SimWorld } from '../world/sim-world.js';

/** Id of the embedded default world (the original design's examples use 1). */
export const DEFAULT_WORLD_ID = '1';

/**
 * The default world's physics from the options: `--physics off` → none; else the config file's
 * `physicsConfig` block (obstacles, tuning, navigation, mainRuns) with `--shards`, `--shard-mode`
 * and `--map` (validated at world creation: `WT_ERR_CONFIG_INVALID` listing every problem).
 */
export const defaultWorldPhysics = (options: ServerOptions): unknown => {
  if (options.physics === 'off') return false;
  const block =
    typeof options.physicsConfig === 'object' && options.physicsConfig !== null && !Array.isArray(options.physicsConfig)
      ? options.physicsConfig
      : {};
  return {
    ...block,
    enabled: true,
    shards: options.shards ?? '0',
    mode: options.shardMode ?? 'auto',
    ...(options.map ? { map: options.map } : {}),
  };
};

/** `--scenario crowd`: the standard crowd world (docs/SCENARIOS.md) as the default world. */
export const createScenarioWorld = (options: ServerOptions): SimWorld =>
  createCrowdWorld({
    id: DEFAULT_WORLD_ID,
    npcs: options.crowdNpcs,
    seed: options.seed,
    playerCapacity: options.capacity ? Math.max(0, options.capacity - options.crowdNpcs) : 10_000,
    config: typeof options.scheduler === 'object' && options.scheduler !== null ? (options.scheduler as Record<string, unknown>) : {},
  });

/**
 * Merge the config file's `scheduler` block over the runtime's scheduler defaults: the
 * `simulation` sections are merged key by key, other keys of `b` win; a non-object `b` is
 * returned as is (validated later, at world creation), `undefined` keeps `a`.
 */
export const mergePatches = (a: Record<string, Record<string, unknown>>, b: unknown): unknown => {
  if (typeof b !== 'object' || b === null || Array.isArray(b)) return b === undefined ? a : b;
  const bo = b as Record<string, unknown>;
  const sim = bo.simulation;
  return {
    ...bo,
    simulation: typeof sim === 'object' && sim !== null && !Array.isArray(sim) ? { ...a.simulation, ...sim } : (sim ?? a.simulation),
  };
};

/**
 * The config file's periodic tasks (validated by parseOptions; src/periodic/declared-tasks.ts) and
 * tier zones, declared on the default world (also on a restored or adopted one). A task whose name
 * the world already holds (restored operator state) is skipped with a warning.
 */
export const declareConfigTasks = (w: SimWorld, options: ServerOptions, logger: Logger, crowd: boolean): void => {
  for (const [i, t] of (options.periodic ?? []).entries()) {
    const name = (t as { name?: unknown }).name; // validated by parseOptions
    if (w.periodic.status().some((x) => x.name === name)) {
      logger.warn({ world: w.id, task: name }, 'config-file periodic task not declared: a task of that name exists');
      continue;
    }
    declareTask(w, t, `periodic[${i}]`);
  }
  if (!crowd) replaceZones(w.npcSim.zones, options.tierZones ?? []);
};

/** How the default world was built, for the input log (src/replay): enough to build it again. */
export const worldRecipe = (
  w: SimWorld,
  options: ServerOptions,
  inputMaxSpeed: number,
  game: { name: string; version: number } | null,
): WorldRecipe => ({
  id: w.id,
  capacity: w.capacity,
  seed: w.seed,
  size: w.bounds.maxX - w.bounds.minX,
  config: structuredClone(w.config),
  physics: w.physics ? w.physics.config : null,
  npcs: options.npcs,
  scenes: w.scenes !== null,
  inputMaxSpeed,
  game: game?.name ?? null,
  ...(game ? { gameVersion: game.version } : {}),
});
