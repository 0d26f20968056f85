/**
 * The runtime: one process, a loop runner, the embedded default world, and the services
 * (game server, admin API) that plug in around them. Created by the CLI and by integration
 * tests; owns nothing global.
 */
import { randomBytes } from 'node:crypto';
import type { ServerOptions } from '../cli/options.js';
import type { Logger } from '../log.js';
import { LoopRunner } from '../loop/loop-runner.js';
import { createAdminServer, createTelemetry, OpsState, type AdminServer, type StatsSources } from '../admin/index.js';
import { getControllerStatus } from '../controller/controller.js';
import { createStepLog } from './step-log.js';
import { GameServer } from '../net/game-server.js';
import type { NetConfig } from '../net/net-config.js';
import { populateNpcs } from '../world/populate.js';
import { declareTask } from '../periodic/declared-tasks.js';
import { createScenePool, enableScenes } from '../content/scene-job.js';
import type { WorkerPool } from '../jobs/worker-pool.js';
import { createSimWorld, destroySimWorld, entityCount, type SimWorld } from '../world/sim-world.js';
import { CROWD_NET, createCrowdWorld } from '../scenarios/crowd.js';
import type { Service } from './service.js';
import { ShardService } from '../shards/shard-service.js';
import { Recorder } from '../replay/recorder.js';
import { optionInvalid } from '../errors.js';

export type { Service } from './service.js';

