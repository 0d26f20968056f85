/**
 * The JSON config file of the server options (`--config` / `WORLDTICK_CONFIG`): read bounded,
 * regular files only; option keys checked against the option table; the config-file-only
 * blocks (scheduler, net, periodic, ledger, playerData, tierZones, physicsConfig) taken apart and the
 * ones checkable here validated. Problems are collected, never thrown.
 */
import { readFileSync, statSync } from 'node:fs';
import { CONFIG_BLOCKS, checkConfigBlock } from './config-blocks.js';
import { didYouMean } from './did-you-mean.js';
import { coerceOption } from './option-schema.js';
import { OPTION_SPECS, SPECS_BY_KEY } from './option-specs.js';

/** Largest config file read (bytes). */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

/** What a config file gave: option values by key, and the config-file-only blocks (defaults when absent). */
export interface ConfigFileValues {
  /** Coerced option values by options key. */
  values: Map<string, unknown>;
  scheduler: unknown;
  net: unknown;
  periodic: unknown[];
  ledger: unknown;
  playerData: unknown;
  tierZones: unknown;
  physicsConfig: unknown;
}

/** camelCase of a flag (`checkpoint-interval` → `checkpointInterval`). */
const camel = (flag: string): string => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Config-file aliases: the camelCase of each flag whose option key differs (`checkpointInterval` for
 * `checkpointIntervalSeconds`, `leaseTtl` for `leaseTtlSeconds`, …) — `--help` promises "any option
 * by its camelCase name", and an operator writes the flag's name.
 */
const KEY_ALIASES: ReadonlyMap<string, string> = new Map(
  OPTION_SPECS.filter((s) => camel(s.flag) !== s.key).map((s) => [camel(s.flag), s.key] as const),
);

/** The values in force without a config file. */
export const emptyConfigFile = (): ConfigFileValues => ({
  values: new Map<string, unknown>(),
  scheduler: {},
  net: {},
  periodic: [],
  ledger: {},
  playerData: {},
  tierZones: [],
  physicsConfig: {},
});

/** Read and check the config file at `configPath`; every problem is pushed to `problems` (prefixed `config file`). */
export const readConfigFile = (configPath: string, problems: string[]): ConfigFileValues => {
  const out = emptyConfigFile();
  const fromFile = out.values;
  let parsed: unknown;
  let text: string | undefined;
  try {
    // A device or FIFO (/dev/zero, /dev/stdin) would read forever: regular files only, bounded.
    const st = statSync(configPath);
    if (!st.isFile()) problems.push(`config file ${configPath} is not a regular file`);
    else if (st.size > MAX_CONFIG_FILE_BYTES) problems.push(`config file ${configPath} is larger than ${MAX_CONFIG_FILE_BYTES} bytes`);
    else text = readFileSync(configPath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    problems.push(
      code === 'ENOENT'
        ? `config file ${configPath} does not exist`
        : `config file ${configPath} cannot be read: ${(err as Error).message.slice(0, 200)}`,
    );
  }
  if (text !== undefined) {
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      problems.push(`config file ${configPath} is not valid JSON: ${(err as Error).message.slice(0, 200)}`);
    }
  }
  if (parsed === undefined) return out;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push(`config file ${configPath} must hold a JSON object`);
    return out;
  }
  for (const [k, raw] of Object.entries(parsed)) {
    if (CONFIG_BLOCKS.includes(k)) {
      const r = checkConfigBlock(k, raw);
      if (r.problems.length) problems.push(...r.problems.map((m) => `config file: ${m}`));
      else (out as unknown as Record<string, unknown>)[k] = r.value;
      continue;
    }
    const key = KEY_ALIASES.get(k) ?? k;
    const spec = SPECS_BY_KEY.get(key);
    if (!spec || k === 'config' || k === 'help' || k === 'version') {
      const keys = [...SPECS_BY_KEY.keys(), ...KEY_ALIASES.keys(), ...CONFIG_BLOCKS];
      problems.push(
        `config file: ${k} is not a known option${didYouMean(
          k,
          keys.filter((x) => x !== 'config' && x !== 'help' && x !== 'version'),
        )}`,
      );
      continue;
    }
    if (key !== k && Object.hasOwn(parsed, key)) {
      problems.push(`config file: ${k} and ${key} are the same option; give one`);
      continue;
    }
    const v = coerceOption(spec, raw, `config file: ${k}`, problems);
    if (v !== undefined) fromFile.set(key, v);
  }
  return out;
};
