/**
 * Per-world wiring of the event bus and the periodic scheduler, and the runtime's own
 * periodic tasks:
 * - `runtime.stats` (wall clock, every 1 s, adaptive): publishes a {@link StatsSnapshot} on
 *   topic `stats` (controller mode and costs, budgets, ingest summary, job stats).
 * - `runtime.cleanup` (wall clock, every 30 s, adaptive): releases ingest maps grown by a burst.
 * - `heartbeat` (built into the scheduler, wall clock, every 1 s, critical).
 *
 * One bus and one scheduler per world: a world's tasks see its clock and controller mode,
 * and removing the world removes them. The runtime may add its own tasks to any world's
 * scheduler.
 */
import type { ControllerMode, ModeTransition } from '../controller/controller.js';
import type { IngestSummary } from '../ingest/ingest-buffers.js';
import type { JobStats } from '../jobs/job-queue.js';
import type { StepBudgets, WorldClock } from '../core/world-core.js';
import { EventBus } from './event-bus.js';
import { PeriodicScheduler, type SchedulerTopics } from './scheduler.js';

/** Payload of topic `stats`. Times: worldTime world seconds, costs wall ms. */
export interface StatsSnapshot {
  step: number;
  worldTime: number;
  mode: ControllerMode;
  lastStepMs: number;
  fastAvgMs: number;
  budgets: StepBudgets;
  ingest: IngestSummary;
  jobs: JobStats;
}

/** Every topic of a world's bus. */
export interface WorldTopics extends SchedulerTopics {
  /** Controller mode transitions. */
  mode: ModeTransition;
  stats: StatsSnapshot;
  /** A declared task ran (src/periodic/declared-tasks.ts): games subscribe to act on their schedule. */
  signal: TaskSignal;
}

/** Payload of topic `signal`: one run of a task declared as data. Times on the task's clock (seconds). */
export interface TaskSignal {
  task: string;
  clock: 'world' | 'wall';
  target: number;
  now: number;
  missed: number;
  injected: boolean;
  /** Runs of this task so far, this one included. */
  seq: number;
}

/** What the wiring needs from the world (the world itself satisfies it). */
export interface WorldLike {
  seed: number;
  clock: WorldClock;
  controller: { mode: ControllerMode; lastStepMs: number; fastAvgMs: number };
  ctx: { budgets: StepBudgets };
  ingest: { summary(): Readonly<IngestSummary>; compact(): number };
  jobs: { stats(): JobStats };
}

/** A world's bus (history of the last 256 events). */
export const createWorldBus = (): EventBus<WorldTopics> => new EventBus<WorldTopics>({ historySize: 256 });

/**
 * The world's scheduler with the runtime tasks. `world` is read lazily (at task run time), so
 * this can be called while the world object is being built.
 */
export const createWorldScheduler = (world: WorldLike, bus: EventBus<WorldTopics>, wallNowMs?: () => number): PeriodicScheduler => {
  const s = new PeriodicScheduler({
    bus: bus as unknown as EventBus<SchedulerTopics>,
    worldNow: () => world.clock.now,
    mode: () => world.controller.mode,
    seed: world.seed,
    ...(wallNowMs ? { wallNowMs } : {}),
  });
  s.add('runtime.stats', {
    intervalSeconds: 1,
    clock: 'wall',
    adaptive: true,
    priority: 10,
    run: () => {
      bus.publish('stats', {
        step: world.clock.step,
        worldTime: world.clock.now,
        mode: world.controller.mode,
        lastStepMs: world.controller.lastStepMs,
        fastAvgMs: world.controller.fastAvgMs,
        budgets: { ...world.ctx.budgets },
        ingest: { ...world.ingest.summary() },
        jobs: world.jobs.stats(),
      });
    },
  });
  s.add('runtime.cleanup', { intervalSeconds: 30, clock: 'wall', adaptive: true, run: () => void world.ingest.compact() });
  return s;
};

/** The slot the periodic module adds to a world: its event bus and periodic task scheduler. */
export interface PeriodicSlot {
  /** The world's typed event bus (periodic triggers, heartbeat, mode changes, stats). */
  bus: EventBus<WorldTopics>;
  /** The world's periodic task scheduler (ticked in the periodic phase). */
  periodic: PeriodicScheduler;
}

/**
 * A world's periodic slot. `world` is the object that becomes the world (its fields are read
 * when tasks run), so build it after the slots it reads and add the result to the same object.
 */
export const createPeriodicSlot = (world: WorldLike): PeriodicSlot => {
  const bus = createWorldBus();
  return { bus, periodic: createWorldScheduler(world, bus) };
};

/** Stop a world's periodic work: every task removed and the bus cleared (world teardown). */
export const stopPeriodicSlot = (slot: PeriodicSlot): void => {
  for (const t of slot.periodic.status()) slot.periodic.remove(t.name);
  slot.bus.clear();
};
