/**
 * Checks of an input log read back (log-format.ts `readLog`) before anything is built or stepped
 * from it. A log is a file from outside the process (a disk, another machine, an operator's copy):
 * a damaged one must give `WT_ERR_REPLAY_LOG_INVALID` naming the frame and the field, never a
 * TypeError inside a system reported as a divergence (exit 1 of `npm run replay`, "the code is not
 * deterministic"), nor a crash. Ranges the world's own creation checks (capacity, size, seed, id)
 * are left to it; the replayer reports its refusal as a bad log too (replayer.ts).
 */
import { defaultSchedulerConfig, mergeSchedulerConfig } from '../config/scheduler-config.js';
import { problemsOf, resolveWorldPhysics, type WorldPhysicsConfig } from '../physics/physics-world.js';
import { isPlayerList } from './replay-players.js';
import { shown } from '../core/shown.js';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const safeInt = (v: unknown, min: number): v is number => Number.isSafeInteger(v) && (v as number) >= min;
const stringOrNull = (v: unknown): boolean => v === null || typeof v === 'string';

/** Problem of a recorded scheduler config (the recipe's, or one a step frame applies), or null. */
export const configProblem = (config: unknown): string | null => {
  try {
    mergeSchedulerConfig(defaultSchedulerConfig(), config);
    return null;
  } catch (err) {
    return problemsOf(err).join('; ');
  }
};

/**
 * The recorded physics block, validated as a world's physics block is at creation (the recipe
 * holds it resolved: tuning, navigation and inline obstacles). Replayed inline (`shards` 0) and
 * without reading a map file (its obstacles are in the block). Throws `WT_ERR_CONFIG_INVALID`.
 */
export const recordedPhysics = (physics: object): WorldPhysicsConfig => {
  const { resolved: _resolved, ...block } = physics as Record<string, unknown>; // the runtime's mark of a resolved block, recorded with it
  const p = resolveWorldPhysics({ ...block, shards: 0, map: '' }, { path: 'physics', allowMapFile: false });
  const map: unknown = Reflect.get(physics, 'map');
  return { ...p, map: typeof map === 'string' ? map : '' };
};

/** First problem of a log header's recipe (`WorldRecipe`), or null. */
export const recipeProblem = (recipe: unknown): string | null => {
  if (!isObj(recipe)) return 'the recipe is not an object';
  if (typeof recipe.id !== 'string') return 'the recipe has no world id';
  for (const k of ['capacity', 'seed', 'size'] as const) if (typeof recipe[k] !== 'number') return `the recipe's ${k} is not a number`;
  // Not bounded by the capacity here: a game's populate may not spawn them all; the built-in world's refuses more (replayer.ts).
  if (!safeInt(recipe.npcs, 0)) return `the recipe's NPC count is malformed (${shown(recipe.npcs)})`;
  if (typeof recipe.scenes !== 'boolean') return "the recipe's scenes flag is not a boolean";
  const speed = recipe.inputMaxSpeed;
  if (speed !== null && !(typeof speed === 'number' && Number.isFinite(speed) && speed >= 0))
    // net.maxSpeed may be 0
    return `the recipe's input speed is malformed (${shown(speed)})`;
  if (recipe.game !== undefined && !stringOrNull(recipe.game)) return "the recipe's game is not a name";
  const config = configProblem(recipe.config);
  if (config !== null) return `the recipe's config is invalid: ${config}`;
  if (recipe.physics !== null) {
    if (!isObj(recipe.physics)) return "the recipe's physics is neither null nor an object";
    try {
      recordedPhysics(recipe.physics);
    } catch (err) {
      return `the recipe's physics is invalid: ${problemsOf(err).join('; ')}`;
    }
  }
  return null;
};

/** A settled job attempt: [id, ok, result, errCode, errMessage]. */
const isSettle = (v: unknown): boolean =>
  Array.isArray(v) && v.length === 5 && Number.isSafeInteger(v[0]) && typeof v[1] === 'boolean' && stringOrNull(v[3]) && stringOrNull(v[4]);

/**
 * A recorded fact: [type, key, payload], the key as the ingest buffers take it (0..2^32-1), or -1: the
 * recorder's key for wallet changes applied outside a `tx` fact (recorder.ts `walletApplied`).
 */
const isFact = (v: unknown): boolean =>
  Array.isArray(v) && v.length === 3 && typeof v[0] === 'string' && Number.isInteger(v[1]) && v[1] >= -1 && v[1] <= 0xffffffff;

/**
 * First problem of a frame after the header, or null. `budgetsProblem` checks the step frame's
 * budgets (log-format.ts owns their order).
 */
export const frameProblem = (f: unknown, budgetsProblem: (b: unknown) => string | null): string | null => {
  if (!isObj(f)) return 'not a frame';
  if (f.t !== 'step' && f.t !== 'end') return `unknown frame type ${shown(f.t)}`;
  if (!safeInt(f.step, 0)) return `step is ${shown(f.step)}`;
  if (f.t === 'end') return typeof f.hash === 'string' ? null : 'the end frame has no hash';
  if (f.hash !== undefined && typeof f.hash !== 'string') return 'hash is not a string';
  const budgets = budgetsProblem(f.budgets);
  if (budgets !== null) return budgets;
  if (!Array.isArray(f.facts) || !f.facts.every(isFact)) return 'facts are malformed';
  if (!Array.isArray(f.starts) || !f.starts.every((id) => safeInt(id, 0))) return 'job starts are malformed';
  const pre = f.pre;
  if (pre === undefined) return null;
  if (!isObj(pre)) return 'pre is not an object';
  if (pre.settles !== undefined && !(Array.isArray(pre.settles) && pre.settles.every(isSettle))) return 'job settlements are malformed';
  if (pre.binds !== undefined && !isPlayerList(pre.binds)) return 'player bindings are malformed';
  if (pre.config !== undefined) {
    const config = configProblem(pre.config);
    if (config !== null) return `the config applied is invalid: ${config}`;
  }
  return null;
};
