/**
 * Where the admin reads the state other modules own (tiers, controller, ingest, jobs, periodic
 * tasks, game sessions). Every reader is defensive: a module that is absent, or a field of an
 * unexpected shape, yields `null` rather than an exception, so stats and metrics keep working
 * whatever subset of the runtime is composed.
 *
 * The runtime passes {@link StatsSources} (functions the owning modules export); slots every
 * assembled world carries (`world.tierStats`, `world.ingest`, `world.jobs`...) are read straight
 * from the world, typed.
 */
import { TIER_COUNT } from '../../components/tier.js';
import type { SimWorld } from '../world/sim-world.js';

/** A loosely typed bag of numbers/strings another module reports (passed through to JSON). */
export type Report = Record<string, unknown>;

/** Session statistics of the game server (network module). */
export interface SessionReport extends Report {
  /** Open sessions, all worlds. */
  sessions?: number;
  /** Open sessions per world id. */
  sessionsPerWorld?: Record<string, number>;
  /** Bytes sent to clients since start. */
  bytesSent?: number;
}

/** Functions of other modules the admin calls; each may be absent. */
export interface StatsSources {
  /** Controller status of a world: `{ mode, ... }` (adaptive module). */
  controller?: (world: SimWorld) => unknown;
  /** Job queue statistics of a world: started/completed/failed/pending (adaptive module). */
  jobs?: (world: SimWorld) => unknown;
  /** Periodic task schedule of a world: a list of tasks with next due time (adaptive module). */
  periodic?: (world: SimWorld) => unknown;
  /** Game-server session statistics (network module). */
  sessions?: () => unknown;
  /** Checkpoint figures of a world (src/persist/checkpointer.ts `CheckpointReport`), null if not persisted. */
  checkpoint?: (world: SimWorld) => unknown;
  /** The runtime's durable store's figures (`Store.stats()`: src/store/types.ts `StoreStats`), null before it is open. */
  store?: () => unknown;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Call `fn` and return its value, or null if it is absent or throws (stats must never fail). */
export const safeCall = <T>(fn: (() => T) | undefined): T | null => {
  if (!fn) return null;
  try {
    return fn() ?? null;
  } catch {
    return null;
  }
};

/**
 * `sources` with the game server's session report taken now, once, for a whole answer (a world
 * list, a `/metrics` scrape): the report is built over every served world
 * (src/net/game-server-stats.ts), so a reader per world or per metric that took its own made an
 * answer over N worlds cost N reports or more (bench/worlds-list.ts).
 */
export const sessionsTakenOnce = (sources: StatsSources): StatsSources => {
  const report = safeCall(sources.sessions);
  return { ...sources, sessions: () => report };
};

/** Tier statistics as the tiering module publishes them on `world.tierStats`. */
export interface TierStatsView {
  npcsPerTier: ArrayLike<number>;
  /** NPC ticks per tier in the last step. */
  ticksPerTier: ArrayLike<number>;
  /** NPC ticks per tier since the world was created. */
  ticksTotalPerTier: ArrayLike<number> | null;
  extra: Report;
}

const isNumberArrayView = (v: unknown): v is ArrayLike<number> & ArrayBufferView =>
  ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array);

const isCounts = (v: unknown): v is ArrayLike<number> =>
  (ArrayBuffer.isView(v) || Array.isArray(v)) && (v as ArrayLike<number>).length >= TIER_COUNT;

/** `world.tierStats.ticksPerTier` (last step), or null; allocation-free (per-step hook). */
export const tierTicksOf = (world: SimWorld): ArrayLike<number> | null => {
  const per = world.tierStats.ticksPerTier;
  return isCounts(per) ? per : null;
};

