/**
 * What a runtime is (src/server/runtime.ts builds it): its parts, its services and how it is
 * embedded. Types only.
 */
import type { AdminServer } from '../admin/index.js';
import type { ServerOptions } from '../cli/options.js';
import type { WorkerPool } from '../jobs/worker-pool.js';
import type { Logger } from '../log.js';
import type { LoopRunner } from '../loop/loop-runner.js';
import type { GameServer } from '../net/game-server.js';
import type { Checkpointer } from '../persist/checkpointer.js';
import type { PlayerDataService } from '../player-data/player-data-service.js';
import type { Recorder } from '../replay/recorder.js';
import type { Store } from '../store/types.js';
import type { SimWorld } from '../world/sim-world.js';
import type { ClusterService } from './cluster-service.js';
import type { WorldRestoredListener } from './runtime-persist.js';
import type { Service } from './service.js';
import type { ShutdownCheckpoints } from './shutdown-summary.js';
import type { ServerWorlds } from '../game/worlds-slot.js';

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
  /**
   * Create, delete and list worlds in process: the admin API's `POST` / `DELETE` / `GET
   * /api/v1/worlds` without HTTP (src/server/server-worlds.ts; docs/GAME-API.md "Creating and ending worlds").
   */
  readonly worlds: ServerWorlds;
  /** The WebSocket game server (src/net); `gameServer.stats()` for metrics. */
  readonly gameServer: GameServer;
  /** The worker pool of scene jobs (a service; `scenePool.stats()`). */
  readonly scenePool: WorkerPool;
  /**
   * Presence, world leases and fencing tokens (`cluster.fence(worldId)` for durable writes);
   * gates stepping and routes clients in cluster mode (`--redis`). src/server/cluster-service.ts.
   */
  readonly cluster: ClusterService;
  /**
   * The durable store (SQLite in `--data-dir`, or PostgreSQL by `--store`), opened by `start`
   * before the worlds tick and closed by `stop` after they stopped. Reading it outside that
   * window throws `WT_ERR_STORE_CLOSED`.
   */
  readonly store: Store;
  /** Checkpoints of the worlds (src/persist/checkpointer.ts); `checkpointer.report(id)` for figures. */
  readonly checkpointer: Checkpointer;
  /**
   * Register a listener called by `start` for each world restored from the store (default and
   * admin-created), after its state and config are back and before the loop ticks it; awaited in
   * order. The place to catch up what the checkpoint had not applied yet, e.g. ledger entries
   * committed after it: for each wallet row, `entriesSince(playerId, Wallet.appliedSeq[playerRow(stores, eid)])`.
   * Register before `start`.
   */
  onWorldRestored(listener: WorldRestoredListener): void;
  /** The default world's input-log recorder (`--record <file>`), or null. Started before the loop, stopped after it. */
  readonly recorder: Recorder | null;
  /**
   * Player data of every world (src/player-data): one group-committing service on the store, created
   * by `start`, closed by `stop` before the store; null outside that window.
   */
  readonly playerData: PlayerDataService | null;
  /**
   * The outcome of the last `stop`'s final checkpoints (as logged in `runtime stopped`): worlds saved,
   * worlds whose final checkpoint failed, standby copies. Null before a stop completed.
   */
  readonly shutdown: ShutdownCheckpoints | null;
  /**
   * Open the store, restore the worlds, start the loop and the services. With `signal`, an abort
   * (runMain: SIGINT/SIGTERM during start) ends start after its current step, throwing the signal's
   * reason; call `stop` then to release what was started.
   */
  start(signal?: AbortSignal): Promise<void>;
  stop(): Promise<void>;
}

/** Options of {@link createRuntime} that are not server options (how it is embedded). */
export interface RuntimeExtras {
  /**
   * Print the admin dashboard URL (with a generated token, when one was generated) to stderr as plain
   * lines at start, for the person who started the server. Default false: an embedding process
   * (tests, a studio's own process) reads `adminToken` and `admin.port` instead. `npm start` and
   * `runMain` pass true.
   */
  printAdminUrl?: boolean;
  /**
   * The game server's wall clock in Unix epoch ms (GameServerOptions `epochNow`): durable session
   * expiry and the resume grace of sessions live at the last shutdown (counted from this process's
   * start on this clock), pong and snapshot send times. Default `Date.now`. A test passes a clock it
   * moves itself, so a grace can be crossed without waiting it out in wall time.
   */
  epochNow?: () => number;
}
