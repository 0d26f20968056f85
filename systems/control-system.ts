import { observeStep } from '../src/controller/controller.js';
import type { System } from '../src/core/phases.js';
import type { ControllerWorld } from '../src/controller/controller.js';

/**
 * Control phase (last): feed this step's per-phase wall costs to the frame-budget controller,
 * which sets `ctx.budgets` for the next step (src/controller/controller.ts).
 */
export const controlSystem: System<ControllerWorld> = (world) => {
  observeStep(world, world.stats.phaseMs);
};
