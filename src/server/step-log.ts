/**
 * Step logging: a per-step summary at `debug` (built only when debug is enabled — pino's
 * disabled levels cost nothing, but building the object would), and rate-limited warnings on
 * frame-budget overruns and controller mode changes (at most one of each kind per world per
 * `warnIntervalMs`; the lines carry how many were suppressed in between). The first
 * `warmupSteps` steps of a world object (freshly started, created or restored: cold code paths,
 * JIT, first allocations; a cold first step costs ~100 ms) raise no overrun warning: they are
 * still counted in telemetry's overruns, and the first warning after the warm-up says how many
 * of them were over budget (`warmupOverruns`).
 */
import { PHASES } from '../core/phases.js';
import { cpuVerdict } from '../controller/cpu-meter.js';
import { TIER_NAMES, TIER_COUNT } from '../../components/tier.js';
import type { Logger } from '../log.js';
import type { StepLog } from '../admin/telemetry.js';
import { field, jobsOf, readTierStats, type StatsSources } from '../admin/sources.js';
import type { SimWorld } from '../world/sim-world.js';
import type { LoopLate } from '../loop/loop-runner.js';

/** Called by telemetry after every step. `prevMode` is set when the controller mode changed. */
export type { StepLog } from '../admin/telemetry.js';

export interface StepLogOptions {
  /** Minimum wall ms between two warnings of one kind for one world. Default 10,000. */
  warnIntervalMs?: number;
  /** Wall clock in ms (injectable for tests). Default `performance.now`. */
  now?: () => number;
  /** Job statistics source, for job ops per step in the debug summary. */
  sources?: StatsSources;
  /** Steps of a fresh world that raise no overrun warning (warm-up). Default {@link WARMUP_STEPS}. */
  warmupSteps?: number;
  /**
   * CPU ms the process used since the loop's current tick began (src/loop/loop-runner.ts
   * `cpuMsSinceTick`), or null: a stall line then says whether the step ran (`cpu: "busy"`), ran part
   * of the time (`"contended"`) or the process stood still in it (`"off-cpu"`; cpu-meter.ts `cpuVerdict`).
   */
  cpuSinceTick?: () => number | null;
}

/** Default warm-up: the first 20 steps of a world (1 s at the default 20 Hz) raise no overrun warning. */
export const WARMUP_STEPS = 20;