/** `world.tierStats` if the tiering module is present, else null. */
export const readTierStats = (world: SimWorld): TierStatsView | null => {
  const ts = world.tierStats;
  if (!isCounts(ts.npcsPerTier) || !isCounts(ts.ticksPerTier)) return null;
  const extra: Report = {};
  for (const [k, v] of Object.entries(ts) as Array<[string, unknown]>) {
    if (k === 'npcsPerTier' || k === 'ticksPerTier' || k === 'ticksTotalPerTier') continue;
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') extra[k] = v;
    else if (isNumberArrayView(v)) extra[k] = Array.from(v);
  }
  return {
    npcsPerTier: ts.npcsPerTier,
    ticksPerTier: ts.ticksPerTier,
    ticksTotalPerTier: isCounts(ts.ticksTotalPerTier) ? ts.ticksTotalPerTier : null,
    extra,
  };
};

/** Ingest buffer statistics: per type plus totals, or null without an ingest module. */
export const readIngest = (world: SimWorld): { pending: number; dropped: number; rejected: number; types: Report[] } | null => {
  const types = safeCall(() => world.ingest.stats());
  if (!Array.isArray(types)) return null;
  let pending = 0;
  let dropped = 0;
  let rejected = 0;
  const out: Report[] = [];
  for (const t of types) {
    pending += num(t.pending) ?? 0;
    dropped += num(t.dropped) ?? 0;
    rejected += num(t.rejected) ?? 0;
    out.push({ ...t });
  }
  return { pending, dropped, rejected, types: out };
};

/** Bytes sent to game clients per a session report (`bytesSent` or `bytesOut`), or null. */
export const bytesSentOf = (report: unknown): number | null => field(report, 'bytesSent') ?? field(report, 'bytesOut');

/** Per-class session counters of a session report (`byClass: { player: {...}, ... }`), as [class, counters] pairs. */
export const sessionClassesOf = (report: unknown): Array<[string, Record<string, unknown>]> => {
  if (!isObj(report) || !isObj(report.byClass)) return [];
  const out: Array<[string, Record<string, unknown>]> = [];
  for (const [name, v] of Object.entries(report.byClass)) if (isObj(v)) out.push([name, v]);
  return out;
};

/** Sessions per quality-ladder level of a session report (`ladderLevels: number[]`), or []. */
export const ladderLevelsOf = (report: unknown): number[] =>
  isObj(report) && Array.isArray(report.ladderLevels) ? report.ladderLevels.filter((v): v is number => typeof v === 'number') : [];

/** The controller mode a world carries (`world.controller.mode`), read without allocating. */
export const worldMode = (world: SimWorld): string | null => {
  const mode: unknown = world.controller.mode;
  return typeof mode === 'string' ? mode : null;
};

/** The controller's mode string from a status report, or null. */
export const modeOf = (status: unknown): string | null => (isObj(status) && typeof status.mode === 'string' ? status.mode : null);

/** A numeric field of a report (e.g. `jobs.started`), or null. */
export const field = (report: unknown, key: string): number | null => (isObj(report) ? num(report[key]) : null);

/** Sessions open in `worldId` per a session report (total when no per-world split). */
export const sessionsIn = (report: unknown, worldId: string): number | null => {
  if (!isObj(report)) return null;
  const per = report.sessionsPerWorld;
  if (isObj(per)) return num(per[worldId]) ?? 0;
  // The game server's shape: `worlds: { [id]: { sessions } }`.
  const worlds = report.worlds;
  if (isObj(worlds)) return field(worlds[worldId], 'sessions') ?? 0;
  return null;
};

/** Job statistics: the `jobs` source, else `world.jobs.stats()` (src/jobs); null if it throws. */
export const jobsOf = (world: SimWorld, sources: StatsSources): unknown =>
  sources.jobs ? safeCall(() => sources.jobs!(world)) : safeCall(() => world.jobs.stats());

/** Periodic schedule: the `periodic` source, else `world.periodic.status()` (src/periodic); null if it throws. */
export const periodicOf = (world: SimWorld, sources: StatsSources): unknown =>
  sources.periodic ? safeCall(() => sources.periodic!(world)) : safeCall(() => world.periodic.status());
