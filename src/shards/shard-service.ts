/**
 * The shard pool of one world as a runtime `Service` (src/server/service.ts): `start` builds a
 * {@link ShardPool} over the world's physics buffers, waits until its workers are READY and
 * attaches it (the physics step then runs inline or on shards by the world's `mode`); `stop`
 * detaches it (back to inline, between steps) and terminates the threads.
 *
 * One pool per world, not one shared: a pool's workers receive one world's SharedArrayBuffer
 * stores once, at start, and per-step dispatch is a few Atomics stores over them; serving several
 * worlds would mean re-posting buffers or one worker set per world anyway. A world with
 * `shards: 0` (or `auto` on one core) has no service and always runs inline.
 */
import type { Logger } from '../log.js';
import type { WorldPhysics } from '../physics/physics-world.js';
import { ShardPool } from './shard-pool.js';
import { createShardedPhysics } from './sharded-physics.js';

/** Options of a {@link ShardService}. */
export interface ShardServiceOptions {
  /** Wall ms the main thread waits at the barrier before re-running a band inline. */
  barrierTimeoutMs?: number;
  logger?: Logger;
  /** The module each worker loads (see `ShardPoolOptions.workerFile`); default the entry next to the pool's module. */
  workerFile?: string;
}

/** Starts and stops the shard workers of one world with the runtime. */
export class ShardService {
  readonly name: string;
  readonly #wp: WorldPhysics;
  readonly #opts: ShardServiceOptions;
  #pool: ShardPool | null = null;

  /** `worldId` names the service; `wp` is the world's physics slot (`world.physics`). */
  constructor(worldId: string, wp: WorldPhysics, opts: ShardServiceOptions = {}) {
    this.name = `shards:${worldId}`;
    this.#wp = wp;
    this.#opts = opts;
  }

  /** The physics slot this service's workers step. */
  get physics(): WorldPhysics {
    return this.#wp;
  }

  /** Workers this service runs (the world's resolved shard count). */
  get shards(): number {
    return this.#wp.config.shards;
  }

  /** Start the workers and attach them to the world's physics. No-op with 0 shards or when started. */
  async start(): Promise<void> {
    const wp = this.#wp;
    if (this.#pool || wp.config.shards < 1) return;
    const pool = new ShardPool({
      shared: wp.state.shared,
      shards: wp.config.shards,
      ...(this.#opts.barrierTimeoutMs ? { barrierTimeoutMs: this.#opts.barrierTimeoutMs } : {}),
      ...(this.#opts.logger ? { logger: this.#opts.logger } : {}),
      ...(this.#opts.workerFile ? { workerFile: this.#opts.workerFile } : {}),
    });
    this.#pool = pool;
    try {
      await pool.start();
    } catch (err) {
      this.#pool = null;
      await pool.close();
      throw err;
    }
    const mainRuns = wp.config.mainRuns;
    wp.sharded = createShardedPhysics(wp.state, pool, {
      mode: wp.config.mode,
      ...(mainRuns ? { mainRuns: true, partitions: wp.config.shards + 1 } : {}),
    });
    wp.pool = pool;
  }

  /** Detach the workers (the world's physics runs inline again) and terminate them. Idempotent. */
  async stop(): Promise<void> {
    const pool = this.#pool;
    if (!pool) return;
    this.#pool = null;
    const wp = this.#wp;
    wp.sharded = createShardedPhysics(wp.state, null, { mode: 'inline' });
    wp.pool = null;
    await pool.close();
  }
}
