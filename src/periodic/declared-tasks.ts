/**
 * Periodic tasks as data: declared in the config file (`"periodic": [ ... ]`) or through the admin
 * API (`POST /api/v1/worlds/{id}/periodic`), validated by the schema module like every option.
 *
 * What a declared task does: each run publishes topic `signal` on the world's bus
 * (`{ task, clock, target, now, missed, injected, seq }`). A game subscribes to it
 * (`world.bus.subscribe('signal', fn)`) to run its own work on that schedule (a market refresh
 * every game day, a wall-clock backup, a world event); operators see every trigger — run,
 * held by maintenance, skipped by the controller — in the bus history (`…/periodic/history`).
 */
import { defaultsOf, resolveOptions, type ObjectSpec } from '../config/schema.js';
import { configInvalid } from '../errors.js';
import type { EventBus } from './event-bus.js';
import type { PeriodicScheduler, TaskClock } from './scheduler.js';
import type { WorldTopics } from './world-periodic.js';

/** One declared task. Seconds are on the task's clock (world seconds or wall seconds). */
export interface DeclaredTask {
  /** 1-64 characters of A-Z a-z 0-9 _ . : - ; unique in the world. */
  name: string;
  /** Seconds between runs (> 0). */
  intervalSeconds: number;
  /** `world` (game time, stops while paused) or `wall`. Default `world`. */
  clock: TaskClock;
  /** Share of the interval, 0..0.5: each run is delayed by a seeded [0, jitter·interval]. Default 0. */
  jitter: number;
  /** Higher runs first when several tasks are due on one step. Default 0. */
  priority: number;
  /** Slowed while the controller is degraded (every `slowFactor`-th run), paused in emergency. Default false. */
  adaptive: boolean;
  /** Degraded-mode slowdown of an adaptive task. Default 2. */
  slowFactor: number;
  /** Runs in maintenance and in emergency. Default false. */
  critical: boolean;
}

/** The schema of a {@link DeclaredTask} (name and intervalSeconds have no usable default: they must be given). */
export const DECLARED_TASK_SPEC: ObjectSpec = {
  kind: 'object',
  fields: {
    name: { kind: 'string', default: '', maxLength: 64, pattern: /^[A-Za-z0-9_.:-]{1,64}$/ },
    intervalSeconds: { kind: 'number', default: 0, gt: 0, max: 1e9 },
    clock: { kind: 'enum', default: 'world', values: ['world', 'wall'] },
    jitter: { kind: 'number', default: 0, min: 0, max: 0.5 },
    priority: { kind: 'number', default: 0, integer: true, min: -1000, max: 999 },
    adaptive: { kind: 'boolean', default: false },
    slowFactor: { kind: 'number', default: 2, integer: true, min: 1, max: 1000 },
    critical: { kind: 'boolean', default: false },
  },
};

/** Most tasks declared per world (bounds the table an API client can grow). */
export const MAX_DECLARED_TASKS = 64;

/** Validate one declaration; problems are named `${root}.field`. Returns the task or the problems. */
export const checkDeclaredTask = (raw: unknown, root: string): { ok: true; value: DeclaredTask } | { ok: false; problems: string[] } => {
  const absent = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? REQUIRED.filter((k) => !Object.hasOwn(raw, k)) : [];
  const r = resolveOptions<DeclaredTask>(DECLARED_TASK_SPEC, defaultsOf(DECLARED_TASK_SPEC) as DeclaredTask, raw, root);
  if (absent.length === 0) return r;
  // An absent required field is reported as such, not as its placeholder default being invalid.
  const rest = r.ok ? [] : r.problems.filter((p) => !absent.some((k) => p.startsWith(`${root}.${k} `)));
  return { ok: false, problems: [...absent.map((k) => `${root}.${k} is required`), ...rest] };
};

const REQUIRED = ['name', 'intervalSeconds'] as const;

/** Validate a list (config file `periodic`); every problem of every entry, by index. */
export const checkDeclaredTasks = (raw: unknown, root = 'periodic'): string[] => {
  if (!Array.isArray(raw)) return [`${root} must be an array of task declarations`];
  if (raw.length > MAX_DECLARED_TASKS) return [`${root} may declare at most ${MAX_DECLARED_TASKS} tasks`];
  const problems: string[] = [];
  const names = new Set<string>();
  raw.forEach((t, i) => {
    const r = checkDeclaredTask(t, `${root}[${i}]`);
    if (!r.ok) problems.push(...r.problems);
    else if (names.has(r.value.name)) problems.push(`${root}[${i}].name ${r.value.name} is declared twice`);
    else names.add(r.value.name);
  });
  return problems;
};

/** What declaring needs from a world. */
export interface DeclaringWorld {
  periodic: PeriodicScheduler;
  bus: EventBus<WorldTopics>;
}

/**
 * Validate and add a declared task to a world's scheduler. Throws `WT_ERR_CONFIG_INVALID` listing
 * every problem, `WT_ERR_TASK_EXISTS` for a taken name. Returns the task as stored.
 */
export const declareTask = (world: DeclaringWorld, raw: unknown, root = 'task'): DeclaredTask => {
  const r = checkDeclaredTask(raw, root);
  if (!r.ok) throw configInvalid(r.problems);
  const d = r.value;
  const declared = world.periodic.status().filter((t) => t.declared).length;
  if (declared >= MAX_DECLARED_TASKS) throw configInvalid([`at most ${MAX_DECLARED_TASKS} tasks may be declared per world`]);
  let seq = 0;
  const bus = world.bus;
  world.periodic.add(d.name, {
    intervalSeconds: d.intervalSeconds,
    clock: d.clock,
    jitter: d.jitter,
    priority: d.priority,
    adaptive: d.adaptive,
    slowFactor: d.slowFactor,
    critical: d.critical,
    declared: true,
    run: (run) => {
      bus.publish('signal', {
        task: d.name,
        clock: d.clock,
        target: run.target,
        now: run.now,
        missed: run.missed,
        injected: run.injected,
        seq: ++seq,
      });
    },
  });
  return d;
};
