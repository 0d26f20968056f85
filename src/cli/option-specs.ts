/**
 * The option table: one row per server option (flag, `WORLDTICK_*` environment variable, kind,
 * default, range, doc), and each option's schema (src/config/schema.ts) derived from it.
 * Parsing is src/cli/options.ts, the config file src/cli/config-file.ts, `--help` src/cli/help-text.ts.
 */
import { checkOption, type Spec } from '../config/schema.js';
import { LOG_LEVELS } from '../log.js';
import type { ServerOptions } from './server-options.js';

/** Kind of an option's value (how it is coerced and shown in `--help`). */
export type OptionKind = 'int' | 'number' | 'string' | 'boolean' | 'enum';

/** One row of {@link OPTION_SPECS}. The config-file-only blocks (scheduler, net, ...) have none. */
export interface OptionSpec {
  key: Exclude<keyof ServerOptions, 'scheduler' | 'net' | 'periodic' | 'ledger' | 'playerData' | 'physicsConfig'>;
  flag: string;
  env: string;
  kind: OptionKind;
  default: string | number | boolean;
  min?: number;
  max?: number;
  values?: readonly string[];
  doc: string;
}

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
    doc: "world seconds per real second in the default world (a game's default: its own timeScale, else 1)",
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
    key: 'maxWorlds',
    flag: 'max-worlds',
    env: 'WORLDTICK_MAX_WORLDS',
    kind: 'int',
    default: 32,
    min: 1,
    max: 4096,
    doc: 'most worlds one process runs at once, the default world included (a create past it is refused with 409)',
  },
  {
    key: 'config',
    flag: 'config',
    env: 'WORLDTICK_CONFIG',
    kind: 'string',
    default: '',
    doc: 'JSON config file: any option above by its camelCase name, plus "scheduler" (a scheduler-config patch), "net" (game-server settings, see src/net/net-config.ts), "periodic" (tasks declared for the default world, see docs/ADMIN.md), "tierZones" (the default world\'s tier zones, docs/TIERS.md), "ledger" (ledger settings), "playerData" (player-data batching, queue bounds and store-outage retry, docs/DURABILITY.md) and "physicsConfig" (obstacles, tuning, navigation of the default world, docs/ARCHITECTURE.md "Physics")',
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
    key: 'fenceLockWaitSeconds',
    flag: 'fence-lock-wait',
    env: 'WORLDTICK_FENCE_LOCK_WAIT',
    kind: 'number',
    default: 0,
    min: 0,
    max: 60,
    doc: "cluster: wall seconds a new owner's fencing-token announce waits for the world's fence row in the store (0 = a sixth of --lease-ttl, between 0.05 and 1; else less than a third of --lease-ttl)",
  },
  {
    key: 'standbyCopies',
    flag: 'standby-copies',
    env: 'WORLDTICK_STANDBY_COPIES',
    kind: 'int',
    default: -1,
    min: -1,
    max: 1000,
    doc: 'cluster: how many instances restore each stored admin world at start as a standby copy (-1 = every instance; 0 = none: a world whose owner dies is taken from the store all the same; n = the n instances ranked first for it by rendezvous hashing among the live ones)',
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
    doc: 'wall seconds between full world checkpoints (0 = only at creation and graceful shutdown; world time is recorded every 10 steps regardless)',
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
    doc: 'shard worker threads of the default world\'s physics: auto (cores - 1, at most 4) or 0..16 (0 = inline; default 0: at 10k NPCs one worker saves nothing, docs/ARCHITECTURE.md "Physics in the runtime")',
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
  {
    key: 'stopTimeoutSeconds',
    flag: 'stop-timeout',
    env: 'WORLDTICK_STOP_TIMEOUT',
    kind: 'number',
    default: 30,
    min: 0,
    max: 86_400,
    doc: 'wall seconds a graceful stop (SIGINT/SIGTERM) may take before the process exits with code 1 (0 = no limit)',
  },
  { key: 'help', flag: 'help', env: '', kind: 'boolean', default: false, doc: 'print this help and exit' },
  { key: 'version', flag: 'version', env: '', kind: 'boolean', default: false, doc: 'print the worldtick version and exit' },
];

/** Option rows by flag name (without `--`). */
export const SPECS_BY_FLAG: ReadonlyMap<string, OptionSpec> = new Map(OPTION_SPECS.map((s) => [s.flag, s]));
/** Option rows by options key (as in a config file). */
export const SPECS_BY_KEY: ReadonlyMap<string, OptionSpec> = new Map<string, OptionSpec>(OPTION_SPECS.map((s) => [s.key, s]));

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

/** The schema of the option `key` (a key of {@link OPTION_SPECS}). */
export const schemaOf = (key: string): Spec => SCHEMAS.get(key)!;

/** Check and coerce one raw value of an option; problems (named by `where`) are pushed, undefined returned. */
export const coerceOption = (spec: OptionSpec, raw: unknown, where: string, problems: string[]): unknown =>
  checkOption(schemaOf(spec.key), raw, where, problems);
