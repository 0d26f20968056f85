/**
 * The parsed server options (src/cli/options.ts parses them; src/cli/option-specs.ts is the
 * table of flags, environment variables and defaults).
 */

/** Every server option, as `parseOptions` returns them (flag > env > config file > default). */
export interface ServerOptions {
  host: string;
  port: number;
  adminPort: number;
  adminToken: string;
  /** Accept-only admin token during a rotation ('' = none; needs `adminToken`, differs from it; never sent). */
  adminTokenPrevious: string;
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
  /** Most worlds one process runs at once (the default world included); `POST /api/v1/worlds` past it is 409. */
  maxWorlds: number;
  /** Most worlds with series labelled `world` in `/metrics` (the oldest first; 4096: every world). */
  metricsWorlds: number;
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
  /** Player-data settings (config file only; src/player-data/player-data-options.ts), validated at start. */
  playerData: unknown;
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
  /** Cluster: accept-only previous ticket secret during a rotation (>= 16 bytes; empty = none; never signs). */
  clusterSecretPrevious: string;
  /** Cluster: world-lease TTL in wall seconds (renewed every third of it). */
  leaseTtlSeconds: number;
  /** Cluster: wall seconds a fencing-token announce waits for the fence row (0 = a sixth of the TTL, 0.05–1 s; docs/CLUSTER.md "A writer paused mid-write"). */
  fenceLockWaitSeconds: number;
  /** Cluster: instances that restore each stored admin world at start as a standby copy (-1 = every one; see src/cluster/standby.ts). */
  standbyCopies: number;
  /** Cluster: wall seconds between balance rounds on the leader (0 = only on demand). */
  balanceIntervalSeconds: number;
  /** Cluster: host name put in the game and admin URLs this instance advertises (empty = --host). */
  advertiseHost: string;
  /** Directory of the embedded SQLite store (created at start). */
  dataDir: string;
  /** Store spec: `postgres://…` / `postgresql://…` (shared), `sqlite:<dir>`, or empty (SQLite in `dataDir`); see src/store/open-store.ts. */
  store: string;
  /** PostgreSQL store: connections of each of the process's pools (the main thread's, the checkpoint writer's); src/store/postgres-pool.ts. */
  storePoolSize: number;
  /** PostgreSQL store: wall seconds an operation waits for a free pooled connection (0 = the default: the query timeout; cluster mode a third of the lease TTL, 1–5 s). */
  storePoolWaitSeconds: number;
  /** SQLite store: `quick` (the file's `quick_check` at start; a damaged one refused) or `off`; src/store/sqlite-open.ts. */
  storeCheck: string;
  /** Wall seconds between full world checkpoints (0 = only at creation and graceful shutdown); see docs/DURABILITY.md. */
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
  /** Wall seconds a graceful stop on SIGINT/SIGTERM may take before the process exits 1 (0 = no limit); `runMain` only. */
  stopTimeoutSeconds: number;
  help: boolean;
  /** Print the version and exit. */
  version: boolean;
}
