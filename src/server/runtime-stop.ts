/**
 * The runtime's graceful stop (src/server/runtime.ts `stop`): cluster moves in flight finished first,
 * then services stopped in reverse order,
 * the final flush (ledgers, records and checkpoints) while cluster leases are held, the shutdown
 * summary, then the worlds, player data and the store. Moved out of runtime.ts; no state of its own.
 */
import type { Logger } from '../log.js';
import type { LoopRunner } from '../loop/loop-runner.js';
import { detachLedger } from '../ledger/world-ledger.js';
import type { Checkpointer } from '../persist/checkpointer.js';
import type { Recorder } from '../replay/recorder.js';
import { destroySimWorld } from '../world/sim-world.js';
import { worldDeleted } from '../game/world.js';
import type { ClusterService } from './cluster-service.js';
import type { WorldMover } from './cluster-migration.js';
import { isStandbyCopy } from './cluster-worlds-list.js';
import type { Service } from './service.js';
import { summarizeShutdownCheckpoints, type ShutdownCheckpoints } from './shutdown-summary.js';

/** What {@link stopRuntime} stops. */
export interface RuntimeStopParts {
  logger: Logger;
  runner: LoopRunner;
  services: readonly Service[];
  cluster: ClusterService;
  /**
   * Cluster mode, a runtime that was running: its world mover, and the most wall ms the stop waits for
   * the moves in flight (0 = until they end). Null: nothing to wait for.
   */
  moves: { mover: WorldMover; waitMs: number } | null;
  checkpointer: Checkpointer;
  recorder: Recorder | null;
  /** Stop every world's shard workers. */
  stopShards: () => Promise<void>;
  /**
   * The start failed (refused): nothing is written at stop — `flushStore` writes no final records or
   * checkpoints, and no world is listed as a failed final checkpoint (docs/DURABILITY.md).
   */
  refused: boolean;
  /** Final records and checkpoints of every persisted world (runtime-persist `flush`); of none when `refused`. */
  flushStore: () => Promise<void>;
  /** Close the store (runtime-persist `close`). */
  closeStore: () => Promise<void>;
  /** Close the player-data service (null when start did not create it) and clear it on the runtime. */
  closePlayerData: () => Promise<void>;
  /** Sessions open when the stop began (for the summary line). */
  sessions: number;
  /** `performance.now()` when the stop began. */
  t0: number;
}

/**
 * Stop a runtime's parts in order and log `runtime stopped` with the summary of the final checkpoints;
 * returns that summary (its `failed` list is what the command line turns into exit code 1).
 */
export const stopRuntime = async (p: RuntimeStopParts): Promise<ShutdownCheckpoints> => {
  const { logger, runner, cluster, checkpointer, recorder } = p;
  if (cluster.enforce && p.moves) {
    // Cluster mode: a world moving between instances right now (out, or being adopted) finishes its
    // move before anything stops, so it ends up owned once with its state; no move starts from now.
    // Announced capacity 0 first (as a drain, its record not flagged draining): other instances place and migrate
    // nothing here, and a handover from one whose view is older is refused (src/server/cluster-migration-routes.ts).
    await cluster
      .setDraining(true, 'stopping')
      .catch((err: unknown) => logger.warn({ err }, 'cluster: capacity 0 could not be announced at stop'));
    await p.moves.mover.settle(p.moves.waitMs);
  }
  // Graceful shutdown: ledgers commit what is queued; a record and a full checkpoint of every
  // persisted world, before the store closes.
  let flushed: Promise<void> | null = null;
  const finalFlush = (): Promise<void> =>
    (flushed ??= (async () => {
      await p.stopShards();
      runner.stop();
      if (recorder) await recorder.stop(); // after the last step: the end frame holds the final hash
      for (const w of runner.worlds()) await detachLedger(w);
      await p.flushStore();
    })());
  for (const s of [...p.services].reverse()) {
    // Cluster mode: records, checkpoints and ledger commits are fenced writes, and the cluster
    // service's stop releases the leases — after it nothing could be written. So the loop stops
    // and the final flush runs first, while the leases are held (sessions stay open meanwhile,
    // without steps, and are closed by the game server's stop).
    if (s === cluster && cluster.enforce) await finalFlush();
    await s.stop();
    logger.info({ service: s.name }, 'service stopped');
  }
  await finalFlush();
  // Cluster mode: a world this instance never stepped since its start (a copy restored from the store, a start
  // that failed before the cluster service ran) holds nothing its final checkpoint would add: a standby copy too.
  const steppedHere = new Set(cluster.stepRanges().flatMap((r) => (r.instanceId === cluster.instanceId ? [r.worldId] : [])));
  const notOwnedHere = (id: string): boolean => isStandbyCopy(cluster, id) || (cluster.enforce && !steppedHere.has(id));
  const checkpoints = p.refused
    ? { saved: {}, failed: [], standby: [] }
    : summarizeShutdownCheckpoints(runner.worlds(), checkpointer, notOwnedHere, logger);
  if (p.refused) logger.info('start refused: no final checkpoint written (the store is as the start found it)');
  for (const w of runner.worlds()) {
    worldDeleted(w); // a game's onWorldDeleted hook
    destroySimWorld(w); // abort running jobs, clear their timers, stop periodic work
  }
  // Player data saved by the hooks above (onPlayerLeft, onWorldDeleted) commits before the store closes.
  await p.closePlayerData();
  await p.closeStore();
  logger.info('loop stopped');
  logger.info(
    {
      ms: Math.round(performance.now() - p.t0),
      sessionsClosed: p.sessions,
      checkpoints: checkpoints.saved,
      failed: checkpoints.failed.length,
      standby: checkpoints.standby,
    },
    'runtime stopped',
  );
  return checkpoints;
};
