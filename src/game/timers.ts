/**
 * World-time timers of a game (docs/GAME-API.md "Timers"): repeating timers declared in the game
 * (`timers: [{ name, every, run }]`) and one-shot timers set at runtime by name
 * (`setWorldTimer(world, delay, name, payload)`), whose handlers the game declares the same way
 * without `every`. Timers are data (name, due time, JSON payload) in the world's game slot, so a
 * checkpoint carries them and a restored or replayed world fires them at the same world times.
 *
 * When: a timer runs inside the step whose world time (after the `time` system advanced it) first
 * reaches its due time — `now ≥ due` with {@link TIMER_EPSILON} of slack for float rounding.
 * One-shots run in the `timers` system, placed right after `time`, by (due, id); a repeating
 * timer is its own system `timer:<name>` (default right after `timers`, or at `phase`/`before`/`after`).
 * Catch-up: a repeating timer runs at most once per step; due times a long step (or a time-scale
 * change) jumped over are skipped and counted, its next due time is the first multiple of
 * `every` after now (due times stay on the grid every × k, no drift).
 */
import { checkWorld } from '../core/check-world.js';
import { PHASES, type SystemEntry } from '../core/phases.js';
import type { StepContext } from '../core/step-context.js';
import { timerBytesLimit, timerInvalid, timerLimit } from '../errors.js';
import type { SimWorld } from '../world/sim-world.js';
import { ENGINE_SYSTEMS, type GameWorld, type SystemDef } from './pipeline.js';
import { plainJsonText } from './plain-json.js';
import { shown } from '../core/shown.js';
import {
  insertPending,
  nextIndexAfter,
  removePendingAt,
  TIMER_EPSILON,
  timerEntry,
  type GameTimerState,
  type PendingTimer,
} from './timer-state.js';

export { TIMER_EPSILON } from './timer-state.js';

/** Most pending one-shot timers per world (`setWorldTimer` beyond it throws `WT_ERR_TIMER_LIMIT`). */
export const MAX_PENDING_TIMERS = 10_000;
/** Largest one-shot delay and repeating period, world seconds (30 days). */
export const MAX_TIMER_DELAY_SECONDS = 30 * 86_400;
/** Smallest repeating period, world seconds (shorter than a step: it runs once per step). */
export const MIN_TIMER_EVERY_SECONDS = 0.001;
/** Largest one-shot payload: its JSON text in UTF-8 bytes. */
export const MAX_TIMER_PAYLOAD_BYTES = 4096;
/**
 * Most UTF-8 bytes of payload JSON of all pending one-shots of a world (1 MiB): `setWorldTimer`
 * beyond it throws `WT_ERR_TIMER_LIMIT`. With {@link MAX_PENDING_TIMERS} it bounds what a world's
 * timers hold in memory and in each checkpoint (10,000 full 4 KB payloads would be 41 MB).
 */
export const MAX_PENDING_TIMER_BYTES = 1 << 20;
/** Name of the system that fires one-shot timers. */
export const TIMERS_SYSTEM = 'timers';

/** A timer being run: `id` (0 for a repeating timer), `name`, its `due` world time and its `payload` (null for a repeating timer). */
export interface FiredTimer {
  readonly id: number;
  readonly name: string;
  readonly due: number;
  readonly payload: unknown;
}

/** A timer handler: runs inside the step (never awaited); a throw faults the world like a system's. */
export type TimerHandler = (world: GameWorld, ctx: StepContext, timer: FiredTimer) => void;

/**
 * A timer of the game: repeating (`every` world seconds, at every × 1, every × 2, ... of world
 * time) or, without `every`, the handler of one-shot timers set by `setWorldTimer(world, delay, name)`.
 * Only a repeating timer takes `phase` / `before` / `after` (as a system does).
 */
export interface TimerDef {
  name: string;
  every?: number;
  run: TimerHandler;
  phase?: SystemDef['phase'];
  before?: string;
  after?: string;
}

/** The timers of a validated game. */
export interface CompiledTimers {
  /** One-shot handlers by name. */
  readonly oneShot: ReadonlyMap<string, TimerHandler>;
  /** Repeating timers, in declaration order. */
  readonly repeating: readonly { name: string; every: number }[];
  /** Whether the game declares any timer (then the pipeline has the `timers` system). */
  readonly any: boolean;
}

const NAME_RE = /^[A-Za-z0-9_.:-]{1,58}$/;

