import { f64 } from './alloc.js';

/**
 * Compact world-time fields: a per-NPC world time (a deadline such as `nextDecisionAt`, or a stamp
 * such as `lastInteractionAt`) is a Uint32 count of {@link TIME_QUANTUM} from the world's time
 * base `WorldTime.base[0]` (world seconds, float64), instead of a Float64 world time: 4 B instead
 * of 8 B per field, with the same precision at any world age.
 *
 * ```
 *  tick 0            2^30 (= 1 epoch)      2^31              2^32-1
 *  |-- stamps ≥ 1 epoch old --|-- now is here --|-- future deadlines --|
 *  base                  base+E           base+2E            base+4E
 * ```
 * The time system keeps `base + E <= now < base + 2E` (E = {@link TIME_EPOCH_SECONDS}, 2^22 s ≈
 * 48.5 world days): when `now` reaches `base + 2E`, the base moves forward by whole epochs and every
 * time field is shifted down in one O(N) pass ({@link rebaseWorldTime}; once per ~48 world days).
 * So a deadline up to 2E ≈ 97 world days ahead is exact to the quantum, and a stamp keeps at least
 * one epoch of history; an older stamp reads as `base` ("at least an epoch ago").
 *
 * Rounding (never a timer firing early): a deadline is rounded UP to the next quantum
 * ({@link deadlineTick}), so it fires at the first step whose world time is at or after it, at
 * most one quantum (1/256 s) later than the float64 time would; a stamp is rounded DOWN
 * ({@link stampTick}). {@link TICK_INFINITE} is a deadline that never comes.
 * Comparisons are done on ticks: `nowTick(time, now) >= deadline` ⇔ `now >= tickTime(deadline)`.
 */

/** World seconds per tick of a time field: 2^-8 s (exact in binary, so tick arithmetic is exact). */
export const TIME_QUANTUM = 1 / 256;
/** Ticks per world second. */
export const TICKS_PER_SECOND = 256;
/** One epoch of the time base, world seconds: 2^22 s (≈ 48.5 world days); 2^30 ticks. */
export const TIME_EPOCH_SECONDS = 2 ** 22;
/** Ticks in one epoch. */
export const TICKS_PER_EPOCH = 2 ** 30;
/** Longest duration (world seconds) a deadline may lie ahead of now: 2 epochs ≈ 97 world days. */
export const MAX_TIMER_SECONDS = 2 * TIME_EPOCH_SECONDS;
/** A deadline that never comes (also what an infinite time encodes to). */
export const TICK_INFINITE = 0xffffffff;
/** The lowest tick: a stamp this old reads as the time base ("at least an epoch ago"). */
export const TICK_PAST = 0;

/**
 * The world's time base (one float64 in a SharedArrayBuffer, part of `world.stores`, so the state
 * hash and checkpoints carry it like any field). Starts one epoch before world time 0.
 */
export const createWorldTime = () => ({ base: f64(1, -TIME_EPOCH_SECONDS) });
export type WorldTime = ReturnType<typeof createWorldTime>;

/** Tick of deadline `t` (world seconds), rounded up; clamped to the range; Infinity → {@link TICK_INFINITE}. */
export const deadlineTick = (time: WorldTime, t: number): number => {
  if (t === Infinity) return TICK_INFINITE;
  const v = Math.ceil((t - time.base[0]) * TICKS_PER_SECOND);
  return v <= 0 ? 0 : v >= TICK_INFINITE ? TICK_INFINITE - 1 : v;
};

/** Tick of stamp `t` (world seconds), rounded down; clamped to the range. */
export const stampTick = (time: WorldTime, t: number): number => {
  const v = Math.floor((t - time.base[0]) * TICKS_PER_SECOND);
  return v <= 0 ? 0 : v >= TICK_INFINITE ? TICK_INFINITE - 1 : v;
};

/** The current world time `now` as a tick (rounded down): `nowTick >= d` ⇔ `now >= tickTime(d)`. */
export const nowTick = (time: WorldTime, now: number): number => stampTick(time, now);

/** World seconds of tick `v` ({@link TICK_INFINITE} → Infinity). */
export const tickTime = (time: WorldTime, v: number): number => (v === TICK_INFINITE ? Infinity : time.base[0] + v * TIME_QUANTUM);

/** Ticks a field holds for "duration `seconds` from now" (rounded up, like a deadline). */
export const durationTicks = (seconds: number): number => Math.ceil(seconds * TICKS_PER_SECOND);

/**
 * Keep `base + E <= now < base + 2E`: when `now` has reached `base + 2E`, move the base forward by
 * whole epochs and shift every field in `fields` down by as many ticks (saturating at
 * {@link TICK_PAST}; {@link TICK_INFINITE} stays). O(rows × fields), once per epoch of world time.
 * Returns the number of epochs moved (0 almost always).
 */
export const rebaseWorldTime = (time: WorldTime, now: number, fields: readonly Uint32Array[], rows: number): number => {
  const base = time.base[0];
  if (now < base + 2 * TIME_EPOCH_SECONDS) return 0;
  const epochs = Math.floor((now - base) / TIME_EPOCH_SECONDS) - 1;
  const shift = epochs * TICKS_PER_EPOCH;
  for (const arr of fields) {
    const n = Math.min(rows, arr.length);
    for (let e = 1; e < n; e++) {
      const v = arr[e];
      if (v !== TICK_INFINITE) arr[e] = v > shift ? v - shift : TICK_PAST;
    }
  }
  time.base[0] = base + epochs * TIME_EPOCH_SECONDS;
  return epochs;
};
