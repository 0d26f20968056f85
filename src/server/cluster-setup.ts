/**
 * Builds cluster mode for the runtime from its options: the coordinator (Redis with `--redis`,
 * in-process otherwise), the {@link ClusterService}, and the hooks the loop runner, game
 * server and admin server take. Without `--redis` the service runs on a LocalCoordinator with
 * `enforce: false`: one instance behaves exactly as without a cluster (fencing tokens are held
 * and exposed all the same).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { ServerOptions } from '../cli/options.js';
import type { Coordinator, InstanceLoad } from '../cluster/coordinator.js';
import { LocalCoordinator } from '../cluster/local-coordinator.js';
import { RedisCoordinator } from '../cluster/redis-coordinator.js';
import { keepsStandbyCopy } from '../cluster/standby.js';
import { TICKET_LIMITS } from '../cluster/ticket.js';
import { optionInvalid } from '../errors.js';
import type { Logger } from '../log.js';
import type { SimWorld } from '../world/sim-world.js';
import { ClusterService, type ClusterServiceOptions } from './cluster-service.js';
import type { ClusterFenceStore } from './cluster-types.js';

/** What the runtime hands to {@link createClusterMode} (read lazily: servers are built later). */
export interface ClusterModeDeps {
  readonly logger: Logger;
  readonly adminToken: string;
  readonly worlds: () => readonly SimWorld[];
  readonly gamePort: () => number;
  readonly adminPort: () => number;
  readonly sessions: () => number;
  readonly capacity: () => number;
  readonly closeSessions: (worldId: string, code: number, reason: string) => number;
  /** The durable store, told each new fencing token before the new owner steps (cluster mode only). */
  readonly store?: ClusterFenceStore;
  /** Migration and failover hooks (src/server/cluster-migration.ts); see {@link ClusterServiceOptions}. */
  readonly adopt?: ClusterServiceOptions['adopt'];
  readonly storedRecords?: ClusterServiceOptions['storedRecords'];
  readonly storedRecord?: ClusterServiceOptions['storedRecord'];
  readonly staleCopies?: ClusterServiceOptions['staleCopies'];
  readonly onToken?: ClusterServiceOptions['onToken'];
  readonly restoredFromStore?: ClusterServiceOptions['restoredFromStore'];
  readonly newerCheckpointStored?: ClusterServiceOptions['newerCheckpointStored'];
  /** This instance's id ({@link clusterLogger} resolves it). Default: `--instance-id`, or one generated. */
  readonly instanceId?: string;
}

