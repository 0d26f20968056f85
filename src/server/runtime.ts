/**
 * The runtime: one process, a loop runner, the embedded default world, and the services
 * (game server, admin API) that plug in around them. Created by the CLI and by integration
 * tests; owns nothing global.
 */
import type { ServerOptions } from '../cli/options.js';
import type { Logger } from '../log.js';
import { LoopRunner } from '../loop/loop-runner.js';
import { createTelemetry, OpsState, type StatsSources } from '../admin/index.js';
import { getControllerStatus } from '../controller/controller-status.js';
import { createLoopLateLog, createStepLog } from './step-log.js';
import { GameServer } from '../net/game-server.js';
import type { NetConfig } from '../net/net-config.js';
import type { ServerHooks } from '../net/game-server-options.js';
import { populateNpcs } from '../world/populate.js';
import { createScenePool, enableScenes } from '../content/scene-job.js';
import type { WorkerPool } from '../jobs/worker-pool.js';
import { createSimWorld, destroySimWorld, type SimWorld } from '../world/sim-world.js';
import { CROWD_NET } from '../scenarios/crowd.js';
import type { Service } from './service.js';
import { clusterLogger, createClusterMode } from './cluster-setup.js';
import { createHelloRouter } from './cluster-hello-route.js';
import { isStandbyCopy } from './cluster-routes.js';
import type { GameDefinition } from '../game/definition.js';
import { attachGameWorld, createGameWorld, worldDeleted } from '../game/world.js';
import type { Store } from '../store/types.js';
import { loadPersistedWorld } from '../persist/restore.js';
import { WorldMover } from './cluster-migration.js';
import { ClusterBalancer } from './cluster-balancer.js';
import { detachLedger } from '../ledger/world-ledger.js';
import { dropStaleCopy } from './admin-deleted-world.js';
import { restoredCopyHooks } from './cluster-stored.js';
import { Recorder } from '../replay/recorder.js';
import { optionInvalid } from '../errors.js';
import { createRuntimePersistence } from './runtime-persist.js';
import type { WorldClockStart } from '../world/world-clock.js';
import { createStatsLogger, WorldShards } from './runtime-stats.js';
import { createOpsPersistence } from './ops-persist.js';
import type { ShutdownCheckpoints } from './shutdown-summary.js';
import { stopRuntime } from './runtime-stop.js';
import { startRuntime } from './runtime-start.js';
import {
  createScenarioWorld,
  declareConfigTasks,
  DEFAULT_WORLD_ID,
  defaultWorldPhysics,
  mergePatches,
  worldRecipe,
} from './runtime-world.js';
import { parsePlayerDataOptions } from '../player-data/player-data-options.js';
import type { PlayerDataService } from '../player-data/player-data-service.js';
import { createPlayerData, ledgerAttacher } from './runtime-ledger.js';
import { createServerWorlds } from './server-worlds.js';
import { createGameLogSink } from '../game/game-log.js';
import { createRuntimeAdmin, resolveAdminToken } from './runtime-admin.js';

export type { Service } from './service.js';
export type { Runtime, RuntimeExtras } from './runtime-types.js';
import type { Runtime, RuntimeExtras } from './runtime-types.js';
export type { WorldRestoredInfo, WorldRestoredListener } from './runtime-persist.js';
export { DEFAULT_WORLD_ID } from './runtime-world.js';

/**
 * Build the runtime (nothing runs until `start`). Throws coded errors on bad options. With
 * `game` (src/game, the public game API), the default world and worlds created through the
 * admin API are worlds of that game; without it, the embedded life-sim world as always.
 */
