/**
 * World summaries and full stats for the admin API (`GET /api/v1/worlds`,
 * `GET /api/v1/worlds/{id}/stats`). Plain JSON; fields of modules that are not composed are
 * `null`. Units are in the field names: `Ms` wall milliseconds, `worldTime` world seconds.
 */
import { PHASES } from '../core/phases.js';
import { TIER_NAMES, TIER_COUNT } from '../../components/tier.js';
import { entityCount, type SimWorld } from '../world/sim-world.js';
import { jobsOf, periodicOf, readIngest, readTierStats, safeCall, sessionsIn, sessionsTakenOnce, type StatsSources } from './sources.js';
import { budgetMsOf, type Telemetry } from './telemetry.js';
import { physicsStatsOf } from '../physics/physics-world.js';
import { regionReportOf } from '../net/net-stats.js';
import type { AdminRequest } from './router.js';
import { strictQuery } from './world-query.js';

const r3 = (x: number): number => Math.round(x * 1000) / 1000;

const perTier = (counts: ArrayLike<number> | null | undefined): Record<string, number> | null => {
  if (!counts) return null;
  const out: Record<string, number> = {};
  for (let i = 0; i < TIER_COUNT; i++) out[TIER_NAMES[i]] = counts[i];
  return out;
};

/** The short summary of a world (list view, mutation responses). */
export const worldSummary = (world: SimWorld, sources: StatsSources = {}) => {
  const sim = world.config.simulation;
  return {
    id: world.id,
    worldTime: world.clock.now,
    step: world.clock.step,
    timeScale: sim.timeScale,
    tickIntervalSeconds: sim.tickIntervalSeconds,
    paused: world.clock.paused,
    fault: world.fault,
    entities: entityCount(world),
    capacity: world.capacity,
    bounds: world.bounds,
    lastStepMs: r3(world.stats.totalMs),
    frameBudgetMs: budgetMsOf(world),
    npcsPerTier: perTier(readTierStats(world)?.npcsPerTier),
    sessions: sessionsIn(safeCall(sources.sessions), world.id),
  };
};

/**
 * Summaries of `worlds` (the world list, a page of it), the session report taken once for all of
 * them: the game server builds it over every world (src/net/game-server-stats.ts), so a report per
 * summary made a list of N worlds build N reports — quadratic (bench/worlds-list.ts).
 */
export const worldSummaries = (worlds: readonly SimWorld[], sources: StatsSources = {}) => {
  const once = sessionsTakenOnce(sources);
  return worlds.map((w) => worldSummary(w, once));
};

/**
 * `?since=<step>` of `GET /api/v1/worlds/{id}/stats` (docs/ADMIN.md "Stats"): the last step whose
 * cost sample the caller holds, so `history` brings only newer ones (the dashboard's polls); absent:
 * undefined, the whole history. Throws 400 `WT_ERR_ADMIN_BAD_REQUEST` ({@link strictQuery}) unless it
 * is one integer from 0 to `Number.MAX_SAFE_INTEGER` in decimal digits, or for any other parameter.
 */
export const parseHistorySince = (req: Pick<AdminRequest, 'query'>): number | undefined => {
  const q = strictQuery(req, 'stats', ['since']);
  const since = q.once(
    'since',
    (v) => /^\d{1,16}$/.test(v) && Number(v) <= Number.MAX_SAFE_INTEGER,
    `a step number (an integer from 0 to ${Number.MAX_SAFE_INTEGER})`,
  );
  q.done();
  return since === null ? undefined : Number(since);
};

/**
 * Full stats of a world. `since` (a step number, {@link parseHistorySince}): `history` holds only the
 * samples after it (all of them when the world's newest sample is older: its steps went back).
 */
export const worldStats = (world: SimWorld, telemetry: Telemetry, sources: StatsSources = {}, since?: number) => {
  const t = telemetry.of(world);
  const tiers = readTierStats(world);
  const phaseMs: Record<string, number> = {};
  const phaseAvgMs: Record<string, number> = {};
  for (let i = 0; i < PHASES.length; i++) {
    phaseMs[PHASES[i]] = r3(world.stats.phaseMs[i]);
    phaseAvgMs[PHASES[i]] = t.count > 0 ? r3(t.phaseTotalMs[i] / t.count) : 0;
  }
  const systems = world.pipeline.map((e, i) => ({
    name: e.name,
    phase: e.phase,
    lastMs: r3(world.stats.systemMs[i] ?? 0),
    avgMs: t.count > 0 ? r3((t.systemTotalMs[i] ?? 0) / t.count) : 0,
  }));
  const controller = safeCall(sources.controller && (() => sources.controller!(world)));
  return {
    ...worldSummary(world, sources),
    configVersion: world.configVersion,
    /** The scheduler settings of the original design's block, in force now. */
    scheduler: {
      timeScale: world.config.simulation.timeScale,
      tickIntervalSeconds: world.config.simulation.tickIntervalSeconds,
      maxNpcTicksPerStep: world.config.simulation.maxNpcTicksPerStep,
      maxJobOpsPerStep: world.config.simulation.maxJobOpsPerStep,
      pauseSimulation: world.config.simulation.pauseSimulation,
      tiers: Object.fromEntries(
        Object.entries(world.config.simulation.tiers).map(([k, t]) => [k, { maxNpcs: t.maxNpcs, description: t.description }]),
      ),
    },
    /** Maintenance effects on this world (admin API): periodic tasks and job starts held. */
    maintenance: { periodicHeld: world.periodic.maintenance, jobsHeld: world.jobs.held },
    counters: { ...world.counters, overruns: t.overruns },
    step: world.clock.step,
    cost: {
      lastStepMs: r3(world.stats.totalMs),
      frameBudgetMs: budgetMsOf(world),
      phaseMs,
      /** Average per phase since the world started (wall ms per step). */
      phaseAvgMs,
      /** Every system of the pipeline in order: its phase, last step's and average cost (wall ms). */
      systems,
      avgStepMs: t.count > 0 ? r3((t.sumSec * 1000) / t.count) : 0,
    },
    history: telemetry.history(world, since),
    tiers: tiers
      ? {
          npcsPerTier: perTier(tiers.npcsPerTier),
          ticksLastStep: perTier(tiers.ticksPerTier),
          ticksWindow: { steps: t.tickLen, perTier: perTier(t.tickWindowSum) },
          ticksTotal: perTier(tiers.ticksTotalPerTier),
          ...tiers.extra,
        }
      : null,
    controller: controller === null ? null : { status: controller, budgets: { ...world.ctx.budgets }, modeHistory: t.modeHistory },
    budgets: { ...world.ctx.budgets },
    ingest: readIngest(world),
    jobs: jobsOf(world, sources),
    periodic: periodicOf(world, sources),
    /** Physics, shard pool and navigation counters; null for a world built without physics. */
    physics: physicsStatsOf(world.physics),
    sessions: ((report) => ({ inWorld: sessionsIn(report, world.id), server: report }))(safeCall(sources.sessions)),
    /** Region-frame figures (net option `viewMode: 'regions'`); null when the world is not served or in `exact` mode. */
    regions: regionReportOf(world.net),
    /** The game's server messages (src/net/game-outbox.ts counters); null for a world without a game. */
    gameMessages: world.game ? { ...world.game.outbox.stats } : null,
    /** Last checkpoint, record and restore of the world (docs/DURABILITY.md), null when not persisted. */
    checkpoint: safeCall(sources.checkpoint && (() => sources.checkpoint!(world))),
  };
};
