/**
 * Running steps: one step of a world through its pipeline, with per-phase wall cost; pause,
 * resume, step(n) and fault handling.
 */
import { checkWorld } from './check-world.js';
import { shown } from './shown.js';
import { optionInvalid, systemFailed, worldNotPaused, WorldtickError, ErrorCode } from '../errors.js';
import type { CoreWorld, PipelineWorld } from './world-core.js';
import type { SystemEntry } from './phases.js';

/**
 * Run one step of `world` through its pipeline. Each phase's wall cost goes to
 * `world.stats.phaseMs`, each system's to `world.stats.systemMs`. A throwing system is wrapped as `WT_ERR_SYSTEM_FAILED` (with cause)
 * and rethrown; the caller faults the world.
 */
export const runStep = <W extends PipelineWorld<W>>(world: W): void => {
  const ctx = world.ctx;
  const sim = world.config.simulation;
  ctx.step = world.clock.step;
  ctx.stepSeconds = sim.tickIntervalSeconds;
  ctx.dtWorld = sim.tickIntervalSeconds * sim.timeScale;
  const phaseMs = world.stats.phaseMs;
  const systemMs = world.stats.systemMs;
  phaseMs.fill(0);
  const pipeline: readonly SystemEntry<W>[] = world.pipeline;
  const phases = world.pipelinePhase;
  const t0 = performance.now();
  let prev = t0;
  for (let i = 0; i < pipeline.length; i++) {
    const entry = pipeline[i];
    try {
      entry.run(world, ctx);
    } catch (err) {
      throw systemFailed(world.id, entry.name, ctx.step, err);
    }
    const t = performance.now();
    systemMs[i] = t - prev;
    phaseMs[phases[i]] += t - prev;
    prev = t;
  }
  world.stats.totalMs = prev - t0;
  world.clock.step++;
  world.counters.steps++;
};

/** Mark a world faulted (paused, error recorded, counted). */
export const faultWorld = (world: CoreWorld, err: unknown): void => {
  const details = (err instanceof WorldtickError ? err.details : undefined) as { system?: string } | undefined;
  world.fault = {
    code: err instanceof WorldtickError ? err.code : ErrorCode.SYSTEM_FAILED,
    message: err instanceof Error ? err.message : String(err),
    system: details?.system ?? 'unknown',
    step: world.clock.step,
  };
  world.counters.faults++;
  world.clock.paused = true;
  world.config.simulation.pauseSimulation = true;
};

/**
 * Set `pauseSimulation` (part of the scheduler config): a change bumps `configVersion` as any config
 * change does, so a restore tells whether the world's record or its checkpoint saw the later pause or
 * resume (src/persist/restore.ts applyWorldRecord).
 */
const setPaused = (world: CoreWorld, paused: boolean): void => {
  world.clock.paused = paused;
  if (world.config.simulation.pauseSimulation === paused) return;
  world.config.simulation.pauseSimulation = paused;
  world.configVersion++;
};

/** Pause a world: the loop stops stepping it; world time freezes. */
export const pauseWorld = (world: CoreWorld): void => {
  checkWorld(world, 'pauseWorld');
  setPaused(world, true);
};

/** Resume a paused (or faulted) world; a fault is cleared. */
export const resumeWorld = (world: CoreWorld): void => {
  checkWorld(world, 'resumeWorld');
  world.fault = null;
  setPaused(world, false);
};

/**
 * Run exactly `n` steps of a paused world now (editor / test / debugging mode). Throws
 * `WT_ERR_WORLD_NOT_PAUSED` if the world is running; a system failure faults the world and
 * rethrows. Returns the number of steps run.
 */
export const stepWorld = <W extends PipelineWorld<W>>(world: W, n: number): number => {
  checkWorld(world, 'stepWorld');
  // A fraction or a negative count would run ceil(n) steps or none and report n back.
  if (!Number.isSafeInteger(n) || n < 0) throw optionInvalid([`stepWorld: n must be an integer >= 0 (got ${shown(n)})`]);
  if (!world.clock.paused) throw worldNotPaused(world.id);
  for (let i = 0; i < n; i++) {
    try {
      runStep(world);
    } catch (err) {
      faultWorld(world, err);
      throw err;
    }
  }
  return n;
};
