import { crowdRange } from '../src/scenarios/crowd-random.js';
import { isCrowdWorld } from '../src/scenarios/crowd-state.js';
import { movementSystem } from './movement-system.js';
import type { System } from './types.js';

/**
 * Crowd scenario movement (docs/SCENARIOS.md): NPC i re-rolls its velocity, uniform in
 * [-maxSpeed, maxSpeed) per axis from the crowd's counter-based generator, on steps where
 * (step + i) mod rerollEverySteps = 0; then every positioned entity (NPCs and players)
 * integrates over the step's simulation seconds and reflects at the edges (`movementSystem`).
 * A world without the crowd slot only integrates. State lives in the world's `crowd` slot.
 */
export const crowdMovementSystem: System = (world, ctx) => {
  if (isCrowdWorld(world)) {
    const { seed, npcIds, maxSpeed, rerollEverySteps } = world.crowd;
    const vx = world.stores.Velocity.x,
      vy = world.stores.Velocity.y;
    const step = ctx.step;
    // Why start at the first due index and stride: only 1/rerollEverySteps of the NPCs are due.
    const first = (rerollEverySteps - (step % rerollEverySteps)) % rerollEverySteps;
    for (let i = first; i < npcIds.length; i += rerollEverySteps) {
      const e = npcIds[i];
      vx[e] = crowdRange(seed, i, 4 + 2 * step, -maxSpeed, maxSpeed);
      vy[e] = crowdRange(seed, i, 5 + 2 * step, -maxSpeed, maxSpeed);
    }
  }
  movementSystem(world, ctx);
};
