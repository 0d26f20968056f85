/**
 * Server options: one table drives parsing (flags, `WORLDTICK_*` environment, JSON config file),
 * validation (messages name the option) and `--help`. Precedence: flag > env > file > default.
 */
import { readFileSync, statSync } from 'node:fs';
import { optionInvalid } from '../errors.js';
import { LOG_LEVELS } from '../log.js';
import { createTierZones, replaceZones } from '../tiers/tier-zones.js';

export interface ServerOptions {
  host: string;
  port: number;
  adminPort: number;
  adminToken: string;
  npcs: number;
  capacity: number;
  worldSize: number;
  seed: number;
  tickIntervalSeconds: number;
  timeScale: number;
  logLevel: string;
  statsIntervalSeconds: number;
  /** Worker threads of the job pool (scene generation), src/jobs/worker-pool.ts. */
  jobThreads: number;
  config: string;
  /** Scheduler-config patch for the default world (config file only). */
  scheduler: unknown;
  /** Game-server settings patch (config file only; see src/net/net-config.ts), validated at start. */
  net: unknown;
  /** Tier zones of the default world (config file only; an array, see src/tiers/tier-zones.ts), validated here. */
  tierZones: unknown;
  help: boolean;
}

type Kind = 'int' | 'number' | 'string' | 'boolean' | 'enum';
interface OptionSpec {
  key: Exclude<keyof ServerOptions, 'scheduler' | 'net'>;
  flag: string;
  env: string;
  kind: Kind;
  default: string | number | boolean;
  min?: number;
  max?: number;
  values?: readonly string[];
  doc: string;
}

/** Every option. Documented in `--help` and README. */
export const OPTION_SPECS: readonly OptionSpec[] = [
  { key: 'host', flag: 'host', env: 'WORLDTICK_HOST', kind: 'string', default: '127.0.0.1', doc: 'address the game and admin servers bind' },
  { key: 'port', flag: 'port', env: 'WORLDTICK_PORT', kind: 'int', default: 7700, min: 0, max: 65535, doc: 'game WebSocket port (0 = any free port)' },
  { key: 'adminPort', flag: 'admin-port', env: 'WORLDTICK_ADMIN_PORT', kind: 'int', default: 7701, min: 0, max: 65535, doc: 'admin HTTP API, metrics and dashboard port (0 = any free port)' },
  { key: 'adminToken', flag: 'admin-token', env: 'WORLDTICK_ADMIN_TOKEN', kind: 'string', default: '', doc: 'bearer token of the admin API (empty = generate one at start and print it)' },
  { key: 'npcs', flag: 'npcs', env: 'WORLDTICK_NPCS', kind: 'int', default: 10_000, min: 0, max: 10_000_000, doc: 'NPCs in the embedded default world' },
  { key: 'capacity', flag: 'capacity', env: 'WORLDTICK_CAPACITY', kind: 'int', default: 0, min: 0, max: 50_000_000, doc: 'entity capacity of the default world (0 = npcs + 10000 for players)' },
  { key: 'worldSize', flag: 'world-size', env: 'WORLDTICK_WORLD_SIZE', kind: 'number', default: 2000, min: 1, max: 10_000_000, doc: 'side of the default (square) world, in world units' },
  { key: 'seed', flag: 'seed', env: 'WORLDTICK_SEED', kind: 'int', default: 1, min: 0, max: 0xffffffff, doc: 'PRNG seed of the default world' },
  { key: 'tickIntervalSeconds', flag: 'tick-interval', env: 'WORLDTICK_TICK_INTERVAL', kind: 'number', default: 0.05, min: 0.001, max: 60, doc: 'seconds per step of the default world (0.05 = 20 Hz)' },
  { key: 'timeScale', flag: 'time-scale', env: 'WORLDTICK_TIME_SCALE', kind: 'number', default: 60, min: 0.000001, max: 1_000_000, doc: 'world seconds per real second in the default world' },
  { key: 'logLevel', flag: 'log-level', env: 'WORLDTICK_LOG_LEVEL', kind: 'enum', default: 'info', values: LOG_LEVELS, doc: 'pino log level' },
  { key: 'statsIntervalSeconds', flag: 'stats-interval', env: 'WORLDTICK_STATS_INTERVAL', kind: 'number', default: 5, min: 0, max: 3600, doc: 'seconds between stats log lines (0 = off)' },
  { key: 'jobThreads', flag: 'job-threads', env: 'WORLDTICK_JOB_THREADS', kind: 'int', default: 1, min: 1, max: 16, doc: 'worker threads for content jobs (NPC scene generation); started on first use' },
  { key: 'config', flag: 'config', env: 'WORLDTICK_CONFIG', kind: 'string', default: '', doc: 'JSON config file: any option above by its camelCase name, plus "scheduler" (a scheduler-config patch), "net" (game-server settings, see src/net/net-config.ts) and "tierZones" (the default world\'s tier zones, docs/TIERS.md)' },
  { key: 'help', flag: 'help', env: '', kind: 'boolean', default: false, doc: 'print this help and exit' },
];

/** Largest config file read (bytes). */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

const BY_FLAG = new Map(OPTION_SPECS.map((s) => [s.flag, s]));
const BY_KEY = new Map<string, OptionSpec>(OPTION_SPECS.map((s) => [s.key, s]));

