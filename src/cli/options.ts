/**
 * Server options: one table drives parsing (flags, `WORLDTICK_*` environment, JSON config file),
 * validation (messages name the option) and `--help`. Precedence: flag > env > file > default.
 * The table is src/cli/option-specs.ts, the config file src/cli/config-file.ts, the help text
 * src/cli/help-text.ts; this module merges the sources.
 */
import { isWorldtickError, optionInvalid } from '../errors.js';
import { resolveStoreTarget } from '../store/open-store.js';
import { checkOption } from '../config/schema.js';
import type { ServerOptions } from './server-options.js';
import { coerceOption, schemaOf } from './option-schema.js';
import { OPTION_SPECS, SPECS_BY_FLAG, SPECS_BY_KEY } from './option-specs.js';
import { emptyConfigFile, readConfigFile } from './config-file.js';
import { didYouMean } from './did-you-mean.js';
import { physicsGridProblems, resolvePhysicsConfig, type PhysicsOptions } from '../physics/physics-config.js';

/** What `--instance-id` may be (a generated id, `<hostname>-<pid>-<hex>`, always is). */
const INSTANCE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

export type { ServerOptions } from './server-options.js';
export { optionSchema } from './option-schema.js';
export { OPTION_SPECS } from './option-specs.js';
export { MAX_CONFIG_FILE_BYTES } from './config-file.js';
export { helpText } from './help-text.js';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Scheduler keys that also exist as options: a flag or env value beats the file's scheduler block. */
const SCHEDULER_OPTION_KEYS = ['tickIntervalSeconds', 'timeScale'] as const;

/**
 * Parse and validate options from argv (without node and script), env and the config file the
 * flags/env name. Throws `WT_ERR_OPTION_INVALID` listing every problem.
 */
