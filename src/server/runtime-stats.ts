/**
 * Runtime housekeeping split out of src/server/runtime.ts: the periodic "world stats" log
 * line (`--stats-interval`) and the physics shard workers of admin-created worlds.
 */
import type { Logger } from '../log.js';
import type { LoopRunner } from '../loop/loop-runner.js';
import { ShardService } from '../shards/shard-service.js';
import { entityCount, type SimWorld } from '../world/sim-world.js';

/** The periodic stats log of a runtime: one `world stats` line per world every interval. */
export interface StatsLogger {
  /** Log once now, then every `intervalSeconds` (an unref'd timer); `<= 0` logs nothing. */
  start(intervalSeconds: number): void;
  /** Clear the timer (idempotent). */
  stop(): void;
}

/**
 * Build the stats logger of `runner`'s worlds (steps per second measured between two lines).
 * `isStandby` (cluster mode) marks standby copies — worlds another instance owns, which do not
 * step here — with `standby: true`, so their 0 steps per second do not read as a stalled world.
 */
export const createStatsLogger = (
  runner: LoopRunner,
  logger: Logger,
  isStandby: (worldId: string) => boolean = () => false,
): StatsLogger => {
  let statsTimer: NodeJS.Timeout | null = null;
  // Keyed by id, but a measure holds only for the same world object: one replaced under its id (a
  // restore, a migration back, a copy taken over) has its own step counter and starts a new measure.
  let last = new Map<string, { world: SimWorld; steps: number; at: number }>();

  const logStats = (): void => {
    const now = performance.now();
    const next = new Map<string, { world: SimWorld; steps: number; at: number }>();
    for (const w of runner.worlds()) {
      const prev = last.get(w.id);
      const stepsPerSecond = prev && prev.world === w ? ((w.counters.steps - prev.steps) * 1000) / (now - prev.at) : 0;
      next.set(w.id, { world: w, steps: w.counters.steps, at: now });
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
          ...(isStandby(w.id) ? { standby: true } : {}),
        },
        'world stats',
      );
    }
    last = next;
  };

  return {
    start(intervalSeconds) {
      if (intervalSeconds > 0) {
        logStats();
        statsTimer = setInterval(logStats, intervalSeconds * 1000);
        statsTimer.unref();
      }
    },
    stop() {
      if (statsTimer) clearInterval(statsTimer);
    },
  };
};

/**
 * Physics shard workers of the runtime's worlds: one {@link ShardService} per world whose physics
 * asks for shards (the default world, admin-created, restored and migrated-in worlds alike),
 * started with the runtime (or with the world, once the runtime runs) and stopped with the world
 * or the runtime. A world that replaces another of the same id (a restore, a migration) gets new
 * workers over its own physics; the old ones are stopped.
 */
export class WorldShards {
  readonly #logger: Logger;
  readonly #byWorld = new Map<string, ShardService>();
  readonly #pending = new Map<string, SimWorld>();
  #live = false;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /**
   * Start shard workers for `world` when its physics asks for some (failure logged; physics runs
   * inline). Before {@link startAll} the world is only remembered. Returns the start, if any.
   */
  startFor(world: SimWorld): Promise<void> | undefined {
    const wp = world.physics;
    const existing = this.#byWorld.get(world.id);
    if (existing && wp && existing.physics === wp) return undefined;
    if (existing) this.forget(world.id);
    if (!wp || wp.config.shards < 1) {
      this.#pending.delete(world.id);
      return undefined;
    }
    if (!this.#live) {
      this.#pending.set(world.id, world);
      return undefined;
    }
    const svc = new ShardService(world.id, wp, { logger: this.#logger });
    this.#byWorld.set(world.id, svc);
    return svc
      .start()
      .catch((err: unknown) => this.#logger.error({ world: world.id, err }, 'shard workers did not start; physics runs inline'));
  }

  /** From now on worlds get their workers at once; start those of the worlds remembered so far (awaited). */
  async startAll(): Promise<void> {
    this.#live = true;
    const worlds = [...this.#pending.values()];
    this.#pending.clear();
    for (const w of worlds) await this.startFor(w);
  }

  /** Stop (not awaited) and forget the shard workers of a deleted or departed world, if any. */
  forget(worldId: string): void {
    const shards = this.#byWorld.get(worldId);
    this.#byWorld.delete(worldId);
    this.#pending.delete(worldId);
    void shards?.stop();
  }

  /** Stop every world's shard workers, one after the other, and forget them. */
  async stopAll(): Promise<void> {
    this.#live = false;
    this.#pending.clear();
    for (const svc of this.#byWorld.values()) await svc.stop();
    this.#byWorld.clear();
  }
}
