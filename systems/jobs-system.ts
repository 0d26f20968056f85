import type { System } from '../src/core/phases.js';
import type { World } from 'bitecs';
import type { WorldCore } from '../src/core/world-core.js';
import type { JobsSlot } from '../src/jobs/job-queue.js';

/**
 * Jobs phase: apply jobs finished since the last step (in job-id order, to components), then
 * start at most `ctx.budgets.jobOps` pending jobs within the concurrency caps of the world's
 * `jobs` config (per world, per user; src/jobs/job-queue.ts). The jobs themselves run outside the step.
 */
export const jobsSystem: System<World<WorldCore & JobsSlot>> = (world, ctx) => {
  const caps = world.config.jobs; // live config: the caps may change at run time
  world.jobs.setConcurrency(caps.perWorldConcurrency, caps.perUserConcurrency);
  world.jobs.applyCompleted(world);
  world.jobs.startDue(ctx.budgets.jobOps);
};