const coerce = (spec: OptionSpec, raw: unknown, where: string, problems: string[]): unknown => {
  const name = where;
  switch (spec.kind) {
    case 'int':
    case 'number': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      const ok = Number.isFinite(n) && (spec.kind === 'number' || Number.isInteger(n)) && (spec.min === undefined || n >= spec.min) && (spec.max === undefined || n <= spec.max);
      if (!ok) {
        problems.push(`${name} must be ${spec.kind === 'int' ? 'an integer' : 'a number'} between ${spec.min} and ${spec.max} (got ${JSON.stringify(raw)})`);
        return undefined;
      }
      return n;
    }
    case 'boolean':
      if (raw === true || raw === 'true' || raw === '1') return true;
      if (raw === false || raw === 'false' || raw === '0') return false;
      problems.push(`${name} must be true or false (got ${JSON.stringify(raw)})`);
      return undefined;
    case 'enum':
      if (typeof raw === 'string' && spec.values!.includes(raw)) return raw;
      problems.push(`${name} must be one of ${spec.values!.join(', ')} (got ${JSON.stringify(raw)})`);
      return undefined;
    case 'string':
      if (typeof raw === 'string') return raw;
      problems.push(`${name} must be a string`);
      return undefined;
  }
};

/**
 * Parse and validate options from argv (without node and script), env and the config file the
 * flags/env name. Throws `WT_ERR_OPTION_INVALID` listing every problem.
 */
export const parseOptions = (argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ServerOptions => {
  const problems: string[] = [];
  const fromFlags = new Map<string, unknown>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h') { fromFlags.set('help', true); continue; }
    if (!arg.startsWith('--')) { problems.push(`unexpected argument ${JSON.stringify(arg)}`); continue; }
    const eq = arg.indexOf('=');
    const flag = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = BY_FLAG.get(flag);
    if (!spec) { problems.push(`unknown option --${flag} (see --help)`); continue; }
    let raw: unknown;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else if (spec.kind === 'boolean') raw = true;
    else if (i + 1 < argv.length) raw = argv[++i];
    else { problems.push(`--${flag} needs a value`); continue; }
    const v = coerce(spec, raw, `--${flag}`, problems);
    if (v !== undefined) fromFlags.set(spec.key, v);
  }
  const fromEnv = new Map<string, unknown>();
  for (const spec of OPTION_SPECS) {
    if (!spec.env || env[spec.env] === undefined || env[spec.env] === '') continue;
    const v = coerce(spec, env[spec.env], spec.env, problems);
    if (v !== undefined) fromEnv.set(spec.key, v);
  }
  const fromFile = new Map<string, unknown>();
  let scheduler: unknown = {};
  let net: unknown = {};
  let tierZones: unknown = [];
  const configPath = (fromFlags.get('config') ?? fromEnv.get('config')) as string | undefined;
  if (configPath) {
    let parsed: unknown;
    try {
      // A device or FIFO (/dev/zero, /dev/stdin) would read forever: regular files only, bounded.
      const st = statSync(configPath);
      if (!st.isFile()) problems.push(`config file ${configPath} is not a regular file`);
      else if (st.size > MAX_CONFIG_FILE_BYTES) problems.push(`config file ${configPath} is larger than ${MAX_CONFIG_FILE_BYTES} bytes`);
      else parsed = JSON.parse(readFileSync(configPath, 'utf8'));
    } catch (err) {
      problems.push(`config file ${configPath} could not be read as JSON: ${(err as Error).message.slice(0, 200)}`);
    }
    if (parsed !== undefined) {
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) problems.push(`config file ${configPath} must hold a JSON object`);
      else {
        for (const [k, raw] of Object.entries(parsed)) {
          if (k === 'scheduler') { scheduler = raw; continue; }
          if (k === 'tierZones') {
            try { replaceZones(createTierZones(), raw); tierZones = raw; } catch (err) { problems.push(`config file: ${(err as Error).message}`); }
            continue;
          }
          if (k === 'net') {
            if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) net = raw;
            else problems.push('config file: net must be an object of game-server settings');
            continue;
          }
          const spec = BY_KEY.get(k);
          if (!spec || k === 'config' || k === 'help') { problems.push(`config file: ${k} is not a known option`); continue; }
          const v = coerce(spec, raw, `config file: ${k}`, problems);
          if (v !== undefined) fromFile.set(k, v);
        }
      }
    }
  }
  if (problems.length) throw optionInvalid(problems);
  const out: Record<string, unknown> = { scheduler, net, tierZones };
  for (const spec of OPTION_SPECS) {
    out[spec.key] = fromFlags.has(spec.key) ? fromFlags.get(spec.key) : fromEnv.has(spec.key) ? fromEnv.get(spec.key) : fromFile.has(spec.key) ? fromFile.get(spec.key) : spec.default;
  }
  return out as unknown as ServerOptions;
};

/** The `--help` text, generated from {@link OPTION_SPECS}. */
export const helpText = (): string => {
  const lines = ['worldtick — authoritative ECS game-server runtime', '', 'Usage: npm start -- [options]', '', 'Options (flag / environment variable, default):'];
  for (const s of OPTION_SPECS) {
    const flag = `--${s.flag}${s.kind === 'boolean' ? '' : ' <' + (s.kind === 'enum' ? s.values!.join('|') : s.kind) + '>'}`;
    lines.push(`  ${flag}`);
    lines.push(`      ${s.doc}${s.env ? `  [${s.env}]` : ''}  (default: ${JSON.stringify(s.default)})`);
  }
  lines.push('', 'Precedence: flag > environment > config file > default.');
  return lines.join('\n');
};
