/**
 * Seeded population of a world with NPCs (the embedded default world, tests and benches).
 * Deterministic: same world seed, same NPCs.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { capacityExceeded, optionInvalid } from '../errors.js';
import { shown } from '../core/shown.js';
import { nextFloat, nextInt, nextRange } from './prng.js';
import { spawnNpc, type SimWorld } from './sim-world.js';

/** NPCs a world created while a server runs gets per event-loop turn (~35-90 ms of work here): admin creates, sliceable game modules. */
export const POPULATE_SLICE = 5000;

/** `spawn(n)` for `total` NPCs, {@link POPULATE_SLICE} at a time, an event-loop turn between slices. */
export const populateInSlices = async (total: number, spawn: (n: number) => void): Promise<void> => {
  for (let done = 0; done < total; ) {
    const n = Math.min(POPULATE_SLICE, total - done);
    spawn(n);
    done += n;
    if (done < total) await nextTurn();
  }
};

export interface PopulateOptions {
  /** Number of NPCs to spawn. */
  count: number;
  /** Fraction (0..1) of NPCs that wander (non-zero velocity). Default 0.5. */
  movingFraction?: number;
  /** Top wander speed in world units per simulation second. Default 1.5. */
  maxSpeed?: number;
  /** Number of NPC archetypes (kind codes 0..kinds-1). Default 8. */
  kinds?: number;
}

/**
 * Spawn `count` NPCs uniformly over the world's bounds. Returns their entity ids. A count past the world's
 * capacity is refused `WT_ERR_CAPACITY_EXCEEDED` before any is spawned (a damaged input log's recipe asked for
 * 2^40: the id list's allocation threw a RangeError, replay-log fuzz seed 80534); one that is no count,
 * `WT_ERR_OPTION_INVALID`.
 */
export const populateNpcs = (world: SimWorld, opts: PopulateOptions): number[] => {
  if (!Number.isSafeInteger(opts.count) || opts.count < 0)
    throw optionInvalid([`NPC count must be a non-negative integer (got ${shown(opts.count)})`]);
  if (opts.count > world.capacity) throw capacityExceeded(world.id, world.capacity);
  const { minX, minY, maxX, maxY } = world.bounds;
  const moving = opts.movingFraction ?? 0.5;
  const maxSpeed = opts.maxSpeed ?? 1.5;
  const kinds = opts.kinds ?? 8;
  const rng = world.rng;
  const { Velocity, Behavior } = world.stores;
  const ids: number[] = new Array(opts.count);
  for (let i = 0; i < opts.count; i++) {
    const eid = spawnNpc(world, nextRange(rng, minX, maxX), nextRange(rng, minY, maxY), nextInt(rng, kinds));
    if (nextFloat(rng) < moving) {
      const angle = nextRange(rng, 0, Math.PI * 2);
      const speed = nextRange(rng, 0.2, maxSpeed);
      Velocity.x[eid] = Math.cos(angle) * speed;
      Velocity.y[eid] = Math.sin(angle) * speed;
    }
    Behavior.energy[eid] = nextRange(rng, 0.3, 1);
    Behavior.hunger[eid] = nextRange(rng, 0, 0.5);
    Behavior.mood[eid] = nextRange(rng, 0.2, 0.8);
    ids[i] = eid;
  }
  return ids;
};