/** The `timers` system of a game: fires every due one-shot timer set before this pass, by (due, id). */
const oneShotSystem =
  (handlers: ReadonlyMap<string, TimerHandler>) =>
  (world: GameWorld, ctx: StepContext): void => {
    const t = world.game?.timers;
    if (!t || t.pending.length === 0) return;
    const now = world.clock.now + TIMER_EPSILON;
    // Timers set by a handler of this pass (even with delay 0) wait for the next step: no loop within a step.
    const limit = t.nextId;
    for (;;) {
      const p = t.pending;
      let i = p.length - 1;
      while (i >= 0 && p[i].due <= now && p[i].id >= limit) i--;
      if (i < 0 || p[i].due > now) return;
      const entry = removePendingAt(t, i);
      t.counters.fired++;
      const run = handlers.get(entry.name);
      if (!run) continue;
      // The payload is kept as its JSON text: each run gets a fresh copy.
      const timer: FiredTimer = { id: entry.id, name: entry.name, due: entry.due, payload: JSON.parse(entry.json) };
      try {
        run(world, ctx, timer);
      } catch (err) {
        throw new Error(`timer ${JSON.stringify(timer.name)} (id ${timer.id}) threw: ${err instanceof Error ? err.message : String(err)}`, {
          cause: err,
        });
      }
    }
  };

/** The system of repeating timer `index`: runs it once when its due time is reached, skipping due times jumped over. */
const repeatingSystem =
  (index: number, name: string, every: number, run: TimerHandler) =>
  (world: GameWorld, ctx: StepContext): void => {
    const t = world.game?.timers;
    if (!t) return;
    const k = t.next[index];
    const due = every * k;
    if (world.clock.now + TIMER_EPSILON < due) return;
    const next = nextIndexAfter(world.clock.now, every);
    t.counters.skipped += Math.max(0, next - k - 1);
    t.next[index] = next;
    t.counters.fired++;
    run(world, ctx, { id: 0, name, due, payload: null });
  };

/** The base pipeline with the `timers` system right after `time` (or at the end of phase `time`). */
const withTimersSystem = (base: readonly SystemEntry<SimWorld>[], run: SystemEntry<SimWorld>['run']): SystemEntry<SimWorld>[] => {
  const list = [...base];
  const entry: SystemEntry<SimWorld> = { name: TIMERS_SYSTEM, phase: 'time', run };
  let at = list.findIndex((e) => e.name === 'time') + 1;
  if (at === 0) {
    const after = PHASES.indexOf('time');
    at = list.findIndex((e) => PHASES.indexOf(e.phase) > after);
    if (at < 0) at = list.length;
  }
  list.splice(at, 0, entry);
  return list;
};

/**
 * Validate a game's timers (problems appended). Returns the compiled timers, the base pipeline
 * with the `timers` system when there are timers, and the repeating timers as system placements
 * (placed after the game's own systems, so they may refer to them).
 */
export const compileTimers = (
  defs: readonly TimerDef[],
  base: readonly SystemEntry<SimWorld>[] | undefined,
  problems: string[],
): { timers: CompiledTimers; base: readonly SystemEntry<SimWorld>[] | undefined; systems: SystemDef[] } => {
  const oneShot = new Map<string, TimerHandler>();
  const repeating: { name: string; every: number }[] = [];
  const systems: SystemDef[] = [];
  const names = new Set<string>();
  for (const d of defs) {
    const where = `timer ${JSON.stringify(d?.name)}`;
    if (typeof d?.name !== 'string' || !NAME_RE.test(d.name)) {
      problems.push(`${where}: name must be 1-58 characters of A-Z a-z 0-9 _ . : -`);
      continue;
    }
    if (names.has(d.name)) {
      problems.push(`${where} is defined twice`);
      continue;
    }
    names.add(d.name);
    if (typeof d.run !== 'function') {
      problems.push(`${where}: run must be a function`);
      continue;
    }
    if (d.every === undefined) {
      if (d.phase !== undefined || d.before !== undefined || d.after !== undefined)
        problems.push(
          `${where}: phase/before/after apply to repeating timers (every) only; one-shot timers run in the ${TIMERS_SYSTEM} system`,
        );
      else oneShot.set(d.name, d.run);
      continue;
    }
    if (
      typeof d.every !== 'number' ||
      !Number.isFinite(d.every) ||
      d.every < MIN_TIMER_EVERY_SECONDS ||
      d.every > MAX_TIMER_DELAY_SECONDS
    ) {
      problems.push(`${where}: every must be a number of world seconds between ${MIN_TIMER_EVERY_SECONDS} and ${MAX_TIMER_DELAY_SECONDS}`);
      continue;
    }
    const placed = d.phase !== undefined || d.before !== undefined || d.after !== undefined;
    systems.push({
      name: `timer:${d.name}`,
      run: repeatingSystem(repeating.length, d.name, d.every, d.run),
      ...(d.phase !== undefined ? { phase: d.phase } : {}),
      ...(d.before !== undefined ? { before: d.before } : {}),
      ...(d.after !== undefined ? { after: d.after } : {}),
      ...(placed ? {} : { after: TIMERS_SYSTEM }),
    });
    repeating.push({ name: d.name, every: d.every });
  }
  const any = defs.length > 0;
  return {
    timers: { oneShot, repeating, any },
    base: any ? withTimersSystem(base ?? ENGINE_SYSTEMS, oneShotSystem(oneShot)) : base,
    systems,
  };
};

