/**
 * Periodic task scheduler: named tasks on the world clock (world seconds) or the wall clock
 * (wall seconds, injectable), with seeded jitter, priority, staggering, an adaptive flag and a
 * maintenance mode. Every trigger is published on the event bus (topic `task`); a built-in
 * `heartbeat` task publishes on topic `heartbeat`.
 *
 *   base = start + stagger          target_k = base + k·interval + jitter_k   (drift-free)
 *   |-----|-----|--x--|-----|-----|--x--|        x = tick that fires target k
 *   When a tick finds several targets passed, the task runs once; the others count as `missed`.
 *
 * Gating at a due target: maintenance holds every non-critical task (`held`); an adaptive task
 * runs only every `slowFactor`-th target in degraded mode and none in emergency unless critical
 * (`skipped`). Targets keep advancing, so a held or slowed task never bunches up afterwards.
 */
import { WorldtickError, ErrorCode } from '../errors.js';
import type { ControllerMode } from '../controller/controller.js';
import type { EventBus } from './event-bus.js';

/** Which clock a task runs on: world seconds (`world.clock.now`) or wall seconds. */
export type TaskClock = 'world' | 'wall';

/** What a task's run function receives. */
export interface TaskRun {
  name: string;
  /** Target time of this run (seconds on the task's clock, jitter included). */
  target: number;
  /** Clock time the run happened. */
  now: number;
  /** Targets passed without a run since the previous run (not bunched). */
  missed: number;
  /** True when fired by {@link PeriodicScheduler.inject}. */
  injected: boolean;
}

/** A task definition. */
export interface TaskOptions {
  /** Seconds between targets on the task's clock (> 0). */
  intervalSeconds: number;
  /** Default `world`. */
  clock?: TaskClock;
  /** Jitter as a share of the interval, 0..0.5: each target is delayed by a seeded [0, j·interval]. */
  jitter?: number;
  /** Higher runs first when several tasks are due on the same tick. Default 0. */
  priority?: number;
  /** Slowed in degraded mode, paused in emergency (unless critical). Default false. */
  adaptive?: boolean;
  /** Runs in maintenance mode and in emergency. Default false. */
  critical?: boolean;
  /** Offset tasks of equal interval so they do not fire together. Default true. */
  stagger?: boolean;
  /** Degraded-mode slowdown of this task when adaptive (integer >= 1: every n-th target runs). Default the scheduler's. */
  slowFactor?: number;
  /** Declared as data (config file, admin API) rather than by code; only these can be removed by the admin API. Default false. */
  declared?: boolean;
  run: (run: TaskRun) => void;
}

/** Payload of bus topic `task` (one per trigger). */
export interface TaskTrigger {
  name: string;
  clock: TaskClock;
  target: number;
  now: number;
  missed: number;
  /** `run`, or why the target did not run. */
  outcome: 'run' | 'held' | 'skipped' | 'error';
  injected: boolean;
}

/** Payload of bus topic `heartbeat`. */
export interface Heartbeat {
  seq: number;
  /** Wall seconds (scheduler's wall clock). */
  wallSeconds: number;
  /** World seconds. */
  worldSeconds: number;
  tasks: number;
  maintenance: boolean;
}

/** Topics the scheduler publishes. */
export interface SchedulerTopics {
  task: TaskTrigger;
  heartbeat: Heartbeat;
  maintenance: { on: boolean; wallSeconds: number };
}

/** Per-task counters (status). */
export interface TaskStatus {
  name: string;
  clock: TaskClock;
  intervalSeconds: number;
  priority: number;
  adaptive: boolean;
  critical: boolean;
  /** Stagger offset (seconds). */
  offset: number;
  jitter: number;
  slowFactor: number;
  declared: boolean;
  /** Next target (seconds on the task's clock). */
  next: number;
  runs: number;
  missed: number;
  held: number;
  skipped: number;
  errors: number;
}

export interface SchedulerOptions {
  bus: EventBus<SchedulerTopics>;
  /** World seconds now (e.g. `() => world.clock.now`). */
  worldNow: () => number;
  /** Wall milliseconds now. Default `performance.now`. Injectable for tests. */
  wallNowMs?: () => number;
  /** Controller mode now (adaptive tasks). Default always `normal`. */
  mode?: () => ControllerMode;
  /** Seed of the jitter (uint32). Default 1. */
  seed?: number;
  /** Degraded-mode slowdown of adaptive tasks (integer >= 1). Default 2. */
  slowFactor?: number;
  /** Heartbeat interval in wall seconds (0 = no heartbeat task). Default 1. */
  heartbeatSeconds?: number;
}

interface Task extends TaskStatus {
  run: (run: TaskRun) => void;
  base: number;
  k: number;
  salt: number;
}

