import { query } from 'bitecs';
import type { System } from '../src/core/phases.js';
import type { CoreWorld } from '../src/core/world-core.js';
import { coarseMovement, coarseMovementOn, moveReflect } from '../src/tiers/coarse-movement.js';
import type { TiersSlot, TiersWorld } from '../src/tiers/tiers-slot.js';
import { moversOf } from '../src/tiers/tier-queries.js';

const hasTiers = (world: CoreWorld): world is CoreWorld & TiersWorld => (world as CoreWorld & Partial<TiersSlot>).npcSim !== undefined;

/**
 * Integrate Position by Velocity over the step's simulation seconds (unscaled: timeScale speeds
 * up clocks and routines, not walking speed), reflecting off the world bounds. In a world with
 * tiers and at least `npcSim.coarseMoveMinNpcs` NPCs, dormant NPCs move coarsely: a rotating
 * slice per step, each by the seconds since it last moved (src/tiers/coarse-movement.ts).
 */
export const movementSystem: System<CoreWorld> = (world, ctx) => {
  if (hasTiers(world) && coarseMovementOn(world)) {
    coarseMovement(world, ctx);
    return;
  }
  const { Position, Velocity } = world.stores;
  const px = Position.x,
    py = Position.y,
    vx = Velocity.x,
    vy = Velocity.y;
  const { minX, minY, maxX, maxY } = world.bounds;
  const dt = ctx.stepSeconds;
  const ents = hasTiers(world) ? moversOf(world) : query(world, [Position, Velocity]);
  for (let i = 0; i < ents.length; i++) {
    const e = ents[i];
    moveReflect(e, dt, px, py, vx, vy, minX, minY, maxX, maxY);
  }
};