export const parseOptions = (argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ServerOptions =>
  parseOptionSources(argv, env).options;

/**
 * {@link parseOptions}, and the option keys a flag, an env value or the config file gave (a
 * scheduler key given in the file's `scheduler.simulation` counts): the rest hold their defaults.
 */
export const parseOptionSources = (
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): { options: ServerOptions; given: ReadonlySet<string> } => {
  const problems: string[] = [];
  const fromFlags = new Map<string, unknown>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h') {
      fromFlags.set('help', true);
      continue;
    }
    if (!arg.startsWith('--')) {
      problems.push(`unexpected argument ${JSON.stringify(arg)}`);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = SPECS_BY_FLAG.get(flag);
    if (!spec) {
      problems.push(`unknown option --${flag}${didYouMean(flag, SPECS_BY_FLAG.keys(), '--')} (see --help)`);
      continue;
    }
    let raw: unknown;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else if (spec.kind === 'boolean') raw = true;
    else if (i + 1 < argv.length) raw = argv[++i];
    else {
      problems.push(`--${flag} needs a value`);
      continue;
    }
    const v = coerceOption(spec, raw, `--${flag}`, problems);
    if (v !== undefined) fromFlags.set(spec.key, v);
  }
  const fromEnv = new Map<string, unknown>();
  // A mistyped variable (WORLDTICK_ADMN_PORT) would otherwise be ignored without a word and the
  // default used: every WORLDTICK_* variable must name an option.
  const envNames = OPTION_SPECS.flatMap((s) => (s.env ? [s.env] : []));
  for (const name of Object.keys(env)) {
    if (name.startsWith('WORLDTICK_') && !envNames.includes(name))
      problems.push(`unknown environment variable ${name}${didYouMean(name, envNames)} (see --help for the WORLDTICK_* variables)`);
  }
  for (const spec of OPTION_SPECS) {
    if (!spec.env || env[spec.env] === undefined || env[spec.env] === '') continue;
    const v = coerceOption(spec, env[spec.env], spec.env, problems);
    if (v !== undefined) fromEnv.set(spec.key, v);
  }
  const configPath = (fromFlags.get('config') ?? fromEnv.get('config')) as string | undefined;
  const file = configPath ? readConfigFile(configPath, problems) : emptyConfigFile();
  const fromFile = file.values;
  let scheduler = file.scheduler;
  const { net, periodic, ledger, playerData, tierZones, physicsConfig } = file;
  // Precedence flag > env > file > default also for the scheduler keys that are options: the
  // file's scheduler.simulation.{tickIntervalSeconds,timeScale} beat the default but not a flag
  // or env value; the same key twice in one file (top level and scheduler block) is a problem.
  const sim = isObj(scheduler) && isObj(scheduler.simulation) ? scheduler.simulation : null;
  if (sim) {
    const simOut: Record<string, unknown> = { ...sim };
    let overridden = false;
    for (const key of SCHEDULER_OPTION_KEYS) {
      const given = fromFlags.has(key) ? fromFlags.get(key) : fromEnv.has(key) ? fromEnv.get(key) : undefined;
      if (given !== undefined) {
        simOut[key] = given;
        overridden = true;
      } else if (Object.hasOwn(sim, key)) {
        if (fromFile.has(key) && sim[key] !== fromFile.get(key))
          problems.push(`config file: ${key} and scheduler.simulation.${key} are both given with different values; give one`);
        else {
          // The options object reports the value in force (when it fits the option's range;
          // the scheduler schema checks the block itself when the world is created).
          const v = checkOption(schemaOf(key), sim[key], key, []);
          if (v !== undefined) fromFile.set(key, v);
        }
      }
    }
    if (overridden) scheduler = { ...(scheduler as Record<string, unknown>), simulation: simOut };
  }
  // The store spec is checked here, with the others (src/store/open-store.ts parses it).
  const pick = (key: string): unknown =>
    fromFlags.has(key) ? fromFlags.get(key) : fromEnv.has(key) ? fromEnv.get(key) : fromFile.get(key);
  try {
    resolveStoreTarget({ store: (pick('store') as string | undefined) ?? '', dataDir: (pick('dataDir') as string | undefined) ?? '' });
  } catch (err) {
    if (isWorldtickError(err)) problems.push(...((err.details as { problems?: string[] }).problems ?? [err.message]));
    else throw err;
  }
  const instanceId = pick('instanceId');
  if (typeof instanceId === 'string' && instanceId !== '' && !INSTANCE_ID.test(instanceId))
    problems.push(
      `--instance-id ${JSON.stringify(instanceId.slice(0, 100))}: 1 to 200 letters, digits, '.', '_', ':' or '-', starting with a letter or digit (it names the instance in logs, metrics labels, redirects and Redis keys)`,
    );
  // An empty value given on purpose (`--admin-token-previous=`, `"adminTokenPrevious": ""`) is a mistake, not "none":
  // a rotation the operator meant to start would silently accept only the current token. (Empty env values are unset.)
  if (fromFlags.get('adminTokenPrevious') === '' || fromFile.get('adminTokenPrevious') === '')
    problems.push('--admin-token-previous must not be empty (leave it out when no rotation is in progress)');
  // The default world's physics grids for its size (a world of size 100,000 with the default 4-unit cells would ask for
  // 625 million cells of each): said here with the option names, not at the world's creation. The crowd scenario's
  // world has no physics and a size of its own (src/scenarios/crowd.ts).
  const inForce = (key: string): unknown => pick(key) ?? SPECS_BY_KEY.get(key)?.default;
  if (problems.length === 0 && inForce('physics') === 'on' && inForce('scenario') !== 'crowd') {
    const size = inForce('worldSize') as number;
    const tuning = (physicsConfig as { tuning?: PhysicsOptions } | undefined)?.tuning;
    for (const p of physicsGridProblems(size, resolvePhysicsConfig(tuning), 'physicsConfig.tuning'))
      problems.push(`${tuning ? 'config file: ' : ''}--world-size ${size} with --physics on: ${p}`);
  }
  if (problems.length) throw optionInvalid(problems);
  const out: Record<string, unknown> = { scheduler, net, periodic, ledger, playerData, tierZones, physicsConfig };
  const given = new Set([...fromFlags.keys(), ...fromEnv.keys(), ...fromFile.keys()]);
  for (const spec of OPTION_SPECS) {
    out[spec.key] = fromFlags.has(spec.key)
      ? fromFlags.get(spec.key)
      : fromEnv.has(spec.key)
        ? fromEnv.get(spec.key)
        : fromFile.has(spec.key)
          ? fromFile.get(spec.key)
          : spec.default;
  }
  return { options: out as unknown as ServerOptions, given };
};
