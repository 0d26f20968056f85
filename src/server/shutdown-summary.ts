/**
 * What a graceful stop wrote, for the operator reading the log: per world, whether its final
 * checkpoint landed at the world's last step. A stop whose final checkpoint failed (the store down
 * at shutdown) used to end with the same `bye` as a good one; now it says which world restarts from
 * an older checkpoint, at error.
 */
import type { Logger } from '../log.js';
import type { Checkpointer } from '../persist/checkpointer.js';
import type { SimWorld } from '../world/sim-world.js';

/** The outcome of a stop's final checkpoints. */
export interface ShutdownCheckpoints {
  /** World id → step of its final checkpoint (the world's last step). */
  saved: Record<string, number>;
  /** Worlds whose final checkpoint is missing: they restart from `lastCheckpointStep` (-1: none). */
  failed: Array<{ world: string; step: number; lastCheckpointStep: number; lastError: string | null }>;
  /** Cluster mode: standby copies of worlds other instances own (not written here, by design). */
  standby: string[];
}

/**
 * Compare each persisted world's last checkpoint with its last step after the final flush, and log
 * every world whose final checkpoint is missing at error. Worlds that are not persisted (the crowd
 * scenario) are left out; `isStandby` names cluster standby copies.
 */
export const summarizeShutdownCheckpoints = (
  worlds: readonly SimWorld[],
  checkpointer: Checkpointer,
  isStandby: (worldId: string) => boolean,
  logger: Logger,
): ShutdownCheckpoints => {
  const out: ShutdownCheckpoints = { saved: {}, failed: [], standby: [] };
  for (const w of worlds) {
    if (!checkpointer.has(w.id)) continue;
    const r = checkpointer.report(w.id);
    if (r && r.lastStep === w.clock.step) out.saved[w.id] = w.clock.step;
    else if (isStandby(w.id)) out.standby.push(w.id);
    else {
      const f = { world: w.id, step: w.clock.step, lastCheckpointStep: r?.lastStep ?? -1, lastError: r?.lastError ?? null };
      out.failed.push(f);
      logger.error(f, 'shutdown: final checkpoint not written; the world restarts from its last checkpoint');
    }
  }
  return out;
};
