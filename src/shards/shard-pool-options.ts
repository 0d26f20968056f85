/** Options of a shard pool (src/shards/shard-pool.ts): types, defaults and their validation. */
import { optionInvalid } from '../errors.js';
import type { Logger } from '../log.js';
import type { PhysicsShared } from '../physics/physics-types.js';

/** Options of a {@link ShardPool}. */
export interface ShardPoolOptions {
  /** The physics buffers every worker serves (shared, never copied). */
  shared: PhysicsShared;
  /** Worker threads (1..16). */
  shards: number;
  /** Wall ms the main thread waits at the barrier before re-running a partition inline. Default 2,000. */
  barrierTimeoutMs?: number;
  /**
   * Wall µs a worker watches its command word after finishing one before it sleeps (src/shards/barrier.ts):
   * the next phase of a step then starts without a wake-up; with it, the main thread also polls DONE
   * briefly after running its own band. 0..5,000; default 0: the barrier waits without polling (200
   * measured no better on this VM: 2 vs 1 shards 1.71 and 1.83 with 200, 1.75 and 1.83 with 0).
   */
  spinUs?: number;
  /**
   * Most wall µs a party of a fused step (one dispatch per step: src/shards/fused-step.ts) spins at
   * the barrier between two phases before it sleeps — only while every late party is awake, and
   * adapted per party (`adaptSpin`: a spin that ran out quarters the next one, down to none).
   * 0..5,000; default 1,000 (0 measured the same on the 100k bench: 1.80 vs 1.82, 1.66 vs 1.68).
   */
  barrierSpinUs?: number;
  /** Restarts of a crashed worker per slot before its partitions stay inline. Default 8. */
  maxRestarts?: number;
  /**
   * The module each worker loads (a path or file URL). Default: src/shards/shard-worker-entry.mjs next
   * to the pool's module, which loads the compiled shard-worker.js beside it, else the TypeScript source
   * through tsx. The shard tests pass the run's compiled copy of that entry (test/helpers/child-node.ts,
   * `compiledFile`): a worker then starts in ~0.07 s of CPU instead of ~0.45 s through tsx's hooks.
   */
  workerFile?: string;
  /** Wall ms `start()` waits for every worker to become READY. Default 15,000. */
  startTimeoutMs?: number;
  logger?: Logger;
}

/** The numeric options with their defaults, validated. */
export interface ResolvedPoolOptions {
  shards: number;
  timeout: number;
  maxRestarts: number;
  spinUs: number;
  barrierSpinUs: number;
}

/** Defaults applied and every numeric option checked; throws OPTION_INVALID listing every problem. */
export const resolvePoolOptions = (opts: ShardPoolOptions): ResolvedPoolOptions => {
  const p: string[] = [];
  const shards = opts.shards;
  const timeout = opts.barrierTimeoutMs ?? 2000;
  const maxRestarts = opts.maxRestarts ?? 8;
  const spinUs = opts.spinUs ?? 0;
  const barrierSpinUs = opts.barrierSpinUs ?? 1000;
  if (!Number.isInteger(barrierSpinUs) || barrierSpinUs < 0 || barrierSpinUs > 5000)
    p.push('shards.barrierSpinUs must be an integer between 0 and 5000');
  if (!Number.isInteger(spinUs) || spinUs < 0 || spinUs > 5000) p.push('shards.spinUs must be an integer between 0 and 5000');
  if (!Number.isInteger(shards) || shards < 1 || shards > 16) p.push('shards.count must be an integer between 1 and 16');
  if (!(typeof timeout === 'number' && timeout > 0 && timeout <= 600_000))
    p.push('shards.barrierTimeoutMs must be a number > 0 and <= 600000');
  if (!Number.isInteger(maxRestarts) || maxRestarts < 0 || maxRestarts > 1000)
    p.push('shards.maxRestarts must be an integer between 0 and 1000');
  if (p.length) throw optionInvalid(p);
  return { shards, timeout, maxRestarts, spinUs, barrierSpinUs };
};
