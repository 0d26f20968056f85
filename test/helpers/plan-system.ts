/**
 * A game system that runs what a test planned for the next step: `plan.next((w) => ...)`, then step
 * the (paused) world; the planned function runs once, inside that step, in the behavior phase — where
 * a real game's systems send messages, set timers or grant rewards.
 */
import type { GameWorld, SystemDef } from '../../src/index.js';

/** One plan slot and the system that runs it (put `system` in the game's `systems`). */
export const planSystem = (): { system: SystemDef; next: (fn: (w: GameWorld) => void) => void } => {
  let plan: ((w: GameWorld) => void) | null = null;
  return {
    system: {
      name: 'plan',
      phase: 'behavior',
      run: (w) => {
        const p = plan;
        plan = null;
        p?.(w);
      },
    },
    next: (fn) => {
      plan = fn;
    },
  };
};
