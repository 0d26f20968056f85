/**
 * Spectators in a world with physics: a player entity with the `Spectator` tag
 * (components/player.ts) is a camera, not a body. It leaves the step's body list (`kind` none:
 * not in the collision grid, so it pushes and perceives nothing and nothing collides with it or
 * perceives it) and moves here instead: `Position += Velocity × dt`, through obstacles, stopped
 * at the world's edge as a player is (velocity into the edge zeroed). Spectators are few: one
 * query over the tag per step.
 */
import { query, type World } from 'bitecs';
import type { WorldCore } from '../core/world-core.js';
import { BodyKind } from './physics-types.js';

/**
 * Take this step's spectators out of the body list (`kind`, set by the listing before) and move
 * them by their velocity over `dt` simulation seconds. Returns how many there were.
 */
export const moveSpectators = (world: World<WorldCore>, kind: Uint8Array, dt: number): number => {
  const { Position, Velocity, Player, Spectator } = world.stores;
  const sp = query(world, [Position, Velocity, Player, Spectator]);
  const px = Position.x,
    py = Position.y,
    vx = Velocity.x,
    vy = Velocity.y;
  const { minX, minY, maxX, maxY } = world.bounds;
  for (let i = 0; i < sp.length; i++) {
    const e = sp[i];
    kind[e] = BodyKind.none;
    let x = px[e] + vx[e] * dt,
      y = py[e] + vy[e] * dt;
    if (!(x >= minX)) {
      x = minX;
      if (vx[e] < 0 || Number.isNaN(vx[e])) vx[e] = 0;
    } else if (x > maxX) {
      x = maxX;
      if (vx[e] > 0) vx[e] = 0;
    }
    if (!(y >= minY)) {
      y = minY;
      if (vy[e] < 0 || Number.isNaN(vy[e])) vy[e] = 0;
    } else if (y > maxY) {
      y = maxY;
      if (vy[e] > 0) vy[e] = 0;
    }
    px[e] = x;
    py[e] = y;
  }
  return sp.length;
};