/** The JSON text of `v` if it is plain JSON data within {@link MAX_TIMER_PAYLOAD_BYTES}, else a problem. */
const plainJson = (v: unknown): { ok: true; json: string } | { ok: false; problem: string } => plainJsonText(v, MAX_TIMER_PAYLOAD_BYTES);

/** Why `name` cannot be set: a repeating timer (run by the step itself), or no timer of the game (its one-shots listed). */
const notOneShot = (t: GameTimerState, name: unknown): string => {
  const i = typeof name === 'string' ? t.names.indexOf(name) : -1;
  if (i >= 0)
    return `${shown(name)} is a repeating timer (every ${t.every[i]} world s): the step runs it by itself; setWorldTimer takes one-shot timers (declared without every)`;
  const names = [...t.oneShot];
  const known =
    names.length === 0 ? 'the game declares none' : `one-shot timers: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', ...' : ''}`;
  return `${shown(name, 64)} is not a timer of the game (${known}; declare it in timers without every)`;
};

/**
 * Set a one-shot timer: handler `name` (a timer the game declares without `every`) runs with a
 * copy of `payload` (plain JSON data, at most {@link MAX_TIMER_PAYLOAD_BYTES}; default null) in the
 * first step whose world time reaches `world.clock.now + delaySeconds`. Call it from a system,
 * handler or hook. A timer set while timers fire runs in a later step at the earliest. Returns the
 * timer's id (per world, increasing, never reused). Throws `WT_ERR_TIMER_INVALID` (no game, unknown
 * name, delay not a finite number in 0..{@link MAX_TIMER_DELAY_SECONDS}, bad payload) or
 * `WT_ERR_TIMER_LIMIT` ({@link MAX_PENDING_TIMERS} pending, or the pending payloads would pass
 * {@link MAX_PENDING_TIMER_BYTES}; counted in `world.game.timers.counters.refused`); nothing is scheduled then.
 */
export const setWorldTimer = (world: GameWorld, delaySeconds: number, name: string, payload: unknown = null): number => {
  checkWorld(world, 'setWorldTimer');
  const t = world.game?.timers;
  if (!t) throw timerInvalid('the world has no game');
  if (typeof name !== 'string' || !t.oneShot.has(name)) throw timerInvalid(notOneShot(t, name));
  if (typeof delaySeconds !== 'number' || !Number.isFinite(delaySeconds) || delaySeconds < 0 || delaySeconds > MAX_TIMER_DELAY_SECONDS)
    throw timerInvalid(
      `delaySeconds must be a finite number of world seconds between 0 and ${MAX_TIMER_DELAY_SECONDS} (got ${shown(delaySeconds)})`,
    );
  const copy = plainJson(payload);
  if (!copy.ok) throw timerInvalid(copy.problem);
  if (t.pending.length >= MAX_PENDING_TIMERS) {
    t.counters.refused++;
    throw timerLimit(world.id, MAX_PENDING_TIMERS);
  }
  const entry = timerEntry(t.nextId, name, world.clock.now + delaySeconds, copy.json);
  if (t.pendingBytes + entry.bytes > MAX_PENDING_TIMER_BYTES) {
    t.counters.refused++;
    throw timerBytesLimit(world.id, MAX_PENDING_TIMER_BYTES, t.pendingBytes, entry.bytes);
  }
  t.nextId++;
  insertPending(t, entry);
  return entry.id;
};

/** Cancel a pending one-shot timer. Returns true if it was pending (false: unknown, fired or cleared already). */
export const clearWorldTimer = (world: GameWorld, id: number): boolean => {
  checkWorld(world, 'clearWorldTimer');
  const t = world.game?.timers;
  if (!t) return false;
  const p = t.pending;
  for (let i = 0; i < p.length; i++)
    if (p[i].id === id) {
      removePendingAt(t, i);
      return true;
    }
  return false;
};

/** The world's pending one-shot timers in firing order (deep copies; due in world seconds). Empty without a game. */
export const pendingWorldTimers = (world: GameWorld): PendingTimer[] => {
  checkWorld(world, 'pendingWorldTimers');
  const p = world.game?.timers.pending ?? [];
  const out: PendingTimer[] = [];
  for (let i = p.length - 1; i >= 0; i--) {
    const e = p[i];
    out.push({ id: e.id, name: e.name, due: e.due, payload: JSON.parse(e.json) });
  }
  return out;
};
