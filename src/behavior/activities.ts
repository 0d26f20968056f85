/**
 * NPC activities as data: what an NPC can be doing, when it may start it, what it does to its
 * needs per world second, and how attractive it is (utility). Definitions are validated once
 * and compiled into typed-array tables the behavior system reads in its hot loop.
 *
 * Needs (energy, hunger, mood) are 0..1. Times are world seconds. Hours are hours of the world
 * day (world time mod 86,400 s); days are days of the world week (floor(now / 86,400) mod 7,
 * day 0 = the day world time 0 falls in).
 */
import { MAX_TIMER_SECONDS } from '../../components/world-time.js';
import { behaviorInvalid } from '../errors.js';

/** Seconds in a world hour / day (world time). */
export const HOUR = 3600;
export const DAY = 86_400;

/** Per-need numbers (energy, hunger, mood). Missing = 0. */
export interface NeedVector {
  energy?: number;
  hunger?: number;
  mood?: number;
}

/** One activity (plain JSON-able data). */
export interface ActivityDef {
  name: string;
  /** Change of each need per world second while doing it (clamped to 0..1 after applying). */
  effects?: NeedVector;
  /** World seconds an NPC sticks to it before deciding again. */
  minDurationSeconds: number;
  /** World seconds after it ends before the same NPC may choose it again. */
  cooldownSeconds?: number;
  /** Window of hours of the day [from, to), wraps over midnight when from > to. Default: all day. */
  hours?: [number, number];
  /** Days of the week (0..6) it may start on. Default: every day. */
  days?: number[];
  /** Needs must lie in [min, max] to start it. */
  minNeeds?: NeedVector;
  maxNeeds?: NeedVector;
  /** Utility: base + Σ weight × need (+ a small seeded jitter). Highest eligible wins. */
  utility: { base: number } & NeedVector;
  /** Walking speed (world units per simulation second) around home; 0 = stands still. */
  speed?: number;
  /** Interaction chain (by name) it offers to a nearby player. */
  chain?: string;
}

/** Compiled activity table (parallel arrays indexed by activity code). */
export interface ActivityTable {
  count: number;
  names: readonly string[];
  effE: Float64Array;
  effH: Float64Array;
  effM: Float64Array;
  minDuration: Float64Array;
  cooldown: Float64Array;
  /** Bitmask of allowed hours (bit h = hour h may start), 24 bits. */
  hourMask: Uint32Array;
  /** Bitmask of allowed weekdays, 7 bits. */
  dayMask: Uint8Array;
  minE: Float64Array;
  maxE: Float64Array;
  minH: Float64Array;
  maxH: Float64Array;
  minM: Float64Array;
  maxM: Float64Array;
  uBase: Float64Array;
  uE: Float64Array;
  uH: Float64Array;
  uM: Float64Array;
  speed: Float64Array;
  /** Chain code it offers, -1 none (resolved against the chain table). */
  chain: Int16Array;
  /** Fastest speed of any activity (bounds the spatial index's movement margin). */
  maxSpeed: number;
}

/** The default activities (idle, wander, work, eat, sleep, socialize). */
export const DEFAULT_ACTIVITIES: readonly ActivityDef[] = [
  { name: 'idle', minDurationSeconds: 10 * 60, effects: { energy: 0.02 / HOUR, hunger: 0.04 / HOUR }, utility: { base: 0.2 } },
  {
    name: 'wander',
    minDurationSeconds: 20 * 60,
    cooldownSeconds: 30 * 60,
    speed: 1.2,
    effects: { energy: -0.05 / HOUR, hunger: 0.06 / HOUR, mood: 0.05 / HOUR },
    minNeeds: { energy: 0.3 },
    utility: { base: 0.25, mood: -0.2 },
  },
  {
    name: 'work',
    minDurationSeconds: 2 * HOUR,
    cooldownSeconds: 1 * HOUR,
    hours: [8, 18],
    days: [0, 1, 2, 3, 4],
    effects: { energy: -0.08 / HOUR, hunger: 0.08 / HOUR, mood: -0.02 / HOUR },
    minNeeds: { energy: 0.25 },
    maxNeeds: { hunger: 0.8 },
    utility: { base: 0.6, energy: 0.1 },
    chain: 'offer-trade',
  },
  {
    name: 'eat',
    minDurationSeconds: 30 * 60,
    cooldownSeconds: 2 * HOUR,
    effects: { hunger: -1.2 / HOUR, mood: 0.1 / HOUR },
    minNeeds: { hunger: 0.35 },
    utility: { base: 0.1, hunger: 1.2 },
  },
  {
    name: 'sleep',
    minDurationSeconds: 6 * HOUR,
    cooldownSeconds: 8 * HOUR,
    hours: [21, 7],
    effects: { energy: 0.14 / HOUR, hunger: 0.02 / HOUR },
    maxNeeds: { hunger: 0.9 },
    utility: { base: 0.6, energy: -0.6 },
  },
  {
    name: 'socialize',
    minDurationSeconds: 30 * 60,
    cooldownSeconds: 1 * HOUR,
    hours: [10, 23],
    effects: { energy: -0.03 / HOUR, hunger: 0.05 / HOUR, mood: 0.3 / HOUR },
    minNeeds: { energy: 0.2 },
    utility: { base: 0.2, mood: -0.6 },
    chain: 'greet',
  },
];

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

