/**
 * A world's game timers as data (below the assembly: the game slot holds it, checkpoints carry it):
 * the pending one-shot timers sorted by (due, id), the next id, and each repeating timer's next due
 * index. Handlers are not here — they are looked up by name in the game definition
 * (src/game/timers.ts) — so the state is plain JSON and survives a checkpoint/restore.
 *
 *   pending: [ ..., {due 5.5, id 4}, {due 2.0, id 7}, {due 2.0, id 3} ]   ← fired from the end (pop)
 *   repeating i: due times every[i] × k for k = 1, 2, ...; next[i] is the next k not yet run
 */

/** Slack, in world seconds, absorbing float rounding when world time is compared with a due time. */
export const TIMER_EPSILON = 1e-6;

/** One pending one-shot timer. `due` in world seconds; `payload` plain JSON data (already validated and copied). */
export interface PendingTimer {
  readonly id: number;
  readonly name: string;
  readonly due: number;
  readonly payload: unknown;
}

/** A world's timers (the game slot's `timers`). */
export interface GameTimerState {
  /** The id the next one-shot timer gets (ids start at 1 and are never reused in a world). */
  nextId: number;
  /** Pending one-shot timers in reverse firing order (the next to fire is last: firing pops). */
  pending: PendingTimer[];
  /** Names of the game's one-shot timer handlers (what `setWorldTimer` may name). */
  readonly oneShot: ReadonlySet<string>;
  /** Names of the game's repeating timers, in declaration order. */
  readonly names: readonly string[];
  /** Their periods, world seconds. */
  readonly every: readonly number[];
  /** Their next due index k (next due time = every × k). */
  readonly next: number[];
  /** Timer runs (one-shot and repeating), repeating due times skipped by catch-up, pending timers dropped at restore (name no longer declared). */
  readonly counters: { fired: number; skipped: number; dropped: number };
}

/** Timers as a checkpoint stores them (the world snapshot header's `gameTimers`). */
export interface SavedTimers {
  nextId: number;
  /** `[id, name, due, payload]` in firing order. */
  pending: [number, string, number, unknown][];
  /** Repeating timer name → next due index. */
  repeating: Record<string, number>;
}

/** The first due index of a period `every` strictly after world time `now`. */
export const nextIndexAfter = (now: number, every: number): number => Math.floor((now + TIMER_EPSILON) / every) + 1;

/** Fresh timer state: one-shot handler names, repeating timers `names`/`every`, the world's time being `now`. */
export const createTimerState = (
  oneShot: ReadonlySet<string>,
  names: readonly string[],
  every: readonly number[],
  now: number,
): GameTimerState => ({
  nextId: 1,
  pending: [],
  oneShot,
  names,
  every,
  next: every.map((e) => nextIndexAfter(now, e)),
  counters: { fired: 0, skipped: 0, dropped: 0 },
});

/** Whether `a` fires before `b` (due time, then id). */
export const firesBefore = (a: PendingTimer, b: PendingTimer): boolean => a.due < b.due || (a.due === b.due && a.id < b.id);

/** Insert a timer at its place (reverse order of due, then id): binary search, one splice. */
export const insertPending = (state: GameTimerState, t: PendingTimer): void => {
  const p = state.pending;
  let lo = 0;
  let hi = p.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const m = p[mid];
    if (firesBefore(t, m)) lo = mid + 1;
    else hi = mid;
  }
  p.splice(lo, 0, t);
};

/** Copy the state as plain JSON data for a checkpoint (undefined when there is nothing to keep). */
export const saveTimers = (state: GameTimerState): SavedTimers | undefined => {
  if (state.nextId === 1 && state.names.length === 0) return undefined;
  const repeating: Record<string, number> = {};
  for (let i = 0; i < state.names.length; i++) repeating[state.names[i]] = state.next[i];
  return {
    nextId: state.nextId,
    pending: state.pending.map((t): [number, string, number, unknown] => [t.id, t.name, t.due, t.payload]).reverse(),
    repeating,
  };
};

const isSaved = (v: unknown): v is SavedTimers =>
  typeof v === 'object' &&
  v !== null &&
  Number.isSafeInteger(Reflect.get(v, 'nextId')) &&
  Array.isArray(Reflect.get(v, 'pending')) &&
  typeof Reflect.get(v, 'repeating') === 'object';

/**
 * Load saved timers into a restored world's state (its clock already restored to `now`). Pending
 * timers come back as they were (one whose name the game no longer declares as a one-shot handler
 * is dropped, counted); a repeating timer absent from the checkpoint (older checkpoint,
 * timer added since) starts at its first due time after `now`. Returns false when `saved` is not
 * timer data (then only the repeating timers are re-anchored at `now`).
 */
export const loadTimers = (state: GameTimerState, saved: unknown, now: number): boolean => {
  const ok = isSaved(saved);
  if (ok) {
    state.nextId = saved.nextId;
    state.pending = [];
    for (const row of saved.pending) {
      if (!Array.isArray(row)) continue;
      const [id, name, due, payload] = row;
      if (!Number.isSafeInteger(id) || typeof name !== 'string' || typeof due !== 'number' || !Number.isFinite(due)) continue;
      if (state.oneShot.has(name)) insertPending(state, { id, name, due, payload });
      else state.counters.dropped++;
    }
  }
  for (let i = 0; i < state.names.length; i++) {
    const k = ok ? saved.repeating[state.names[i]] : undefined;
    state.next[i] = typeof k === 'number' && Number.isSafeInteger(k) && k >= 1 ? k : nextIndexAfter(now, state.every[i]);
  }
  return ok;
};
