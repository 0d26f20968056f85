/**
 * Server options: one table drives parsing (flags, `WORLDTICK_*` environment, JSON config file),
 * validation (messages name the option) and `--help`. Precedence: flag > env > file > default.
 */
import { readFileSync, statSync } from 'node:fs';
import { isWorldtickError, optionInvalid } from '../errors.js';
import { resolveStoreTarget } from '../store/open-store.js';
import { LOG_LEVELS } from '../log.js';
import { checkOption, type Spec } from '../config/schema.js';
import { checkDeclaredTasks } from '../periodic/declared-tasks.js';
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
  /** Wall seconds without a periodic heartbeat after which a running world turns /readyz red. */
  heartbeatStaleSeconds: number;
  config: string;
  /** Scheduler-config patch for the default world (config file only). */
  scheduler: unknown;
  /** Game-server settings patch (config file only; see src/net/net-config.ts), validated at start. */
  net: unknown;
  /** Periodic tasks declared for the default world (config file only; src/periodic/declared-tasks.ts), validated here. */
  periodic: unknown[];
  /** Coins every new player is granted once (ledger reward `start-grant`). */
  startingCoins: number;
  /** Ledger settings patch (config file only; src/ledger/ledger-options.ts), validated at start. */
  ledger: unknown;
  /** World setup of the default world: `default` (tiered NPC life) or `crowd` (src/scenarios/crowd.ts). */
  scenario: string;
  /** NPCs of the crowd scenario. */
  crowdNpcs: number;
  /** Cluster mode: `redis://…` of the coordination Redis (empty = one instance, in-process coordinator). */
  redis: string;
  /** Cluster: this instance's id (empty = generated per process start). */
  instanceId: string;
  /** Cluster: shared secret signing redirect tickets (>= 16 bytes; empty = the admin token). */
  clusterSecret: string;
  /** Cluster: world-lease TTL in wall seconds (renewed every third of it). */
  leaseTtlSeconds: number;
  /** Cluster: wall seconds between balance rounds on the leader (0 = only on demand). */
  balanceIntervalSeconds: number;
  /** Cluster: host name put in the game and admin URLs this instance advertises (empty = --host). */
  advertiseHost: string;
  /** Directory of the embedded SQLite store (created at start). */
  dataDir: string;
  /** Store spec: `postgres://…` / `postgresql://…` (shared), `sqlite:<dir>`, or empty (SQLite in `dataDir`); see src/store/open-store.ts. */
  store: string;
  /** Wall seconds between full world checkpoints (0 = only at graceful shutdown); see docs/DURABILITY.md. */
  checkpointIntervalSeconds: number;
  /** Tier zones of the default world (config file only; an array, see src/tiers/tier-zones.ts), validated here. */
  tierZones: unknown;
  /** Physics of the default world: `on` (collision, obstacles, edges stop players) or `off` (plain movement). */
  physics: string;
  /** Shard workers of the default world's physics: `auto` or 0..16. */
  shards: string;
  /** How the physics step runs: `auto` (cheaper by measurement), `inline` or `shards`. */
  shardMode: string;
  /** JSON map file of obstacle rects for the default world ('' = none). */
  map: string;
  /** More physics settings of the default world (config file only, key `physicsConfig`): obstacles, tuning, navigation, mainRuns. */
  physicsConfig: unknown;
  /** Record the default world's input log to this file ('' = off); `npm run replay -- <file>`. */
  record: string;
  /** Steps between state hashes in a recording. */
  recordHashEvery: number;
  help: boolean;
}