export const createRuntime = (
  options: ServerOptions,
  rootLogger: Logger,
  game?: GameDefinition,
  hooks: ServerHooks = {},
  extras: RuntimeExtras = {},
): Runtime => {
  // Cluster mode: every line names its instance (a child logger binding `instance`).
  const { logger, instanceId, bound: instanceBound } = clusterLogger(options, rootLogger);
  // Admin sources: other modules' stats, read lazily (the game server is created below).
  const adminSources: StatsSources = {
    controller: getControllerStatus,
    sessions: () => gameServer.stats(),
    checkpoint: (w) => checkpointer.report(w.id),
    store: () => persist.current()?.stats() ?? null,
  };
  const stepLog = createStepLog(logger, { sources: adminSources, cpuSinceTick: () => runner.cpuMsSinceTick() }); // stalls: ran, or stood still?
  const telemetry = createTelemetry({ sources: adminSources, stepLog });
  let phase: 'created' | 'starting' | 'running' | 'stopping' | 'stopped' = 'created';
  // The last start failed (not a stop asked for during it): its stop writes nothing to the store.
  let refused = false;
  const crowd = options.scenario === 'crowd';
  // The store, checkpoints and restore (src/server/runtime-persist.ts).
  const persist = createRuntimePersistence({
    options,
    logger,
    game,
    crowd,
    // Cluster mode: records and checkpoints carry the owner's fencing token (none written without proof of ownership).
    fence: (id) => (cluster.enforce ? cluster.fence(id) : undefined),
    // The new owner a fenced write's line names (another instance in the last control tick's view, else none).
    owner: (id) => [cluster.ownerOf(id)?.instanceId].find((o) => o !== undefined && o !== cluster.instanceId) ?? null,
    // A game's default world without a usable checkpoint is rebuilt at its record's clock (its timers on world time).
    ...(game ? { rebuildDefault: (clock: WorldClockStart) => createGameWorld(game, { ...worldOptions, npcs: options.npcs, clock }) } : {}),
  });
  const { checkpointer, storeOf } = persist;
  const adminToken = resolveAdminToken(options); // given or generated; --admin-token-previous checked (WT_ERR_OPTION_INVALID)
  // Cluster mode (docs/CLUSTER.md): servers are read lazily, they are created below.
  const clusterMode = createClusterMode(options, {
    logger,
    instanceId,
    adminToken,
    worlds: () => runner.worlds(),
    gamePort: () => gameServer.port,
    adminPort: () => admin.port,
    sessions: () => gameServer.stats().sessions,
    capacity: () => gameServer.config.maxConnections,
    closeSessions: (worldId, code, reason) => gameServer.closeWorldSessions(worldId, code, reason),
    store: {
      fence: (f, o) => storeOf().fence(f, o),
      endFencedOutWriters: async (id, t) => (await storeOf().endFencedOutWriters?.(id, t)) ?? [],
    },
    adopt: (id, token, why) => mover.adopt(id, token, why), // migration, failover (cluster-migration.ts): restored from the store
    storedRecords: () => storeOf().listWorldConfigs(),
    storedRecord: (id) => storeOf().hasWorldConfig(id), // one id's check: one row looked up, not a listing
    ...restoredCopyHooks(checkpointer, storeOf), // a resume from the store keeps its copy unless a newer checkpoint is stored
    onToken: (id, token) => (runner.has(id) ? runner.get(id).ledger?.service.setFenceToken(token) : undefined),
    // A copy here of a world deleted where it was owned (its record gone) is dropped (src/server/cluster-lease-tick.ts).
    staleCopies: {
      droppable: (id) => id !== DEFAULT_WORLD_ID,
      drop: (id) => dropStaleCopy({ runner, detach: detachDeleted, checkpointer, cluster: () => cluster }, id),
    },
  });
  const cluster = clusterMode.service;
  // Operator state (maintenance, overrides, API-declared tasks) on the store, restored with each world (src/server/ops-persist.ts).
  const opsPersist = createOpsPersistence({
    logger,
    store: () => persist.current(),
    fence: (id) => (cluster.enforce ? cluster.fence(id) : undefined),
    incarnation: (id) => checkpointer.incarnationOf(id),
    runtimeScope: () => (cluster.enforce ? `runtime:${cluster.instanceId}` : 'runtime'),
  });
  const ops = new OpsState({
    heartbeatStaleSeconds: options.heartbeatStaleSeconds,
    durability: opsPersist.durability,
    // Cluster mode: no heartbeat here for a standby copy of another instance's world, nor for any world while the coordinator
    // is unreachable (none steps; /readyz stays 200: docs/ADMIN.md "Runbook: incidents" 4, no instance would do better).
    standby: (id) => isStandbyCopy(cluster, id) || (cluster.enforce && !cluster.reachable),
  });
  const runner = new LoopRunner({
    canStep: (w) => cluster.canStep(w),
    onStep: (w) => {
      telemetry.onStep(w);
      clusterMode.onStep(w);
      checkpointer.onStep(w);
    },
    onFault: (world, err) => logger.error({ world: world.id, err, fault: world.fault }, 'world faulted and paused'),
    onLate: createLoopLateLog(logger),
  });
  const scheduler = { simulation: { tickIntervalSeconds: options.tickIntervalSeconds, timeScale: options.timeScale } };
  const worldOptions = {
    id: DEFAULT_WORLD_ID,
    capacity: options.capacity || options.npcs + 10_000,
    seed: options.seed,
    size: options.worldSize,
    config: mergePatches(scheduler, options.scheduler),
    physics: defaultWorldPhysics(options),
  };
  let defaultWorld: SimWorld = crowd
    ? createScenarioWorld(options)
    : game
      ? createGameWorld(game, { ...worldOptions, npcs: options.npcs })
      : createSimWorld(worldOptions);
  // The config file's periodic tasks and tier zones (runtime-world.ts); also applied to a restored default world.
  const declareDefaultTasks = (w: SimWorld): void => declareConfigTasks(w, options, logger, crowd);
  declareDefaultTasks(defaultWorld);
  if (!crowd && !game) populateNpcs(defaultWorld, { count: options.npcs });
  runner.add(defaultWorld);
  // Content generation leaves the step: one worker pool; the default world requests NPC scenes (docs/ADAPTIVE.md).
  const scenePool = createScenePool({ maxThreads: options.jobThreads, worlds: options.maxWorlds });
  // A game's modules attach their services (the life-sim module enables scenes).
  // Physics shard workers of every world (src/shards/shard-service.ts), started with the runtime.
  const worldShards = new WorldShards(logger);
  // The in-process worlds API: the admin routes' own create/delete/list, without HTTP (src/server/server-worlds.ts).
  const worlds = createServerWorlds({
    admin: { invoke: (method, path, body, query) => admin.invoke(method, path, body, query) }, // the admin server is built below
    running: () => phase === 'running',
  });
  const attach = (world: SimWorld): void => {
    world.worldsApi = worlds; // game code holding the world reaches the worlds API (serverWorlds(world))
    if (game) world.gameLogSink = createGameLogSink(logger, world.id, game.name); // gameLog(world)
    if (game) void attachGameWorld(game, world, { scenePool });
    else enableScenes(world, scenePool);
    void worldShards.startFor(world);
  };
  if (!crowd) attach(defaultWorld);
  /** What a deleted world (or a dropped copy of one) holds outside it: sessions (closed 4012), game hooks, ledger, shard workers. */
  const detachDeleted = (world: SimWorld): void => {
    gameServer.detachWorld(world);
    worldDeleted(world);
    void detachLedger(world);
    worldShards.forget(world.id);
    ops.release(world.id); // its stored state: deleted by the delete route, or by the owner that deleted it
  };
  const services: Service[] = [];
  const mover = new WorldMover({
    logger,
    cluster,
    checkpointer,
    gameServer: () => gameServer,
    adminToken,
    secret: clusterMode.secret,
    runner,
    defaultWorldId: DEFAULT_WORLD_ID,
    getWorld: (id) => (runner.has(id) ? runner.get(id) : undefined),
    load: (id) => loadPersistedWorld(storeOf(), logger, id, undefined, persist.restoreBuilders()),
    store: storeOf,
    replaceDefault: (w) => {
      defaultWorld = w;
      declareDefaultTasks(w);
    },
    attach,
    withLedger: (w) => withLedger(w),
    release: (id) => {
      worldShards.forget(id);
      if (id !== DEFAULT_WORLD_ID) ops.release(id); // its operator state moved with it (the default world's copy stays)
    },
    restoreOps: (w, incarnation) => opsPersist.restoreWorld(storeOf(), ops, w, incarnation),
  });
  const balancer = new ClusterBalancer({ cluster, mover, adminToken, logger, intervalMs: options.balanceIntervalSeconds * 1000 });
  // The admin API with the runtime's hooks and routes (src/server/runtime-admin.ts).
  const admin = createRuntimeAdmin({
    options,
    adminToken,
    printUrl: extras.printAdminUrl === true,
    runner,
    logger,
    telemetry,
    sources: adminSources,
    ops,
    phase: () => phase,
    game,
    cluster,
    mover,
    balancer,
    checkpointer,
    store: () => persist.current(),
    attach,
    detachDeleted,
    withLedger: (w) => withLedger(w),
    playerData: () => playerData,
    kick: (worldId, playerId, reason) => gameServer.kickPlayer(worldId, playerId, reason),
  });
  services.push(admin); // first in, last out: /readyz answers 503 while the others stop
  services.push(scenePool); // started before and stopped after the game server; stop terminates its threads
  const gameServer = new GameServer({
    host: options.host,
    port: options.port,
    logger,
    resolveWorld: (id) => (runner.has(id) ? runner.get(id) : undefined),
    refuseNewSessions: (world) => admin.ops.isOn(world.id), // maintenance (admin API): new sessions closed 4013, players kept
    store: () => persist.current(),
    loopSlackMs: () => runner.slackMs(), // the session sweep's transactions fit before the next step (src/net/session-sweep.ts)
    net: (crowd ? { ...(options.net as object), ...CROWD_NET } : options.net) as Partial<NetConfig>, // validated by the GameServer (WT_ERR_OPTION_INVALID)
    routeHello: createHelloRouter(cluster, { tickets: clusterMode, hasWorld: (id) => runner.has(id) }),
    authenticate: hooks.authenticate, // the game's hooks (src/game/server.ts options)
    sessionClass: hooks.sessionClass,
    epochNow: extras.epochNow,
  });
  services.push(gameServer);
  services.push(cluster); // started once the ports are bound (its URLs), stopped first (leases released)
  services.push(balancer); // cluster mode: balance rounds on the leader
  // Input log of the default world (src/replay): its recipe, or a checkpoint of a restored one (src/replay/start-checkpoint.ts).
  if (options.record && crowd) throw optionInvalid(['--record works with the default scenario only']);
  const recorder = options.record
    ? new Recorder(() => defaultWorld, {
        path: options.record,
        hashEvery: options.recordHashEvery ?? 20,
        logger,
        recipe: (w) => worldRecipe(w, options, gameServer.config.maxSpeed, game ?? null),
      })
    : null;
  const stats = createStatsLogger(runner, logger, (id) => isStandbyCopy(cluster, id));
  // Player data of every world on the same store (src/player-data), created by start; its settings checked now.
  const playerDataSettings = parsePlayerDataOptions(options.playerData);
  let playerData: PlayerDataService | null = null;
  // The outcome of the last stop's final checkpoints (`runtime stopped`), for the command line's exit code.
  let shutdown: ShutdownCheckpoints | null = null;
  // One ledger per world on the durable store (src/server/runtime-ledger.ts). Validated here, attached in start.
  const withLedger = ledgerAttacher({
    ledger: options.ledger,
    startingCoins: options.startingCoins,
    game,
    logger,
    checkpointer,
    store: () => persist.current(),
    playerData: () => playerData,
    notices: (w) => gameServer.attachLedgerNotices(w),
  });
  return {
    options,
    logger,
    runner,
    get defaultWorld(): SimWorld {
      return defaultWorld;
    },
    adminToken,
    services,
    admin,
    worlds,
    gameServer,
    scenePool: scenePool as WorkerPool,
    recorder,
    cluster,
    get store(): Store {
      return storeOf();
    },
    checkpointer,
    get playerData(): PlayerDataService | null {
      return playerData;
    },
    get shutdown(): ShutdownCheckpoints | null {
      return shutdown;
    },
    onWorldRestored(listener) {
      persist.onWorldRestored(listener);
    },
    async start(signal?: AbortSignal) {
      phase = 'starting';
      refused = false;
      await startRuntime(
        {
          options,
          logger,
          instance: { id: instanceId, bound: instanceBound },
          persist,
          restore: async () => ({
            runner,
            defaultWorld: () => defaultWorld,
            swapDefault: (w) => {
              runner.remove(DEFAULT_WORLD_ID);
              destroySimWorld(defaultWorld);
              defaultWorld = w;
              declareDefaultTasks(defaultWorld);
              runner.add(defaultWorld);
              attach(defaultWorld);
            },
            attach,
            keep: await clusterMode.standbyFilter(), // cluster: the stored admin worlds this instance keeps a standby copy of
            notStarted: cluster.notStarted, // admin worlds a newer build checkpointed: left out, listed (src/server/not-started.ts)
            restoreOps: {
              runtime: (st) => opsPersist.restoreRuntime(st, ops, runner.worlds()),
              world: (st, w, incarnation) => opsPersist.restoreWorld(st, ops, w, incarnation),
            },
          }),
          checkpointer,
          openPlayerData: () => void (playerData = createPlayerData(persist.storeOf(), logger, playerDataSettings)),
          runner,
          withLedger,
          recorder,
          worldShards,
          services,
          cluster,
          stats,
        },
        signal,
      ).catch((err: unknown) => {
        // A refused start (a port taken after the check, a service failing): not a stop asked for during start.
        refused = !(signal?.aborted === true && err === signal.reason);
        throw err;
      });
      phase = 'running';
    },
    async stop() {
      const t0 = performance.now();
      const wasRunning = phase === 'running';
      const wasRefused = refused && phase === 'starting';
      phase = 'stopping';
      stats.stop();
      shutdown = await stopRuntime({
        logger,
        runner,
        services,
        cluster,
        // A world moving when the stop began finishes first, within half the stop timeout (the flush gets the rest).
        moves: wasRunning ? { mover, waitMs: options.stopTimeoutSeconds * 500 } : null,
        checkpointer,
        recorder,
        stopShards: () => worldShards.stopAll(),
        // A refused start's stop writes nothing: no final records or checkpoints (the store stays as the start found it).
        refused: wasRefused,
        flushStore: () => (wasRefused ? persist.discard() : persist.flush()),
        closeStore: () => persist.close({ refused: wasRefused }),
        closePlayerData: async () => {
          await playerData?.close();
          for (const w of runner.worlds()) w.playerData = null;
          playerData = null;
        },
        sessions: wasRunning ? gameServer.stats().sessions : 0,
        t0,
      });
      phase = 'stopped';
    },
  };
};
