/**
 * The crowd scenario's definition (issue 12 item 6) and the slot it adds to a world. Kept apart
 * from the world setup (`crowd.ts`) so the crowd movement system can import it without a cycle.
 */
import type { CoreWorld } from '../core/world-core.js';

/** The standard crowd scenario, fixed so runs are comparable side by side. */
export const CROWD = Object.freeze({
  /** Default NPC count. */
  npcs: 2000,
  /** Side of the square area, world units (positions in [0, size)). */
  size: 1000,
  /** Velocity per axis is drawn in [-maxSpeed, maxSpeed) units per second. */
  maxSpeed: 50,
  /** NPC i re-rolls its velocity on steps where (step + i) mod rerollEverySteps = 0 (2 s at 20 Hz). */
  rerollEverySteps: 40,
  /** Seconds per step (20 Hz). */
  tickIntervalSeconds: 0.05,
  /** A player's input moves it by at most this many units per axis per second. */
  playerUnitsPerSecond: 20,
  /** Seconds between two inputs of one bot. */
  playerInputIntervalSeconds: 1,
  /** Interest radius of every session, world units. */
  interestRadius: 100,
});

/** The crowd slot of a world: what the crowd movement system reads. */
export interface CrowdState {
  /** Seed of the crowd's generator (see crowd-random.ts). */
  seed: number;
  /** Entity id of NPC i (i = 0..npcs-1, the scenario's NPC index). */
  npcIds: Int32Array;
  maxSpeed: number;
  rerollEverySteps: number;
}

/** A world with the crowd scenario slot (set up by `createCrowdWorld`). */
export type CrowdSlotted<W extends CoreWorld = CoreWorld> = W & { crowd: CrowdState };

/** True when `world` carries the crowd slot. */
export const isCrowdWorld = <W extends CoreWorld>(world: W): world is CrowdSlotted<W> =>
  'crowd' in world && typeof (world as { crowd?: unknown }).crowd === 'object';
