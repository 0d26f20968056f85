/**
 * The runtime's start (src/server/runtime.ts `start`): the first log line, the checks that can refuse
 * it before anything is opened (the fixed ports are free, the input log can be written), the
 * store and the restore of the stored worlds, player data, each world's ledger, the input recorder, the
 * shard workers, the loop, then the services in order (the cluster's first tick grants the leases), and
 * once all of that stands — the start committed — the store's writes begin: the checkpointer's timer,
 * a new default world's first record and checkpoint, a first checkpoint of every world owned here
 * (docs/DURABILITY.md "A refused start writes nothing"). Moved out of runtime.ts, as its stop is
 * (src/server/runtime-stop.ts); no state of its own.
 */
import { hostname } from 'node:os';
import type { ServerOptions } from '../cli/options.js';
import type { Logger } from '../log.js';
import type { LoopRunner } from '../loop/loop-runner.js';
import type { Checkpointer } from '../persist/checkpointer.js';
import type { Recorder } from '../replay/recorder.js';
import type { SimWorld } from '../world/sim-world.js';
import { readBuildInfo } from '../admin/build-info.js';
import type { ClusterService } from './cluster-service.js';
import type { RestoreTargets, RuntimePersistence } from './runtime-persist.js';
import type { WorldShards } from './runtime-stats.js';
import { DEFAULT_WORLD_ID } from './runtime-world.js';
import { probePorts } from './port-probe.js';
import { checkRecording } from '../replay/record-path.js';
import type { Service } from './service.js';

/** What {@link startRuntime} starts. */
export interface RuntimeStartParts {
  options: ServerOptions;
  logger: Logger;
  /** This instance's id, and whether the logger binds it already (cluster mode). */
  instance: { id: string; bound: boolean };
  persist: RuntimePersistence;
  /** Where the stored worlds go (runtime-persist `open`); built when the start reaches it. */
  restore: () => Promise<RestoreTargets>;
  checkpointer: Checkpointer;
  /** Create the player-data service on the open store (the runtime keeps it). */
  openPlayerData: () => void;
  runner: LoopRunner;
  withLedger: (world: SimWorld) => void;
  recorder: Recorder | null;
  worldShards: WorldShards;
  services: readonly Service[];
  cluster: ClusterService;
  stats: { start(intervalSeconds: number): void };
}

/** Start the runtime (see the module comment). A stop asked for through `signal` ends it between steps. */
export const startRuntime = async (p: RuntimeStartParts, signal?: AbortSignal): Promise<void> => {
  const { options, logger, runner, checkpointer, recorder, cluster } = p;
  // Which build starts where (also worldtick_build_info): the first line of an upgrade's log.
  logger.info(
    {
      ...readBuildInfo(),
      pid: process.pid,
      hostname: hostname(),
      ...(p.instance.bound ? {} : { instance: p.instance.id }),
      cluster: cluster.enforce,
    },
    'worldtick starting',
  );
  // A port that is taken, or an input log that cannot be written, refuses the start before anything
  // is opened or written (src/server/port-probe.ts, src/replay/record-path.ts).
  if (recorder) checkRecording(recorder.path, runner.get(DEFAULT_WORLD_ID));
  await probePorts([
    { service: 'game', host: options.host, port: options.port },
    { service: 'admin', host: options.host, port: options.adminPort },
  ]);
  // The store first, then the checkpoint writer: worlds are restored from it before they tick.
  await p.persist.open(await p.restore());
  // A stop asked for during start (runMain: SIGINT/SIGTERM) ends start after its current step.
  signal?.throwIfAborted();
  p.openPlayerData();
  // Players come back by resuming (durable session + player records); each world gets its ledger.
  for (const w of runner.worlds()) p.withLedger(w);
  // Before the first step; a restored default world starts the log from a checkpoint of it.
  if (recorder) await recorder.start(checkpointer.report(DEFAULT_WORLD_ID)?.restored ? { from: 'restored' } : {});
  signal?.throwIfAborted();
  await p.worldShards.startAll(); // every world's shard workers (those added from now on start with the world)
  signal?.throwIfAborted();
  runner.start();
  logger.info(
    {
      worlds: runner.worlds().map((w) => w.id),
      scenario: options.scenario,
      npcs: options.scenario === 'crowd' ? options.crowdNpcs : options.npcs,
    },
    'loop started',
  );
  for (const s of p.services) {
    signal?.throwIfAborted();
    await s.start();
    logger.info({ service: s.name }, 'service started');
  }
  // Cluster mode: a world's checkpoints are fenced; now that the cluster's first tick granted the leases,
  // checkpoint every world owned here.
  for (const w of runner.worlds())
    if (cluster.enforce && cluster.fence(w.id) && checkpointer.report(w.id)?.saved === 0) void checkpointer.checkpoint(w.id);
  // The start is committed: records and checkpoints from now on (a new default world's first ones).
  await p.persist.commit();
  p.stats.start(options.statsIntervalSeconds);
};