const hash32 = (s: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
};

/** Seeded uniform [0, 1) for (salt, k): independent of the order tasks run in. */
const unit = (salt: number, k: number): number => {
  let x = (salt ^ Math.imul(k + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return ((x ^ (x >>> 16)) >>> 0) / 4294967296;
};

const GOLDEN = 0.6180339887498949;

/** The scheduler (owns its task table and publishes on the bus it was given). */
export class PeriodicScheduler {
  readonly bus: EventBus<SchedulerTopics>;
  readonly #worldNow: () => number;
  readonly #wallNowMs: () => number;
  readonly #mode: () => ControllerMode;
  readonly #seed: number;
  readonly #slow: number;
  #tasks: Task[] = [];
  #maintenance = false;
  #beats = 0;
  #lastBeatWallSeconds: number;

  constructor(opts: SchedulerOptions) {
    this.bus = opts.bus;
    this.#worldNow = opts.worldNow;
    this.#wallNowMs = opts.wallNowMs ?? (() => performance.now());
    this.#mode = opts.mode ?? (() => 'normal');
    this.#seed = (opts.seed ?? 1) >>> 0;
    const slow = opts.slowFactor ?? 2;
    if (!Number.isInteger(slow) || slow < 1) throw new WorldtickError(ErrorCode.OPTION_INVALID, 'slowFactor must be an integer >= 1');
    this.#slow = slow;
    this.#lastBeatWallSeconds = this.#wallNowMs() / 1000;
    const hb = opts.heartbeatSeconds ?? 1;
    if (hb > 0) {
      this.add('heartbeat', {
        intervalSeconds: hb,
        clock: 'wall',
        critical: true,
        priority: 1000,
        stagger: false,
        run: () => {
          this.#lastBeatWallSeconds = this.#wallNowMs() / 1000;
          this.bus.publish('heartbeat', {
            seq: ++this.#beats,
            wallSeconds: this.#wallNowMs() / 1000,
            worldSeconds: this.#worldNow(),
            tasks: this.#tasks.length,
            maintenance: this.#maintenance,
          });
        },
      });
    }
  }

  #clock(c: TaskClock): number {
    return c === 'world' ? this.#worldNow() : this.#wallNowMs() / 1000;
  }

  /**
   * Add a task; its first target is one interval (plus stagger offset) from now. Throws
   * `WT_ERR_TASK_EXISTS` for a duplicate name, `WT_ERR_OPTION_INVALID` on bad options.
   */
  add(name: string, o: TaskOptions): void {
    if (this.#tasks.some((t) => t.name === name))
      throw new WorldtickError(ErrorCode.TASK_EXISTS, `periodic task ${JSON.stringify(name)} exists`, { details: { name } });
    const problems: string[] = [];
    if (typeof name !== 'string' || !/^[A-Za-z0-9_.:-]{1,64}$/.test(name))
      problems.push('name must be 1-64 characters of A-Z a-z 0-9 _ . : -');
    if (typeof o.intervalSeconds !== 'number' || !(o.intervalSeconds > 0) || !Number.isFinite(o.intervalSeconds))
      problems.push('intervalSeconds must be a finite number > 0');
    const clock = o.clock ?? 'world';
    if (clock !== 'world' && clock !== 'wall') problems.push('clock must be world or wall');
    const jitter = o.jitter ?? 0;
    if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 0.5)) problems.push('jitter must be a number between 0 and 0.5');
    if (typeof o.run !== 'function') problems.push('run must be a function');
    const slowFactor = o.slowFactor ?? this.#slow;
    if (!Number.isInteger(slowFactor) || slowFactor < 1) problems.push('slowFactor must be an integer >= 1');
    if (problems.length)
      throw new WorldtickError(ErrorCode.OPTION_INVALID, `invalid periodic task ${name}: ${problems.join('; ')}`, {
        details: { problems },
      });
    const I = o.intervalSeconds;
    // Stagger: the n-th task of this interval and clock is offset by frac(n·φ)·interval.
    const same = this.#tasks.filter((t) => t.clock === clock && t.intervalSeconds === I).length;
    const offset = o.stagger === false ? 0 : ((same * GOLDEN) % 1) * I;
    const salt = (hash32(name) ^ this.#seed) >>> 0;
    const start = this.#clock(clock);
    const task: Task = {
      name,
      clock,
      intervalSeconds: I,
      priority: o.priority ?? 0,
      adaptive: o.adaptive === true,
      critical: o.critical === true,
      offset,
      slowFactor,
      declared: o.declared === true,
      next: 0,
      runs: 0,
      missed: 0,
      held: 0,
      skipped: 0,
      errors: 0,
      jitter,
      run: o.run,
      base: start + offset,
      k: 1,
      salt,
    };
    task.next = this.#target(task, 1);
    this.#tasks.push(task);
    this.#tasks.sort((a, b) => b.priority - a.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  #target(t: Task, k: number): number {
    return t.base + k * t.intervalSeconds + (t.jitter > 0 ? unit(t.salt, k) * t.jitter * t.intervalSeconds : 0);
  }

  /** Remove a task; throws `WT_ERR_TASK_UNKNOWN` if absent. */
  remove(name: string): void {
    const i = this.#tasks.findIndex((t) => t.name === name);
    if (i < 0) throw new WorldtickError(ErrorCode.TASK_UNKNOWN, `no periodic task ${JSON.stringify(name)}`, { details: { name } });
    this.#tasks.splice(i, 1);
  }

  /** Hold (true) or release (false) every non-critical task. Published on topic `maintenance`. */
  setMaintenance(on: boolean): void {
    if (this.#maintenance === on) return;
    this.#maintenance = on;
    this.bus.publish('maintenance', { on, wallSeconds: this.#wallNowMs() / 1000 });
  }

  get maintenance(): boolean {
    return this.#maintenance;
  }

  /** Wall seconds (this scheduler's wall clock) of the last heartbeat, or of its creation before the first. */
  get lastHeartbeatWallSeconds(): number {
    return this.#lastBeatWallSeconds;
  }

  /** Wall seconds since the last heartbeat (its staleness; the admin's readiness and a metric read it). */
  heartbeatAgeSeconds(): number {
    return this.#wallNowMs() / 1000 - this.#lastBeatWallSeconds;
  }

  /** Run every task whose target has passed (called once per step by the periodic system). Returns runs. */
  tick(): number {
    const mode = this.#mode();
    const wNow = this.#worldNow();
    const cNow = this.#wallNowMs() / 1000;
    let runs = 0;
    for (let i = 0; i < this.#tasks.length; i++) {
      const t = this.#tasks[i];
      const now = t.clock === 'world' ? wNow : cNow;
      if (now < t.next) continue;
      const target = t.next;
      const k = t.k;
      // Largest index whose un-jittered target has passed; the ones beyond k were missed.
      const kNow = Math.max(k, Math.floor((now - t.base) / t.intervalSeconds));
      const missed = kNow - k;
      t.missed += missed;
      t.k = kNow + 1;
      t.next = this.#target(t, t.k);
      let outcome: TaskTrigger['outcome'] = 'run';
      if (this.#maintenance && !t.critical) outcome = 'held';
      else if (t.adaptive && !t.critical && (mode === 'emergency' || (mode === 'degraded' && k % t.slowFactor !== 0))) outcome = 'skipped';
      if (outcome === 'held') t.held++;
      else if (outcome === 'skipped') t.skipped++;
      else {
        outcome = this.#runTask(t, target, now, missed, false);
        runs++;
      }
      this.bus.publish('task', { name: t.name, clock: t.clock, target, now, missed, outcome, injected: false });
    }
    return runs;
  }

  #runTask(t: Task, target: number, now: number, missed: number, injected: boolean): 'run' | 'error' {
    try {
      t.run({ name: t.name, target, now, missed, injected });
      t.runs++;
      return 'run';
    } catch {
      t.errors++;
      return 'error';
    }
  }

  /**
   * Fire a task now, outside its schedule (tests, admin "run now"). Its schedule is unchanged.
   * Published on topic `task` with `injected: true`. Throws `WT_ERR_TASK_UNKNOWN`.
   */
  inject(name: string): void {
    const t = this.#tasks.find((x) => x.name === name);
    if (!t) throw new WorldtickError(ErrorCode.TASK_UNKNOWN, `no periodic task ${JSON.stringify(name)}`, { details: { name } });
    const now = this.#clock(t.clock);
    const outcome = this.#runTask(t, now, now, 0, true);
    this.bus.publish('task', { name: t.name, clock: t.clock, target: now, now, missed: 0, outcome, injected: true });
  }

  /** Status of every task, in run order (priority, then name). Fresh objects. */
  status(): TaskStatus[] {
    return this.#tasks.map((t) => ({
      name: t.name,
      clock: t.clock,
      intervalSeconds: t.intervalSeconds,
      priority: t.priority,
      adaptive: t.adaptive,
      critical: t.critical,
      offset: t.offset,
      jitter: t.jitter,
      slowFactor: t.slowFactor,
      declared: t.declared,
      next: t.next,
      runs: t.runs,
      missed: t.missed,
      held: t.held,
      skipped: t.skipped,
      errors: t.errors,
    }));
  }
}
