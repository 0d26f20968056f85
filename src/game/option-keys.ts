/**
 * The keys `defineGame` knows (src/game/definition.ts), at the top level, in `world` and in `hooks`:
 * any other is listed as a problem with the likely intended name, so a mistyped key (`hooks: {
 * onPlayerJoin }`) is refused rather than ignored.
 */
import { didYouMean } from '../cli/did-you-mean.js';
import { PHASES } from '../core/phases.js';

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

/** Options that are lists of definitions (`defineComponent`, `defineMessage`, ... results), and what each entry is. */
const LIST_OPTIONS: ReadonlyArray<[string, string]> = [
  ['modules', 'modules (e.g. lifeSim())'],
  ['components', 'components (defineComponent)'],
  ['systems', 'systems ({ name, phase, run })'],
  ['messages', 'messages (defineMessage)'],
  ['serverMessages', 'server messages (defineServerMessage)'],
  ['timers', 'timers ({ name, run, every? })'],
  ['facts', 'facts (defineFact)'],
];
/** Options that are plain objects. */
const OBJECT_OPTIONS = ['world', 'net', 'hooks', 'replicate'] as const;

const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

/**
 * Problems of the options' shape, checked before anything reads inside them: `opts` an object,
 * each list option an array of named objects, each object option a plain object, hooks functions, each
 * module's pipeline an array of system entries and its populate/attach functions. A game written in
 * JavaScript (no compiler to say so) gets these, not `TypeError: components is not iterable`.
 */
export const gameShapeProblems = (opts: unknown): string[] => {
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts))
    return [`the game's options must be an object (got ${kindOf(opts)})`];
  const o = opts as Record<string, unknown>;
  const problems: string[] = [];
  for (const [key, what] of LIST_OPTIONS) {
    const v = o[key];
    if (v === undefined) continue;
    if (!Array.isArray(v)) problems.push(`${key} must be an array of ${what} (got ${kindOf(v)})`);
    else
      for (let i = 0; i < v.length; i++) {
        const e: unknown = v[i];
        if (typeof e !== 'object' || e === null || Array.isArray(e))
          problems.push(`${key}[${i}] must be one of the ${what} (got ${kindOf(e)})`);
        // Every entry is named, and its name goes into the messages of every later check (components: componentProblems).
        else if (key !== 'components' && typeof Reflect.get(e, 'name') !== 'string')
          problems.push(`${key}[${i}].name must be a string (got ${kindOf(Reflect.get(e, 'name'))})`);
      }
  }
  for (const key of OBJECT_OPTIONS) {
    const v = o[key];
    if (v !== undefined && (typeof v !== 'object' || v === null || Array.isArray(v)))
      problems.push(`${key} must be an object (got ${kindOf(v)})`);
  }
  const hooks = o.hooks;
  if (typeof hooks === 'object' && hooks !== null)
    for (const [k, fn] of Object.entries(hooks))
      if (fn !== undefined && typeof fn !== 'function') problems.push(`hooks.${k} must be a function (got ${kindOf(fn)})`);
  if (Array.isArray(o.modules))
    for (let i = 0; i < o.modules.length; i++) {
      const m = o.modules[i] as Record<string, unknown> | null;
      if (typeof m !== 'object' || m === null) continue;
      if (m.name === '') problems.push(`modules[${i}] has an empty name`); // not a string: said above
      if (m.pipeline !== undefined && !Array.isArray(m.pipeline))
        problems.push(`modules[${i}].pipeline must be an array of systems (got ${kindOf(m.pipeline)})`);
      else if (Array.isArray(m.pipeline))
        for (let j = 0; j < m.pipeline.length; j++) {
          const e = m.pipeline[j] as Record<string, unknown> | null;
          if (
            typeof e !== 'object' ||
            e === null ||
            typeof e.name !== 'string' ||
            typeof e.run !== 'function' ||
            !PHASES.includes(e.phase as never)
          )
            problems.push(`modules[${i}].pipeline[${j}] must be a system entry { name, phase, run } (phase one of ${PHASES.join(', ')})`);
        }
      for (const k of ['populate', 'attach'])
        if (m[k] !== undefined && typeof m[k] !== 'function') problems.push(`modules[${i}].${k} must be a function (got ${kindOf(m[k])})`);
      if (m.populateInSlices !== undefined && typeof m.populateInSlices !== 'boolean')
        problems.push(`modules[${i}].populateInSlices must be a boolean (got ${kindOf(m.populateInSlices)})`);
    }
  return problems;
};

/**
 * The problem of a value given where a game definition is expected (`createGameWorld`, `startServer`,
 * `runMain`), or null: what `defineGame` returns has its compiled `pipeline` (an array) and `replicate`
 * (a Map). A JavaScript caller passing the options themselves (`defineGame` forgotten) or nothing got a
 * TypeError from deep inside.
 */
export const notAGameProblem = (game: unknown, what: string): string | null => {
  const ok =
    typeof game === 'object' &&
    game !== null &&
    Array.isArray(Reflect.get(game, 'pipeline')) &&
    Reflect.get(game, 'replicate') instanceof Map &&
    typeof Reflect.get(game, 'hooks') === 'object';
  return ok ? null : `${what}: the game must be what defineGame returns (got ${kindOf(game)})`;
};
