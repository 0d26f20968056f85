/**
 * The one seeded data generator of the benches: worlds with N NPCs and P players, built the
 * same way every run.
 */
import { populateNpcs } from '../src/world/populate.js';
import { nextRange } from '../src/world/prng.js';
import { createSimWorld, spawnPlayer, type SimWorld } from '../src/world/sim-world.js';
import type { SystemEntry } from '../systems/types.js';

export interface GenOptions {
  npcs: number;
  players?: number;
  seed?: number;
  /** Side of the square world; default keeps ~2,500 world units² per NPC. */
  size?: number;
  config?: unknown;
  systems?: readonly SystemEntry[];
  id?: string;
  /** Physics block of the world (createSimWorld `physics`); absent = no physics engine. */
  physics?: unknown;
}

/** A populated world; players get random positions and walking velocities. */
export const genWorld = (o: GenOptions): { world: SimWorld; players: number[] } => {
  const size = o.size ?? Math.max(500, Math.sqrt(o.npcs * 2500));
  const world = createSimWorld({
    id: o.id ?? 'bench',
    capacity: o.npcs + (o.players ?? 0) + 16,
    seed: o.seed ?? 7,
    size,
    ...(o.config !== undefined ? { config: o.config } : {}),
    ...(o.systems ? { systems: o.systems } : {}),
    ...(o.physics !== undefined ? { physics: o.physics } : {}),
  });
  populateNpcs(world, { count: o.npcs });
  const players: number[] = [];
  for (let i = 0; i < (o.players ?? 0); i++) {
    const p = spawnPlayer(world, nextRange(world.rng, 0, size), nextRange(world.rng, 0, size));
    const a = nextRange(world.rng, 0, Math.PI * 2);
    world.stores.Velocity.x[p] = Math.cos(a) * 4;
    world.stores.Velocity.y[p] = Math.sin(a) * 4;
    players.push(p);
  }
  return { world, players };
};