const checkNeeds = (v: unknown, path: string, problems: string[], lo = -Infinity, hi = Infinity): void => {
  if (v === undefined) return;
  if (typeof v !== 'object' || v === null) {
    problems.push(`${path} must be an object`);
    return;
  }
  for (const [k, x] of Object.entries(v)) {
    if (k !== 'energy' && k !== 'hunger' && k !== 'mood' && !(k === 'base' && path.endsWith('utility')))
      problems.push(`${path}.${k} is not a need`);
    else if (!isNum(x) || x < lo || x > hi)
      problems.push(`${path}.${k} must be a number${lo > -Infinity ? ` between ${lo} and ${hi}` : ''}`);
  }
};

/**
 * Validate activity definitions and compile them. `chainCodes` maps chain names to codes.
 * Throws `WT_ERR_BEHAVIOR_INVALID` listing every problem.
 */
export const compileActivities = (defs: readonly ActivityDef[], chainCodes: ReadonlyMap<string, number>): ActivityTable => {
  const problems: string[] = [];
  if (!Array.isArray(defs) || defs.length < 1 || defs.length > 255) problems.push('activities must be an array of 1..255 definitions');
  const list = Array.isArray(defs) ? defs : [];
  const names = new Set<string>();
  list.forEach((d, i) => {
    const p = `activities[${i}]`;
    if (typeof d !== 'object' || d === null) {
      problems.push(`${p} must be an object`);
      return;
    }
    if (typeof d.name !== 'string' || !/^[a-z0-9_-]{1,32}$/.test(d.name)) problems.push(`${p}.name must be 1-32 of a-z 0-9 _ -`);
    else if (names.has(d.name)) problems.push(`${p}.name ${d.name} is duplicated`);
    else names.add(d.name);
    if (!isNum(d.minDurationSeconds) || d.minDurationSeconds <= 0) problems.push(`${p}.minDurationSeconds must be a number > 0`);
    if (d.cooldownSeconds !== undefined && (!isNum(d.cooldownSeconds) || d.cooldownSeconds < 0))
      problems.push(`${p}.cooldownSeconds must be a number >= 0`);
    // Per-NPC deadlines are ticks from the world's time base: they reach 2^23 s (~97 days) ahead.
    if (isNum(d.minDurationSeconds) && d.minDurationSeconds > MAX_TIMER_SECONDS)
      problems.push(`${p}.minDurationSeconds must be <= ${MAX_TIMER_SECONDS} (about 97 world days)`);
    if (isNum(d.cooldownSeconds) && d.cooldownSeconds > MAX_TIMER_SECONDS)
      problems.push(`${p}.cooldownSeconds must be <= ${MAX_TIMER_SECONDS} (about 97 world days)`);
    if (d.speed !== undefined && (!isNum(d.speed) || d.speed < 0 || d.speed > 1000))
      problems.push(`${p}.speed must be a number between 0 and 1000`);
    if (
      d.hours !== undefined &&
      (!Array.isArray(d.hours) ||
        d.hours.length !== 2 ||
        !(d.hours as unknown[]).every((h) => Number.isInteger(h) && (h as number) >= 0 && (h as number) <= 24))
    )
      problems.push(`${p}.hours must be [from, to] with integer hours 0..24`);
    if (
      d.days !== undefined &&
      (!Array.isArray(d.days) || !(d.days as unknown[]).every((x) => Number.isInteger(x) && (x as number) >= 0 && (x as number) <= 6))
    )
      problems.push(`${p}.days must be an array of integers 0..6`);
    checkNeeds(d.effects, `${p}.effects`, problems);
    checkNeeds(d.minNeeds, `${p}.minNeeds`, problems, 0, 1);
    checkNeeds(d.maxNeeds, `${p}.maxNeeds`, problems, 0, 1);
    if (typeof d.utility !== 'object' || d.utility === null || !isNum(d.utility.base)) problems.push(`${p}.utility.base must be a number`);
    else checkNeeds(d.utility, `${p}.utility`, problems);
    if (d.chain !== undefined && !chainCodes.has(d.chain)) problems.push(`${p}.chain ${String(d.chain)} is not a known chain`);
  });
  if (problems.length) throw behaviorInvalid(problems);
  const n = list.length;
  const f = () => new Float64Array(n);
  const t: ActivityTable = {
    count: n,
    names: list.map((d) => d.name),
    effE: f(),
    effH: f(),
    effM: f(),
    minDuration: f(),
    cooldown: f(),
    hourMask: new Uint32Array(n),
    dayMask: new Uint8Array(n),
    minE: f(),
    maxE: f(),
    minH: f(),
    maxH: f(),
    minM: f(),
    maxM: f(),
    uBase: f(),
    uE: f(),
    uH: f(),
    uM: f(),
    speed: f(),
    chain: new Int16Array(n),
    maxSpeed: 0,
  };
  list.forEach((d, i) => {
    t.effE[i] = d.effects?.energy ?? 0;
    t.effH[i] = d.effects?.hunger ?? 0;
    t.effM[i] = d.effects?.mood ?? 0;
    t.minDuration[i] = d.minDurationSeconds;
    t.cooldown[i] = d.cooldownSeconds ?? 0;
    let hm = 0;
    const [from, to] = d.hours ?? [0, 24];
    for (let h = 0; h < 24; h++) if (from <= to ? h >= from && h < to : h >= from || h < to) hm |= 1 << h;
    t.hourMask[i] = hm >>> 0;
    let dm = 0;
    for (const x of d.days ?? [0, 1, 2, 3, 4, 5, 6]) dm |= 1 << x;
    t.dayMask[i] = dm;
    t.minE[i] = d.minNeeds?.energy ?? 0;
    t.minH[i] = d.minNeeds?.hunger ?? 0;
    t.minM[i] = d.minNeeds?.mood ?? 0;
    t.maxE[i] = d.maxNeeds?.energy ?? 1;
    t.maxH[i] = d.maxNeeds?.hunger ?? 1;
    t.maxM[i] = d.maxNeeds?.mood ?? 1;
    t.uBase[i] = d.utility.base;
    t.uE[i] = d.utility.energy ?? 0;
    t.uH[i] = d.utility.hunger ?? 0;
    t.uM[i] = d.utility.mood ?? 0;
    t.speed[i] = d.speed ?? 0;
    t.chain[i] = d.chain === undefined ? -1 : chainCodes.get(d.chain)!;
    if (t.speed[i] > t.maxSpeed) t.maxSpeed = t.speed[i];
  });
  return t;
};

/** Hour of the world day (0..23) at world time `now` (seconds). */
export const hourOfDay = (now: number): number => Math.floor((((now % DAY) + DAY) % DAY) / HOUR);
/** Day of the world week (0..6) at world time `now` (seconds). */
export const dayOfWeek = (now: number): number => ((Math.floor(now / DAY) % 7) + 7) % 7;

/**
 * May activity `a` start now for an NPC with these needs (time window, day, thresholds)?
 * Cooldowns are checked by the caller.
 */
export const activityEligible = (t: ActivityTable, a: number, hour: number, day: number, e: number, h: number, m: number): boolean =>
  ((t.hourMask[a] >>> hour) & 1) === 1 &&
  ((t.dayMask[a] >>> day) & 1) === 1 &&
  e >= t.minE[a] &&
  e <= t.maxE[a] &&
  h >= t.minH[a] &&
  h <= t.maxH[a] &&
  m >= t.minM[a] &&
  m <= t.maxM[a];

/** Utility of activity `a` for these needs (without jitter). */
export const activityUtility = (t: ActivityTable, a: number, e: number, h: number, m: number): number =>
  t.uBase[a] + t.uE[a] * e + t.uH[a] * h + t.uM[a] * m;