/** `--instance-id`, or one generated per process start (`<hostname>-<pid>-<6 hex>`). */
const resolveInstanceId = (options: ServerOptions): string =>
  options.instanceId || `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;

/**
 * The runtime's logger and this instance's id: in cluster mode (`--redis`) a child logger binding
 * `instance`, so every line of the runtime names the instance that wrote it (log fields naming
 * another instance are `peer`, docs/ADMIN.md "Logs"); otherwise `logger` itself.
 */
export const clusterLogger = (options: ServerOptions, logger: Logger): { logger: Logger; instanceId: string; bound: boolean } => {
  const instanceId = resolveInstanceId(options);
  const bound = options.redis.trim() !== '';
  return { logger: bound ? logger.child({ instance: instanceId }) : logger, instanceId, bound };
};

/**
 * The option the accept-only ticket secret comes from: `--cluster-secret-previous`, else (without
 * `--cluster-secret`, the admin token signing tickets) `--admin-token-previous`.
 */
const previousSecretName = (o: ServerOptions): string =>
  o.clusterSecretPrevious || o.clusterSecret ? '--cluster-secret-previous' : '--admin-token-previous';

/** The cluster service and the secret its tickets are signed with. */
export interface ClusterMode {
  readonly service: ClusterService;
  readonly secret: string;
  /** Accept-only previous ticket secret (`--cluster-secret-previous`, else without `--cluster-secret` `--admin-token-previous`; '' = none): never signs. */
  readonly previousSecret: string;
  /** Feed step costs into the load report (call from the runner's onStep). */
  readonly onStep: (world: SimWorld) => void;
  /**
   * Which stored admin worlds this instance restores at start (`--standby-copies`, src/cluster/standby.ts),
   * ranked among the instances live now; undefined: every one (one instance, or -1).
   */
  readonly standbyFilter: () => Promise<((worldId: string) => boolean) | undefined>;
}

/** Validate the cluster options and build cluster mode (throws WT_ERR_OPTION_INVALID). */
export const createClusterMode = (options: ServerOptions, deps: ClusterModeDeps): ClusterMode => {
  const redis = options.redis.trim();
  const ttlMs = Math.round(options.leaseTtlSeconds * 1000);
  const lockWaitMs = Math.round(options.fenceLockWaitSeconds * 1000);
  const secret = options.clusterSecret || deps.adminToken;
  // The accept-only ticket secret follows the admin token's rotation when the admin token is the ticket secret.
  const previousSecret = options.clusterSecretPrevious || (options.clusterSecret ? '' : options.adminTokenPrevious);
  if (redis) {
    const problems: string[] = [];
    if (!/^rediss?:\/\//.test(redis)) problems.push('--redis must be a redis://host:port URL');
    // A generated token differs per instance: admin requests forwarded with it would be refused
    // by the owner, and (without --cluster-secret) so would every redirect ticket.
    if (!options.adminToken)
      problems.push(
        '--redis needs --admin-token (or WORLDTICK_ADMIN_TOKEN), the same on every instance: a generated token differs per instance',
      );
    if (Buffer.byteLength(secret) < TICKET_LIMITS.minSecretBytes)
      problems.push(
        `--cluster-secret (or, without it, --admin-token) must be at least ${TICKET_LIMITS.minSecretBytes} bytes and the same on every instance`,
      );
    if (previousSecret && Buffer.byteLength(previousSecret) < TICKET_LIMITS.minSecretBytes)
      problems.push(
        `${previousSecretName(options)} must be empty or at least ${TICKET_LIMITS.minSecretBytes} bytes (an accept-only ticket secret during a rotation)`,
      );
    if (previousSecret && previousSecret === secret)
      problems.push(
        `${previousSecretName(options)} must differ from ${options.clusterSecret ? '--cluster-secret' : '--admin-token'}, the secret that signs (the one being rotated out, or in)`,
      );
    const wait = options.fenceLockWaitSeconds;
    if (wait > 0 && (lockWaitMs < 1 || lockWaitMs * 3 >= ttlMs))
      problems.push(
        `--fence-lock-wait must be 0 (a sixth of --lease-ttl) or at least 0.001 and less than a third of --lease-ttl (${ttlMs / 3000} s: the control tick waits for the announce) (got ${wait})`,
      );
    if (problems.length) throw optionInvalid(problems);
  }
  // Node keeps the last 250 fetch() timings in a global buffer, URLs included: every admin request
  // forwarded to a world's owner and every migration call named a world there until 250 newer ones
  // pushed it out. An instance of a cluster does not read them: keep none.
  if (redis) performance.setResourceTimingBufferSize(0);
  // Which secrets verify redirect tickets, by name only (never their text).
  if (redis)
    deps.logger.info(
      {
        ticketSecrets: [
          options.clusterSecret ? '--cluster-secret (signs)' : 'the admin token (signs)',
          ...(previousSecret ? [`${previousSecretName(options)} (accept only)`] : []),
        ],
      },
      'cluster: redirect tickets accepted',
    );
  const coordinator: Coordinator = redis
    ? new RedisCoordinator({ connection: redis, commandTimeoutMs: Math.max(50, Math.min(1000, Math.floor(ttlMs / 3))) })
    : new LocalCoordinator();
  const instanceId = deps.instanceId ?? resolveInstanceId(options);
  const host = options.advertiseHost || (options.host === '0.0.0.0' || options.host === '::' ? hostname() : options.host);
  const h = host.includes(':') ? `[${host}]` : host;
  // Load: step milliseconds and CPU per wall second since the previous report.
  let stepMs = 0;
  let lastAt = performance.now();
  let lastCpu = process.cpuUsage();
  const load = (): InstanceLoad => {
    const now = performance.now();
    const secs = Math.max(0.001, (now - lastAt) / 1000);
    const cpu = process.cpuUsage(lastCpu);
    const out = {
      sessions: deps.sessions(),
      stepCostMs: Math.round((stepMs / secs) * 100) / 100,
      cpu: Math.round(((cpu.user + cpu.system) / 1e6 / secs) * 1000) / 1000,
    };
    stepMs = 0;
    lastAt = now;
    lastCpu = process.cpuUsage();
    return out;
  };
  const service = new ClusterService({
    coordinator,
    instanceId,
    leaseTtlMs: ttlMs,
    ...(lockWaitMs > 0 ? { fenceLockWaitMs: lockWaitMs } : {}),
    enforce: redis !== '',
    logger: deps.logger,
    worlds: deps.worlds,
    gameUrl: () => `ws://${h}:${deps.gamePort()}`,
    adminUrl: () => `http://${h}:${deps.adminPort()}`,
    capacity: deps.capacity,
    load,
    closeSessions: deps.closeSessions,
    ...(redis && deps.store ? { store: deps.store } : {}),
    ...(redis && deps.adopt ? { adopt: deps.adopt } : {}),
    ...(redis && deps.storedRecords ? { storedRecords: deps.storedRecords } : {}),
    ...(redis && deps.storedRecord ? { storedRecord: deps.storedRecord } : {}),
    ...(redis && deps.staleCopies ? { staleCopies: deps.staleCopies } : {}),
    ...(redis && deps.onToken ? { onToken: deps.onToken } : {}),
    ...(redis && deps.restoredFromStore ? { restoredFromStore: deps.restoredFromStore } : {}),
    ...(redis && deps.newerCheckpointStored ? { newerCheckpointStored: deps.newerCheckpointStored } : {}),
  });
  return {
    service,
    secret: Buffer.byteLength(secret) >= TICKET_LIMITS.minSecretBytes ? secret : randomBytes(24).toString('base64url'),
    previousSecret: redis ? previousSecret : '',
    onStep: (world) => {
      stepMs += world.stats.totalMs;
      service.onStep(world);
    },
    standbyFilter: async () => {
      const copies = options.standbyCopies;
      if (!redis || copies < 0) return undefined;
      let live: string[] = [];
      try {
        live = (await coordinator.listInstances()).map((i) => i.id);
      } catch (err) {
        deps.logger.warn({ err }, 'cluster: live instances unknown at start; standby copies ranked as if alone');
      }
      return (worldId) => keepsStandbyCopy(worldId, instanceId, live, copies);
    },
  };
};
