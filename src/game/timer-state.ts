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

/**
 * A pending one-shot as the world holds it: its payload kept as the JSON text it was validated
 * as (parsed into a fresh copy when it fires or is listed). The text is what a checkpoint copies
 * (no serialization on the loop) and `bytes` (its UTF-8 length) what the world's byte budget counts.
 */
export interface TimerEntry {
  readonly id: number;
  readonly name: string;
  readonly due: number;
  readonly json: string;
  readonly bytes: number;
}

/** A world's timers (the game slot's `timers`). */
export interface GameTimerState {
  /** The id the next one-shot timer gets (ids start at 1 and are never reused in a world). */
  nextId: number;
  /** Pending one-shot timers in reverse firing order (the next to fire is last: firing pops). */
  pending: TimerEntry[];
  /** UTF-8 bytes of the pending timers' payload JSON (bounded by `MAX_PENDING_TIMER_BYTES`, src/game/timers.ts). */
  pendingBytes: number;
  /** Names of the game's one-shot timer handlers (what `setWorldTimer` may name). */
  readonly oneShot: ReadonlySet<string>;
  /** Names of the game's repeating timers, in declaration order. */
  readonly names: readonly string[];
  /** Their periods, world seconds. */
  readonly every: readonly number[];
  /** Their next due index k (next due time = every × k). */
  readonly next: number[];
  /**
   * Timer runs (one-shot and repeating), repeating due times skipped by catch-up, pending timers
   * dropped at restore (name no longer declared), `setWorldTimer` calls refused by a limit
   * (`WT_ERR_TIMER_LIMIT`: too many pending, or their payloads too large).
   */
  readonly counters: { fired: number; skipped: number; dropped: number; refused: number };
}

/**
 * Timers as a checkpoint header stores them (`gameTimers`). Schema 3 carried the pending one-shots
 * here (`[id, name, due, payload]` in firing order); since schema 4 `pending` is empty and they are
 * body sections (src/persist/timer-sections.ts), so the header stays small whatever is pending.
 */
export interface SavedTimers {
  nextId: number;
  /** Schema 3: `[id, name, due, payload]` in firing order. Schema 4: empty (see `count`). */
  pending: [number, string, number, unknown][];
  /** Repeating timer name → next due index. */
  repeating: Record<string, number>;
  /** Schema 4: pending one-shots in the `timers.*` sections. */
  count?: number;
  /** Schema 4: the one-shot names the `timers.name` section indexes. */
  names?: string[];
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
  pendingBytes: 0,
  oneShot,
  names,
  every,
  next: every.map((e) => nextIndexAfter(now, e)),
  counters: { fired: 0, skipped: 0, dropped: 0, refused: 0 },
});

/** Whether `a` fires before `b` (due time, then id). */
export const firesBefore = (a: TimerEntry, b: TimerEntry): boolean => a.due < b.due || (a.due === b.due && a.id < b.id);

/** Insert a timer at its place (reverse order of due, then id): binary search, one splice. */
export const insertPending = (state: GameTimerState, t: TimerEntry): void => {
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
  state.pendingBytes += t.bytes;
};

/** Remove the pending timer at index `i` of `state.pending` (its bytes leave the budget). */
export const removePendingAt = (state: GameTimerState, i: number): TimerEntry => {
  const p = state.pending;
  const t = i === p.length - 1 ? p.pop() : p.splice(i, 1)[0];
  if (!t) throw new RangeError(`no pending timer at ${i}`);
  state.pendingBytes -= t.bytes;
  return t;
};

/** A pending entry for payload JSON text `json` (its UTF-8 length counted). */
export const timerEntry = (id: number, name: string, due: number, json: string): TimerEntry => ({
  id,
  name,
  due,
  json,
  bytes: Buffer.byteLength(json),
});

/**
 * The header part of the state for a checkpoint (undefined when there is nothing to keep): next id
 * and repeating timers; the pending one-shots go to sections (src/persist/timer-sections.ts) —
 * `count` of them, their names indexing `names`.
 */
export const saveTimers = (state: GameTimerState, names: string[]): SavedTimers | undefined => {
  if (state.nextId === 1 && state.names.length === 0) return undefined;
  const repeating: Record<string, number> = {};
  for (let i = 0; i < state.names.length; i++) repeating[state.names[i]] = state.next[i];
  return { nextId: state.nextId, pending: [], repeating, count: state.pending.length, names };
};

const isSaved = (v: unknown): v is SavedTimers =>
  typeof v === 'object' &&
  v !== null &&
  Number.isSafeInteger(Reflect.get(v, 'nextId')) &&
  Array.isArray(Reflect.get(v, 'pending')) &&
  typeof Reflect.get(v, 'repeating') === 'object';

/**
 * Load saved timers into a restored world's state (its clock already restored to `now`). Pending
 * timers (`entries`, from the checkpoint's sections; or, schema 3, the header's `pending` rows)
 * come back as they were (one whose name the game no longer declares as a one-shot handler is
 * dropped, counted); a repeating timer absent from the checkpoint (older checkpoint, timer added
 * since) starts at its first due time after `now`, and so does one whose saved index lies more than
 * one period ahead of `now` (saved under a shorter `every`). Returns false when `saved` is not timer data
 * (then only the repeating timers are re-anchored at `now`).
 */
export const loadTimers = (state: GameTimerState, saved: unknown, now: number, entries: readonly TimerEntry[] = []): boolean => {
  const ok = isSaved(saved);
  if (ok) {
    state.nextId = saved.nextId;
    const list: TimerEntry[] = [];
    let bytes = 0;
    const keep = (t: TimerEntry): void => {
      if (!state.oneShot.has(t.name)) state.counters.dropped++;
      else {
        list.push(t);
        bytes += t.bytes;
      }
    };
    for (const row of saved.pending) {
      if (!Array.isArray(row)) continue;
      const [id, name, due, payload] = row;
      if (!Number.isSafeInteger(id) || typeof name !== 'string' || typeof due !== 'number' || !Number.isFinite(due)) continue;
      keep(timerEntry(id, name, due, JSON.stringify(payload ?? null)));
    }
    for (const t of entries) keep(t);
    // Reverse firing order (one sort, not an insertion per timer).
    list.sort((a, b) => (firesBefore(a, b) ? 1 : firesBefore(b, a) ? -1 : 0));
    state.pending = list;
    state.pendingBytes = bytes;
  }
  for (let i = 0; i < state.names.length; i++) {
    const k = ok ? saved.repeating[state.names[i]] : undefined;
    // A saved index is at most one period ahead of the checkpoint's clock (the timer ran every due time
    // up to it): one further ahead was saved under another `every` (a new version of the game), and is
    // re-anchored on the new period's grid rather than kept as `every × k` of a period it never had.
    const ok1 = typeof k === 'number' && Number.isSafeInteger(k) && k >= 1 && (k - 1) * state.every[i] <= now + TIMER_EPSILON;
    state.next[i] = ok1 ? (k as number) : nextIndexAfter(now, state.every[i]);
  }
  return ok;
};