interface WarnState {
  overrunAt: number;
  overrunSuppressed: number;
  stallAt: number;
  stallSuppressed: number;
  modeAt: number;
  modeSuppressed: number;
  jobOpsSeen: number;
  /** Steps seen of this world object. */
  steps: number;
  /** Overruns during the warm-up (not warned; reported by the first warning after it). */
  warmupOverruns: number;
  /** Ingest applies that threw: the total already logged or counted as not logged, and the last line's wall time. */
  applyErrorsSeen: number;
  applyErrorAt: number;
  /** The newest error not logged yet. */
  applyError: { type: string; error: unknown } | null;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** The most expensive phases of the last step, for an overrun warning. */
const topPhases = (world: SimWorld): Record<string, number> => {
  const out: Record<string, number> = {};
  const ms = world.stats.phaseMs;
  for (let i = 0; i < PHASES.length; i++) if (ms[i] >= 0.01) out[PHASES[i]] = round3(ms[i]);
  return out;
};

/**
 * The most expensive systems of the last step (at most 3, each at least 0.01 ms), costliest first:
 * which system of a phase overran (a game's own system, by the name it was defined with).
 */
const topSystems = (world: SimWorld): Record<string, number> => {
  const ms = world.stats.systemMs;
  const order: number[] = [];
  for (let i = 0; i < ms.length; i++) if (ms[i] >= 0.01) order.push(i);
  order.sort((a, b) => ms[b] - ms[a]);
  const out: Record<string, number> = {};
  for (let k = 0; k < order.length && k < 3; k++) out[world.pipeline[order[k]].name] = round3(ms[order[k]]);
  return out;
};

/**
 * The fact types whose apply cost the most in the last ingest phase (at most 3, each at least 1 ms):
 * a slow message handler (`msg:<name>`), player hook or fact, by type.
 */
const topIngest = (world: SimWorld): Record<string, number> => {
  const types = world.ingest.stats().filter((t) => t.applyMsLastStep >= 1);
  types.sort((a, b) => b.applyMsLastStep - a.applyMsLastStep);
  const out: Record<string, number> = {};
  for (let k = 0; k < types.length && k < 3; k++) out[types[k].type] = round3(types[k].applyMsLastStep);
  return out;
};

/** What the overrun and stall lines say of a step that took `ms` (wall) against `budgetMs`: where it went. */
const stepCost = (world: SimWorld, ms: number, budgetMs: number) => ({
  world: world.id,
  step: world.clock.step - 1,
  stepMs: round3(ms),
  budgetMs,
  phaseMs: topPhases(world),
  systemMs: topSystems(world),
  ingestMs: topIngest(world),
});

/** A step at least this long (wall ms) blocked the event loop: every world, session and admin request waited. */
export const STALL_MS = 1000;

/**
 * A fact's apply threw this step — a game's message handler, `onPlayerJoined` / `onPlayerLeft` (its
 * join or leave applied before or around it), a fact's `apply`: counted (ingest `applyErrors`), a
 * message or fact discarded. Say so, with the error,
 * at most once per `interval` per world (`errors`: throws since the last line, this one included).
 */
const logApplyError = (logger: Logger, world: SimWorld, s: WarnState, wall: number, interval: number): void => {
  const total = world.ingest.summary().applyErrors;
  s.applyError = world.ingest.takeApplyError() ?? s.applyError;
  if (wall - s.applyErrorAt < interval) return; // counted in applyErrors; the next line says how many
  const errors = total - s.applyErrorsSeen;
  const taken = s.applyError;
  s.applyErrorsSeen = total;
  s.applyErrorAt = wall;
  s.applyError = null;
  logger.warn(
    { world: world.id, step: world.clock.step - 1, type: taken?.type, err: taken?.error, errors, applyErrorsTotal: total },
    'game code threw in the ingest phase (a message handler, a player hook or a fact): a message or fact is discarded; a join or leave applies all the same',
  );
};

/** Create the step logger of a runtime. */
export const createStepLog = (logger: Logger, opts: StepLogOptions = {}): StepLog => {
  const interval = opts.warnIntervalMs ?? 10_000;
  const warmup = opts.warmupSteps ?? WARMUP_STEPS;
  const now = opts.now ?? (() => performance.now());
  const sources = opts.sources ?? {};
  const state = new WeakMap<SimWorld, WarnState>();
  const stateOf = (world: SimWorld): WarnState => {
    let s = state.get(world);
    if (!s) {
      s = {
        overrunAt: -Infinity,
        overrunSuppressed: 0,
        stallAt: -Infinity,
        stallSuppressed: 0,
        modeAt: -Infinity,
        modeSuppressed: 0,
        jobOpsSeen: 0,
        steps: 0,
        warmupOverruns: 0,
        applyErrorsSeen: 0,
        applyErrorAt: -Infinity,
        applyError: null,
      };
      state.set(world, s);
    }
    return s;
  };
  return {
    onStep(world, t, prevMode) {
      const ms = world.stats.totalMs;
      let over = ms > t.budgetMs;
      const s = stateOf(world);
      if (world.ingest.summary().applyErrors > s.applyErrorsSeen) logApplyError(logger, world, s, now(), interval);
      const warming = s.steps < warmup;
      if (warming) {
        s.steps++;
        if (over) s.warmupOverruns++;
        over = false; // warm-up: not warned
      }
      // A stall has its own line (error, its own rate limit): a mild overrun warned just before must not hide it.
      // Not hidden by the warm-up either (a cold step costs ~100 ms; a new 1,000,000-NPC world's first, 1-3 s, held every world).
      if (ms >= STALL_MS && ms > t.budgetMs) {
        const wall = now();
        if (wall - s.stallAt >= interval) {
          const cpuMs = opts.cpuSinceTick?.() ?? null;
          const cpu = cpuMs === null ? {} : { processCpuMs: round3(cpuMs), cpu: cpuVerdict(cpuMs, ms) };
          const line = { ...stepCost(world, ms, t.budgetMs), ...cpu, suppressed: s.stallSuppressed };
          // In the warm-up at warn: a cold world's first steps (an expected cost), not a fault to page on.
          if (warming) logger.warn({ ...line, warmup: true }, 'step blocked the event loop');
          else logger.error(line, 'step blocked the event loop');
          s.stallAt = wall;
          s.stallSuppressed = 0;
        } else s.stallSuppressed++;
      }
      if (over || prevMode !== undefined) {
        const wall = now();
        if (over) {
          if (wall - s.overrunAt >= interval) {
            logger.warn(
              {
                ...stepCost(world, ms, t.budgetMs),
                suppressed: s.overrunSuppressed,
                overrunsTotal: t.overruns,
                ...(s.warmupOverruns > 0 ? { warmupOverruns: s.warmupOverruns } : {}),
              },
              'step over frame budget',
            );
            s.overrunAt = wall;
            s.overrunSuppressed = 0;
            s.warmupOverruns = 0;
          } else s.overrunSuppressed++;
        }
        // The first mode seen (from null) is the starting mode, not a change.
        if (prevMode !== undefined && prevMode !== null) {
          if (wall - s.modeAt >= interval) {
            logger.warn(
              {
                world: world.id,
                step: world.clock.step,
                from: prevMode,
                to: t.mode,
                reason: world.controller.reason,
                budgets: { ...world.ctx.budgets },
                systemMs: topSystems(world),
                suppressed: s.modeSuppressed,
              },
              'controller mode changed',
            );
            s.modeAt = wall;
            s.modeSuppressed = 0;
          } else s.modeSuppressed++;
        }
      }
      if (!logger.isLevelEnabled('debug')) return;
      const tiers = readTierStats(world);
      const tierCounts: Record<string, number> = {};
      let npcTicks: number | null = null;
      if (tiers) {
        npcTicks = 0;
        for (let i = 0; i < TIER_COUNT; i++) {
          tierCounts[TIER_NAMES[i]] = tiers.npcsPerTier[i];
          npcTicks += tiers.ticksPerTier[i];
        }
      }
      let jobOps: number | null = null;
      const report = jobsOf(world, sources);
      if (report !== null) {
        const total = (field(report, 'started') ?? 0) + (field(report, 'completed') ?? 0) + (field(report, 'failed') ?? 0);
        const s = stateOf(world);
        jobOps = total - s.jobOpsSeen;
        s.jobOpsSeen = total;
      }
      logger.debug(
        {
          world: world.id,
          step: world.clock.step - 1,
          dtWorld: world.ctx.dtWorld,
          worldTime: world.clock.now,
          npcTicks,
          jobOps,
          tiers: tierCounts,
          stepMs: round3(ms),
          mode: t.mode,
        },
        'step',
      );
    },
  };
};

const round1 = (x: number): number => Math.round(x * 10) / 10;

/**
 * The loop runner's late ticks (src/loop/loop-runner.ts `onLate`) as a line, `loop timer fired late`:
 * the event loop came back to the loop `LOOP_LATE_MS` (1 s) or more after a step was due — held by
 * work outside the steps (`cpu: "busy"`, at error: an admin request, a store call, a game callback
 * outside the step), or with the process running little or not at all (at warn, it passes by itself:
 * `"contended"` or `"off-cpu"` — stopped, a paused VM, a starved host, a CPU quota, a synchronous
 * disk wait). Every world's steps were late meanwhile; those
 * beyond `maxCatchUpSteps` are dropped (`droppedSteps`). At most one line per `intervalMs`, with
 * how many were suppressed since the last.
 */
export const createLoopLateLog = (
  logger: Logger,
  intervalMs = 10_000,
  now: () => number = () => performance.now(),
): ((late: LoopLate) => void) => {
  let at = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  return (late) => {
    const t = now();
    if (t - at < intervalMs) {
      suppressed++;
      return;
    }
    const { lateMs, wallMs, processCpuMs, cpu, droppedSteps } = late;
    const line = { lateMs: round1(lateMs), wallMs: round1(wallMs), processCpuMs: round1(processCpuMs), cpu, droppedSteps, suppressed };
    // The process's own work held the loop: an error, as a stalled step. The host did not let it run: warn (it passes by itself).
    if (cpu === 'busy') logger.error(line, 'loop timer fired late');
    else logger.warn(line, 'loop timer fired late');
    at = t;
    suppressed = 0;
  };
};