type Kind = 'int' | 'number' | 'string' | 'boolean' | 'enum';
interface OptionSpec {
  key: Exclude<keyof ServerOptions, 'scheduler' | 'net' | 'periodic' | 'ledger' | 'physicsConfig'>;
  flag: string;
  env: string;
  kind: Kind;
  default: string | number | boolean;
  min?: number;
  max?: number;
  values?: readonly string[];
  doc: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every option. Documented in `--help` and README. */
export const OPTION_SPECS: readonly OptionSpec[] = [
  {
    key: 'host',
    flag: 'host',
    env: 'WORLDTICK_HOST',
    kind: 'string',
    default: '127.0.0.1',
    doc: 'address the game and admin servers bind',
  },
  {
    key: 'port',
    flag: 'port',
    env: 'WORLDTICK_PORT',
    kind: 'int',
    default: 7700,
    min: 0,
    max: 65535,
    doc: 'game WebSocket port (0 = any free port)',
  },
  {
    key: 'adminPort',
    flag: 'admin-port',
    env: 'WORLDTICK_ADMIN_PORT',
    kind: 'int',
    default: 7701,
    min: 0,
    max: 65535,
    doc: 'admin HTTP API, metrics and dashboard port (0 = any free port)',
  },
  {
    key: 'adminToken',
    flag: 'admin-token',
    env: 'WORLDTICK_ADMIN_TOKEN',
    kind: 'string',
    default: '',
    doc: 'bearer token of the admin API (empty = generate one at start and print it)',
  },
  {
    key: 'npcs',
    flag: 'npcs',
    env: 'WORLDTICK_NPCS',
    kind: 'int',
    default: 10_000,
    min: 0,
    max: 10_000_000,
    doc: 'NPCs in the embedded default world',
  },
  {
    key: 'capacity',
    flag: 'capacity',
    env: 'WORLDTICK_CAPACITY',
    kind: 'int',
    default: 0,
    min: 0,
    max: 50_000_000,
    doc: 'entity capacity of the default world (0 = npcs + 10000 for players)',
  },
  {
    key: 'worldSize',
    flag: 'world-size',
    env: 'WORLDTICK_WORLD_SIZE',
    kind: 'number',
    default: 2000,
    min: 1,
    max: 10_000_000,
    doc: 'side of the default (square) world, in world units',
  },
  {
    key: 'seed',
    flag: 'seed',
    env: 'WORLDTICK_SEED',
    kind: 'int',
    default: 1,
    min: 0,
    max: 0xffffffff,
    doc: 'PRNG seed of the default world',
  },
  {
    key: 'tickIntervalSeconds',
    flag: 'tick-interval',
    env: 'WORLDTICK_TICK_INTERVAL',
    kind: 'number',
    default: 0.05,
    min: 0.001,
    max: 60,
    doc: 'seconds per step of the default world (0.05 = 20 Hz)',
  },
  {
    key: 'timeScale',
    flag: 'time-scale',
    env: 'WORLDTICK_TIME_SCALE',
    kind: 'number',
    default: 60,
    min: 0.000001,
    max: 1_000_000,
    doc: 'world seconds per real second in the default world',
  },
  {
    key: 'logLevel',
    flag: 'log-level',
    env: 'WORLDTICK_LOG_LEVEL',
    kind: 'enum',
    default: 'info',
    values: LOG_LEVELS,
    doc: 'pino log level',
  },
  {
    key: 'statsIntervalSeconds',
    flag: 'stats-interval',
    env: 'WORLDTICK_STATS_INTERVAL',
    kind: 'number',
    default: 5,
    min: 0,
    max: 3600,
    doc: 'seconds between stats log lines (0 = off)',
  },
  {
    key: 'jobThreads',
    flag: 'job-threads',
    env: 'WORLDTICK_JOB_THREADS',
    kind: 'int',
    default: 1,
    min: 1,
    max: 16,
    doc: 'worker threads for content jobs (NPC scene generation); started on first use',
  },
  {
    key: 'heartbeatStaleSeconds',
    flag: 'heartbeat-stale',
    env: 'WORLDTICK_HEARTBEAT_STALE',
    kind: 'number',
    default: 5,
    min: 1.5,
    max: 3600,
    doc: 'wall seconds without a periodic heartbeat (every 1 s) after which a running world turns /readyz red',
  },
  {
    key: 'config',
    flag: 'config',
    env: 'WORLDTICK_CONFIG',
    kind: 'string',
    default: '',
    doc: 'JSON config file: any option above by its camelCase name, plus "scheduler" (a scheduler-config patch), "net" (game-server settings, see src/net/net-config.ts), "periodic" (tasks declared for the default world, see docs/ADMIN.md), "tierZones" (the default world\'s tier zones, docs/TIERS.md), "ledger" (ledger settings) and "physicsConfig" (obstacles, tuning, navigation of the default world, docs/ARCHITECTURE.md "Physics")',
  },
  {
    key: 'scenario',
    flag: 'scenario',
    env: 'WORLDTICK_SCENARIO',
    kind: 'enum',
    default: 'default',
    values: ['default', 'crowd'],
    doc: 'default world setup: default (tiered NPC life) or crowd (the standard replication scenario, docs/SCENARIOS.md; fixes world size 1000, 20 Hz, time scale 1, interest radius 100, player speed 20)',
  },
  {
    key: 'crowdNpcs',
    flag: 'crowd-npcs',
    env: 'WORLDTICK_CROWD_NPCS',
    kind: 'int',
    default: 2000,
    min: 0,
    max: 10_000_000,
    doc: 'NPCs of the crowd scenario (--npcs is for the default scenario)',
  },
  {
    key: 'redis',
    flag: 'redis',
    env: 'WORLDTICK_REDIS',
    kind: 'string',
    default: '',
    doc: 'cluster mode: redis://host:port of the coordination Redis shared by every instance (docs/CLUSTER.md); empty = one instance',
  },
  {
    key: 'instanceId',
    flag: 'instance-id',
    env: 'WORLDTICK_INSTANCE_ID',
    kind: 'string',
    default: '',
    doc: 'cluster: id of this instance (empty = generated at start)',
  },
  {
    key: 'clusterSecret',
    flag: 'cluster-secret',
    env: 'WORLDTICK_CLUSTER_SECRET',
    kind: 'string',
    default: '',
    doc: 'cluster: shared secret (>= 16 bytes) signing redirect tickets (empty = the admin token, which must then be given and long enough)',
  },
  {
    key: 'leaseTtlSeconds',
    flag: 'lease-ttl',
    env: 'WORLDTICK_LEASE_TTL',
    kind: 'number',
    default: 6,
    min: 0.3,
    max: 600,
    doc: 'cluster: world lease TTL in wall seconds (renewed every third of it; an instance cut off from Redis stops stepping before it ends)',
  },
  {
    key: 'balanceIntervalSeconds',
    flag: 'balance-interval',
    env: 'WORLDTICK_BALANCE_INTERVAL',
    kind: 'number',
    default: 60,
    min: 0,
    max: 86_400,
    doc: 'cluster: wall seconds between load-balance rounds on the instance with the smallest id (0 = only on demand, POST /api/v1/cluster/balance)',
  },
  {
    key: 'advertiseHost',
    flag: 'advertise-host',
    env: 'WORLDTICK_ADVERTISE_HOST',
    kind: 'string',
    default: '',
    doc: 'cluster: host name in the game/admin URLs this instance advertises to the others (empty = --host)',
  },
  {
    key: 'dataDir',
    flag: 'data-dir',
    env: 'WORLDTICK_DATA_DIR',
    kind: 'string',
    default: './data',
    doc: 'directory of the embedded SQLite store (checkpoints, ledger, sessions, world configs); created at start',
  },
  {
    key: 'store',
    flag: 'store',
    env: 'WORLDTICK_STORE',
    kind: 'string',
    default: '',
    doc: 'durable store: postgres://user@host:port/db (shared PostgreSQL), sqlite:<dir>, or empty for SQLite in --data-dir',
  },
  {
    key: 'checkpointIntervalSeconds',
    flag: 'checkpoint-interval',
    env: 'WORLDTICK_CHECKPOINT_INTERVAL',
    kind: 'number',
    default: 10,
    min: 0,
    max: 86_400,
    doc: 'wall seconds between full world checkpoints (0 = only at graceful shutdown; world time is recorded every 10 steps regardless)',
  },
  {
    key: 'startingCoins',
    flag: 'starting-coins',
    env: 'WORLDTICK_STARTING_COINS',
    kind: 'int',
    default: 1000,
    min: 0,
    max: 1_000_000_000,
    doc: 'coins granted once to every new player through the ledger (0 = none)',
  },
  {
    key: 'physics',
    flag: 'physics',
    env: 'WORLDTICK_PHYSICS',
    kind: 'enum',
    default: 'on',
    values: ['on', 'off'],
    doc: 'physics of the default world: on (collision, obstacles; players stop at world edges) or off (plain movement, bouncing off edges)',
  },
  {
    key: 'shards',
    flag: 'shards',
    env: 'WORLDTICK_SHARDS',
    kind: 'enum',
    default: '0',
    values: ['auto', ...Array.from({ length: 17 }, (_, i) => String(i))],
    doc: 'shard worker threads of the default world\'s physics: auto (cores - 1, at most 4) or 0..16 (0 = inline; default 0: at 10k NPCs one worker cost more than it saved, docs/ARCHITECTURE.md "Physics in the runtime")',
  },
  {
    key: 'shardMode',
    flag: 'shard-mode',
    env: 'WORLDTICK_SHARD_MODE',
    kind: 'enum',
    default: 'auto',
    values: ['auto', 'inline', 'shards'],
    doc: 'how the physics step runs: auto (the cheaper of inline and shards, by measurement), inline, or shards',
  },
  {
    key: 'map',
    flag: 'map',
    env: 'WORLDTICK_MAP',
    kind: 'string',
    default: '',
    doc: 'JSON map file of obstacle rects ([{minX,minY,maxX,maxY}] or {"obstacles": [...]}) for the default world',
  },
  {
    key: 'record',
    flag: 'record',
    env: 'WORLDTICK_RECORD',
    kind: 'string',
    default: '',
    doc: "record the default world's input log to this file (replay: npm run replay -- <file>)",
  },
  {
    key: 'recordHashEvery',
    flag: 'record-hash-every',
    env: 'WORLDTICK_RECORD_HASH_EVERY',
    kind: 'int',
    default: 20,
    min: 1,
    max: 1_000_000,
    doc: 'steps between state hashes in a recording',
  },
  { key: 'help', flag: 'help', env: '', kind: 'boolean', default: false, doc: 'print this help and exit' },
];

/** Largest config file read (bytes). */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

const BY_FLAG = new Map(OPTION_SPECS.map((s) => [s.flag, s]));
const BY_KEY = new Map<string, OptionSpec>(OPTION_SPECS.map((s) => [s.key, s]));

/**
 * The schema (src/config/schema.ts) of one option: the CLI table is metadata (flag, env, doc);
 * every check and message comes from the one schema module.
 */
export const optionSchema = (spec: OptionSpec): Spec => {
  switch (spec.kind) {
    case 'int':
    case 'number':
      return { kind: 'number', default: spec.default as number, integer: spec.kind === 'int', min: spec.min, max: spec.max };
    case 'boolean':
      return { kind: 'boolean', default: spec.default as boolean };
    case 'enum':
      return { kind: 'enum', default: spec.default as string, values: spec.values ?? [] };
    case 'string':
      return { kind: 'string', default: spec.default as string };
  }
};

const SCHEMAS = new Map<string, Spec>(OPTION_SPECS.map((s) => [s.key, optionSchema(s)]));

const coerce = (spec: OptionSpec, raw: unknown, where: string, problems: string[]): unknown =>
  checkOption(SCHEMAS.get(spec.key)!, raw, where, problems);

/** Scheduler keys that also exist as options: a flag or env value beats the file's scheduler block. */
const SCHEDULER_OPTION_KEYS = ['tickIntervalSeconds', 'timeScale'] as const;

/**
 * Parse and validate options from argv (without node and script), env and the config file the
 * flags/env name. Throws `WT_ERR_OPTION_INVALID` listing every problem.
 */
export const parseOptions = (argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ServerOptions => {
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
    const spec = BY_FLAG.get(flag);
    if (!spec) {
      problems.push(`unknown option --${flag} (see --help)`);
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
  let periodic: unknown[] = [];
  let ledger: unknown = {};
  let tierZones: unknown = [];
  let physicsConfig: unknown = {};
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
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        problems.push(`config file ${configPath} must hold a JSON object`);
      else {
        for (const [k, raw] of Object.entries(parsed)) {
          if (k === 'scheduler') {
            scheduler = raw;
            continue;
          }
          if (k === 'periodic') {
            const p = checkDeclaredTasks(raw);
            if (p.length) problems.push(...p.map((m) => `config file: ${m}`));
            else periodic = raw as unknown[];
            continue;
          }
          if (k === 'ledger') {
            if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) ledger = raw;
            else problems.push('config file: ledger must be an object of ledger settings');
            continue;
          }
          if (k === 'tierZones') {
            try {
              replaceZones(createTierZones(), raw);
              tierZones = raw;
            } catch (err) {
              problems.push(`config file: ${(err as Error).message}`);
            }
            continue;
          }
          if (k === 'physicsConfig') {
            if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) physicsConfig = raw;
            else problems.push('config file: physicsConfig must be an object (obstacles, tuning, navigation, mainRuns)');
            continue;
          }
          if (k === 'net') {
            if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) net = raw;
            else problems.push('config file: net must be an object of game-server settings');
            continue;
          }
          const spec = BY_KEY.get(k);
          if (!spec || k === 'config' || k === 'help') {
            problems.push(`config file: ${k} is not a known option`);
            continue;
          }
          const v = coerce(spec, raw, `config file: ${k}`, problems);
          if (v !== undefined) fromFile.set(k, v);
        }
      }
    }
  }
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
          const v = checkOption(SCHEMAS.get(key)!, sim[key], key, []);
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
  if (problems.length) throw optionInvalid(problems);
  const out: Record<string, unknown> = { scheduler, net, periodic, ledger, tierZones, physicsConfig };
  for (const spec of OPTION_SPECS) {
    out[spec.key] = fromFlags.has(spec.key)
      ? fromFlags.get(spec.key)
      : fromEnv.has(spec.key)
        ? fromEnv.get(spec.key)
        : fromFile.has(spec.key)
          ? fromFile.get(spec.key)
          : spec.default;
  }
  return out as unknown as ServerOptions;
};

/** The `--help` text, generated from {@link OPTION_SPECS}. */
export const helpText = (): string => {
  const lines = [
    'worldtick — authoritative ECS game-server runtime',
    '',
    'Usage: npm start -- [options]',
    '',
    'Options (flag / environment variable, default):',
  ];
  for (const s of OPTION_SPECS) {
    const flag = `--${s.flag}${s.kind === 'boolean' ? '' : ` <${s.kind === 'enum' ? s.values!.join('|') : s.kind}>`}`;
    lines.push(`  ${flag}`);
    lines.push(`      ${s.doc}${s.env ? `  [${s.env}]` : ''}  (default: ${JSON.stringify(s.default)})`);
  }
  lines.push('', 'Precedence: flag > environment > config file > default.');
  return lines.join('\n');
};
