import type { System } from '../src/core/phases.js';
import type { RecordWorld } from '../src/replay/record-slot.js';

/**
 * First system of the step (ingest phase): the record/replay hook (src/replay). Recording: the
 * step's frame opens (budgets in force, a state hash every K steps). Replay: the state hash is
 * checked and the recorded budgets forced (the recorded facts apply in the ingest system, where
 * the live run applied them: src/replay/replayer.ts). Nothing without a hook.
 */
export const recordSystem: System<RecordWorld> = (world, ctx) => {
  const hook = world.record;
  if (hook !== null) hook.stepStart(world, ctx);
};