export interface Runtime {
  readonly options: ServerOptions;
  readonly logger: Logger;
  readonly runner: LoopRunner;
  /** The embedded default world (id "1"). */
  readonly defaultWorld: SimWorld;
  /** Admin bearer token in force (generated when the options left it empty). */
  readonly adminToken: string;
  readonly services: Service[];
  /** The admin HTTP server (API, metrics, dashboard); `admin.port` is the bound port. */
  readonly admin: AdminServer;
  /** The WebSocket game server (src/net); `gameServer.stats()` for metrics. */
  readonly gameServer: GameServer;
  /** The worker pool of scene jobs (a service; `scenePool.stats()`). */
  readonly scenePool: WorkerPool;
  /** The default world's input-log recorder (`--record <file>`), or null. Started before the loop, stopped after it. */
  readonly recorder: Recorder | null;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Id of the embedded default world (the original design's examples use 1). */
export const DEFAULT_WORLD_ID = '1';

/** Build the runtime (nothing runs until `start`). Throws coded errors on bad options. */
export const createRuntime = (options: ServerOptions, logger: Logger): Runtime => {
  // Admin sources: other modules' stats, read lazily (the game server is created below).
  const adminSources: StatsSources = {
    controller: getControllerStatus,
    sessions: () => gameServer.stats(),
  };
  const telemetry = createTelemetry({ sources: adminSources, stepLog: createStepLog(logger, { sources: adminSources }) });
  let phase: 'created' | 'starting' | 'running' | 'stopping' | 'stopped' = 'created';
  const runner = new LoopRunner({
    onStep: telemetry.onStep,
    onFault: (world, err) => logger.error({ world: world.id, err, fault: world.fault }, 'world faulted and paused'),
  });
  const scheduler = {
    simulation: { tickIntervalSeconds: options.tickIntervalSeconds, timeScale: options.timeScale },
  };
  const crowd = options.scenario === 'crowd';
  const defaultWorld = crowd ? createScenarioWorld(options) : createSimWorld({
    id: DEFAULT_WORLD_ID,
    capacity: options.capacity || options.npcs + 10_000,
    seed: options.seed,
    size: options.worldSize,
    config: mergePatches(scheduler, options.scheduler),
    physics: defaultWorldPhysics(options),
  });
  // Periodic tasks declared in the config file (validated by parseOptions; src/periodic/declared-tasks.ts).
  for (const [i, t] of (options.periodic ?? []).entries()) declareTask(defaultWorld, t, `periodic[${i}]`);
  if (!crowd) populateNpcs(defaultWorld, { count: options.npcs });
  runner.add(defaultWorld);
  // Content generation leaves the step: one worker pool; the default world requests NPC scenes (docs/ADAPTIVE.md).
  const scenePool = createScenePool({ maxThreads: options.jobThreads });
  if (!crowd) enableScenes(defaultWorld, scenePool);
  const worldShards = new Map<string, ShardService>();
  const adminToken = options.adminToken || randomBytes(18).toString('base64url');
  const services: Service[] = [];
  const admin = createAdminServer({
    host: options.host,
    port: options.adminPort,
    token: adminToken,
    tokenGenerated: !options.adminToken,
    runner,
    logger,
    telemetry,
    sources: adminSources,
    ops: new OpsState({ heartbeatStaleSeconds: options.heartbeatStaleSeconds }),
    isReady: () => phase === 'running',
    protectedWorldIds: [DEFAULT_WORLD_ID],
    // A deleted world's sessions are closed (4012) and its resume tokens forgotten.
    onWorldDeleted: (world) => {
      gameServer.detachWorld(world);
      const shards = worldShards.get(world.id);
      worldShards.delete(world.id);
      void shards?.stop();
    },
    // Worlds created through the admin API request scenes on the same pool; their shard workers
    // (when their physics asks for some) start now and stop with the world or the runtime.
    onWorldCreated: (world) => {
      enableScenes(world, scenePool);
      if (!world.physics || world.physics.config.shards < 1) return;
      const svc = new ShardService(world.id, world.physics, { logger });
      worldShards.set(world.id, svc);
      svc.start().catch((err: unknown) => logger.error({ world: world.id, err }, 'shard workers did not start; physics runs inline'));
    },
  });
  services.push(admin); // first in, last out: /readyz answers 503 while the others stop
  services.push(scenePool); // started before and stopped after the game server; stop terminates its threads
  // Physics shard workers: one pool per world (src/shards/shard-service.ts), started and stopped with the runtime.
  if (defaultWorld.physics && defaultWorld.physics.config.shards > 0) services.push(new ShardService(defaultWorld.id, defaultWorld.physics, { logger }));
  const gameServer = new GameServer({
    host: options.host,
    port: options.port,
    logger,
    resolveWorld: (id) => (runner.has(id) ? runner.get(id) : undefined),
    // Maintenance (admin API): new sessions refused with close 4013, existing players kept.
    refuseNewSessions: (world) => admin.ops.isOn(world.id),
    net: (crowd ? { ...(options.net as object), ...CROWD_NET } : options.net) as Partial<NetConfig>, // validated by the GameServer (WT_ERR_OPTION_INVALID)
  });
  services.push(gameServer);
  // Input log of the default world (src/replay): the recipe is how the world was built above.
  if (options.record && crowd) throw optionInvalid(['--record works with the default scenario only']);
  const recorder = options.record
    ? new Recorder(defaultWorld, {
        path: options.record,
        hashEvery: options.recordHashEvery ?? 20,
        logger,
        recipe: {
          id: defaultWorld.id,
          capacity: defaultWorld.capacity,
          seed: defaultWorld.seed,
          size: defaultWorld.bounds.maxX - defaultWorld.bounds.minX,
          config: structuredClone(defaultWorld.config),
          physics: defaultWorld.physics ? defaultWorld.physics.config : null,
          npcs: options.npcs,
          scenes: true,
          inputMaxSpeed: gameServer.config.maxSpeed,
        },
      })
    : null;
  let statsTimer: NodeJS.Timeout | null = null;
  let last = new Map<string, { steps: number; at: number }>();

  const logStats = (): void => {
    const now = performance.now();
    const next = new Map<string, { steps: number; at: number }>();
    for (const w of runner.worlds()) {
      const prev = last.get(w.id);
      const stepsPerSecond = prev ? ((w.counters.steps - prev.steps) * 1000) / (now - prev.at) : 0;
      next.set(w.id, { steps: w.counters.steps, at: now });
      logger.info(
        {
          world: w.id,
          stepsPerSecond: Math.round(stepsPerSecond * 10) / 10,
          worldTime: Math.round(w.clock.now * 1000) / 1000,
          step: w.clock.step,
          entities: entityCount(w),
          lastStepMs: Math.round(w.stats.totalMs * 1000) / 1000,
          paused: w.clock.paused,
          droppedSteps: w.counters.droppedSteps,
        },
        'world stats',
      );
    }
    last = next;
  };

  return {
    options,
    logger,
    runner,
    defaultWorld,
    adminToken,
    services,
    admin,
    gameServer,
    scenePool: scenePool as WorkerPool,
    recorder,
    async start() {
      phase = 'starting';
      if (recorder) await recorder.start(); // before the first step
      runner.start();
      logger.info({ worlds: runner.worlds().map((w) => w.id), scenario: options.scenario, npcs: crowd ? options.crowdNpcs : options.npcs }, 'loop started');
      for (const s of services) {
        await s.start();
        logger.info({ service: s.name }, 'service started');
      }
      if (options.statsIntervalSeconds > 0) {
        logStats();
        statsTimer = setInterval(logStats, options.statsIntervalSeconds * 1000);
        statsTimer.unref();
      }
      phase = 'running';
    },
    async stop() {
      phase = 'stopping';
      if (statsTimer) clearInterval(statsTimer);
      for (const s of [...services].reverse()) {
        await s.stop();
        logger.info({ service: s.name }, 'service stopped');
      }
      for (const svc of worldShards.values()) await svc.stop();
      worldShards.clear();
      runner.stop();
      if (recorder) await recorder.stop(); // after the last step: the end frame holds the final hash
      for (const w of runner.worlds()) destroySimWorld(w); // abort running jobs, clear their timers, stop periodic work
      phase = 'stopped';
      logger.info('loop stopped');
    },
  };
};

/**
 * The default world's physics from the options: `--physics off` → none; else the config file's
 * `physicsConfig` block (obstacles, tuning, navigation, mainRuns) with `--shards`, `--shard-mode`
 * and `--map` (validated at world creation: `WT_ERR_CONFIG_INVALID` listing every problem).
 */
const defaultWorldPhysics = (options: ServerOptions): unknown => {
  if (options.physics === 'off') return false;
  const block = typeof options.physicsConfig === 'object' && options.physicsConfig !== null && !Array.isArray(options.physicsConfig) ? options.physicsConfig : {};
  return { ...block, enabled: true, shards: options.shards ?? '0', mode: options.shardMode ?? 'auto', ...(options.map ? { map: options.map } : {}) };
};

/** `--scenario crowd`: the standard crowd world (docs/SCENARIOS.md) as the default world. */
const createScenarioWorld = (options: ServerOptions): SimWorld =>
  createCrowdWorld({
    id: DEFAULT_WORLD_ID,
    npcs: options.crowdNpcs,
    seed: options.seed,
    playerCapacity: options.capacity ? Math.max(0, options.capacity - options.crowdNpcs) : 10_000,
    config: typeof options.scheduler === 'object' && options.scheduler !== null ? (options.scheduler as Record<string, unknown>) : {},
  });

const mergePatches = (a: Record<string, Record<string, unknown>>, b: unknown): unknown => {
  if (typeof b !== 'object' || b === null || Array.isArray(b)) return b === undefined ? a : b;
  const bo = b as Record<string, unknown>;
  const sim = bo.simulation;
  return {
    ...bo,
    simulation: typeof sim === 'object' && sim !== null && !Array.isArray(sim) ? { ...a.simulation, ...sim } : sim ?? a.simulation,
  };
};
