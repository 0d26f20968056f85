/**
 * The runtime's admin server (src/server/runtime.ts): the admin HTTP API with what the runtime
 * adds to it — readiness, the hooks run when a world is created or deleted through the API, the
 * cluster's forwarding and routes, migration, drain, balance, ledger, player-data, kick and checkpoint routes.
 */
import { randomBytes } from 'node:crypto';
import type { ServerOptions } from '../cli/options.js';
import { adminTokenProblems } from '../admin/auth.js';
import { optionInvalid } from '../errors.js';
import type { Logger } from '../log.js';
import type { LoopRunner } from '../loop/loop-runner.js';
import { type AdminServer, createAdminServer, type OpsState, type StatsSources, type Telemetry } from '../admin/index.js';
import { checkpointRoutes } from '../admin/routes-checkpoint.js';
import { ledgerRoutes } from '../admin/routes-ledger.js';
import { playerDataRoutes } from '../admin/routes-player-data.js';
import { playerRoutes } from '../admin/routes-players.js';
import type { GameDefinition } from '../game/definition.js';
import { createGameWorldInSlices } from '../game/world.js';
import type { Checkpointer } from '../persist/checkpointer.js';
import type { PlayerDataService } from '../player-data/player-data-service.js';
import type { Store } from '../store/types.js';
import type { SimWorld } from '../world/sim-world.js';
import { createdWorldHook } from './admin-created-world.js';
import { deleteWorldRecord } from './admin-deleted-world.js';
import type { ClusterBalancer } from './cluster-balancer.js';
import { drainRoutes } from './cluster-drain.js';
import type { WorldMover } from './cluster-migration.js';
import { clusterAdminOptions, clusterRoutes } from './cluster-routes.js';
import { isUnconfirmedCreate } from './unconfirmed-create.js';
import type { ClusterService } from './cluster-service.js';
import { DEFAULT_WORLD_ID } from './runtime-world.js';

/** What {@link createRuntimeAdmin} is built from (read lazily where the runtime creates it later). */
export interface RuntimeAdminDeps {
  readonly options: ServerOptions;
  readonly adminToken: string;
  /** Print the dashboard URL line on stderr at start (`RuntimeExtras.printAdminUrl`). */
  readonly printUrl: boolean;
  readonly runner: LoopRunner;
  readonly logger: Logger;
  readonly telemetry: Telemetry;
  readonly sources: StatsSources;
  readonly ops: OpsState;
  /** The runtime's phase (`created`, `starting`, `running`, `stopping`, `stopped`). */
  readonly phase: () => string;
  readonly game: GameDefinition | undefined;
  readonly cluster: ClusterService;
  readonly mover: WorldMover;
  readonly balancer: ClusterBalancer;
  readonly checkpointer: Checkpointer;
  readonly store: () => Store | null;
  /** A created world's game modules, scenes and shard workers (the runtime's `attach`). */
  readonly attach: (world: SimWorld) => void;
  /** What a deleted world holds outside it: sessions, game hooks, ledger, shard workers. */
  readonly detachDeleted: (world: SimWorld) => void;
  readonly withLedger: (world: SimWorld) => void;
  readonly playerData: () => PlayerDataService | null;
  /** Kick a connected player by durable id (the game server's `kickPlayer`): its entity, or -1. */
  readonly kick: (worldId: string, playerId: string, reason: string) => number;
}

/**
 * The admin token in force: `--admin-token`, or one generated at start. Throws `WT_ERR_OPTION_INVALID`
 * when `--admin-token-previous` is given without it or equal to it (src/admin/auth.ts).
 */
export const resolveAdminToken = (options: ServerOptions): string => {
  const problems = adminTokenProblems(options);
  if (problems.length) throw optionInvalid(problems);
  return options.adminToken || randomBytes(18).toString('base64url');
};

/** Build the runtime's admin server (a Service; nothing listens until `start`). */
export const createRuntimeAdmin = (d: RuntimeAdminDeps): AdminServer => {
  const { options, cluster, checkpointer, logger, game } = d;
  return createAdminServer({
    host: options.host,
    port: options.adminPort,
    token: d.adminToken,
    previousToken: options.adminTokenPrevious, // accept-only during a rotation ('' = none); never sent to peers
    tokenGenerated: !options.adminToken,
    printUrl: d.printUrl,
    runner: d.runner,
    logger,
    telemetry: d.telemetry,
    sources: d.sources,
    ops: d.ops,
    isReady: () => d.phase() === 'running' && !cluster.draining, // a draining instance takes no new connections
    notReadyReason: () => (d.phase() !== 'running' ? d.phase() : cluster.draining ? 'draining' : null),
    protectedWorldIds: [DEFAULT_WORLD_ID],
    maxWorlds: options.maxWorlds,
    metricsWorlds: options.metricsWorlds,
    // A deleted world's sessions are closed (4012) and its resume tokens forgotten; its stored record and checkpoints go,
    // before its lease (src/server/admin-deleted-world.ts).
    onWorldDeleted: (world) => {
      d.detachDeleted(world);
      // The 200 waits for the record's delete; a failed one is retried, the lease kept until it is done.
      return deleteWorldRecord({ cluster, checkpointer, store: d.store, logger }, world.id);
    },
    // Worlds created through the admin API: attached, leased, persisted, given a ledger; the 201 waits for
    // the record (src/server/admin-created-world.ts).
    onWorldCreated: createdWorldHook({
      cluster,
      checkpointer,
      attach: d.attach,
      withLedger: d.withLedger,
      store: d.store,
      logger,
      adminToken: d.adminToken,
    }),
    // A game's worlds are built (and populated) by the game; its sliceable modules' NPCs across event-loop turns.
    createWorld: game ? (o) => createGameWorldInSlices(game, o) : undefined,
    // Forwarding, cluster world list, /api/v1/cluster, metrics; a create of an id stored by a create never confirmed: 503.
    ...clusterAdminOptions(
      cluster,
      logger,
      (id) => d.runner.has(id),
      async (id) => {
        const store = d.store();
        return store ? isUnconfirmedCreate(store, id) : false;
      },
    ),
    extraRoutes: [
      ...clusterRoutes(cluster),
      ...d.mover.routes(),
      ...drainRoutes({ cluster, mover: d.mover, logger }), // POST/GET/DELETE /api/v1/cluster/drain (src/server/cluster-drain.ts)
      ...d.balancer.routes(),
      ...ledgerRoutes({ runner: d.runner, store: d.store }),
      ...playerDataRoutes({ service: d.playerData }),
      ...playerRoutes({ runner: d.runner, kick: d.kick }), // POST /api/v1/worlds/{id}/players/{playerId}/kick
      ...checkpointRoutes({ runner: d.runner, checkpoint: (id) => checkpointer.checkpoint(id) }), // POST /api/v1/worlds/{id}/checkpoint
    ],
  });
};
