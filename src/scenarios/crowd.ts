/**
 * The standard crowd scenario (issue 12 item 6; docs/SCENARIOS.md): a world of N NPCs (default
 * 2,000) in a 1000×1000 area whose positions and velocities come from a seeded generator, with
 * its own pipeline (ingest → time → crowd movement → replicate → control) and no tiers or
 * behaviour. It exists to compare replication side by side; `npm start -- --scenario crowd`.
 */
import { CROWD_SYSTEMS } from '../../systems/index.js';
import { optionInvalid } from '../errors.js';
import { createSimWorld, spawnNpc } from '../world/sim-world.js';
import { crowdRange } from './crowd-random.js';
import { CROWD, type CrowdSlotted, type CrowdState } from './crowd-state.js';
import type { SimWorld } from '../world/sim-world.js';

/** A world set up by `createCrowdWorld`. */
export type CrowdWorld = CrowdSlotted<SimWorld>;

export { CROWD, isCrowdWorld, type CrowdState } from './crowd-state.js';

export interface CrowdWorldOptions {
  /** World id. Default "1". */
  id?: string;
  /** NPCs. Default {@link CROWD}.npcs (2,000). */
  npcs?: number;
  /** Seed of the crowd generator (and of the world PRNG). Default 1. */
  seed?: number;
  /** Room for players on top of the NPCs. Default 10,000. */
  playerCapacity?: number;
  /** Start paused (tests step it explicitly). Default false. */
  paused?: boolean;
  /**
   * Extra scheduler-config patch (validated like any other). The scenario's own keys win:
   * `tickIntervalSeconds` 0.05 and `timeScale` 1 are part of its definition.
   */
  config?: Record<string, unknown>;
}

/** Game-server settings the scenario fixes (merged over the operator's `net` settings). */
export const CROWD_NET = Object.freeze({
  interestRadius: CROWD.interestRadius,
  /** Input `moveX/moveY` in -1..1 times this = units per second: ±20 per axis. */
  maxSpeed: CROWD.playerUnitsPerSecond,
});

/**
 * Create a crowd world: NPC i (0-based, spawned in order) starts at
 * (draw 0, draw 1) × size with velocity (draw 2, draw 3) in [-maxSpeed, maxSpeed) per axis.
 * Throws `WT_ERR_OPTION_INVALID` on bad options.
 */
export const createCrowdWorld = (o: CrowdWorldOptions = {}): CrowdWorld => {
  const npcs = o.npcs ?? CROWD.npcs;
  const players = o.playerCapacity ?? 10_000;
  const problems: string[] = [];
  if (!Number.isInteger(npcs) || npcs < 0 || npcs > 10_000_000) problems.push('crowd npcs must be an integer between 0 and 10000000');
  if (!Number.isInteger(players) || players < 0 || players > 10_000_000)
    problems.push('crowd playerCapacity must be an integer between 0 and 10000000');
  if (problems.length) throw optionInvalid(problems);
  const seed = o.seed ?? 1;
  const extra = o.config ?? {};
  const extraSim = typeof extra.simulation === 'object' && extra.simulation !== null ? extra.simulation : {};
  const world = createSimWorld({
    id: o.id ?? '1',
    capacity: Math.max(1, npcs + players),
    seed,
    size: CROWD.size,
    systems: CROWD_SYSTEMS,
    config: {
      ...extra,
      simulation: { ...extraSim, tickIntervalSeconds: CROWD.tickIntervalSeconds, timeScale: 1, pauseSimulation: o.paused ?? false },
    },
  });
  const crowd: CrowdState = { seed, npcIds: new Int32Array(npcs), maxSpeed: CROWD.maxSpeed, rerollEverySteps: CROWD.rerollEverySteps };
  const { Velocity } = world.stores;
  const v = CROWD.maxSpeed;
  for (let i = 0; i < npcs; i++) {
    const e = spawnNpc(world, crowdRange(seed, i, 0, 0, CROWD.size), crowdRange(seed, i, 1, 0, CROWD.size));
    Velocity.x[e] = crowdRange(seed, i, 2, -v, v);
    Velocity.y[e] = crowdRange(seed, i, 3, -v, v);
    crowd.npcIds[i] = e;
  }
  return Object.assign(world, { crowd });
};

/**
 * The k-th crowd input (k = 0, 1, ...) of bot `bot` under `seed`: moveX, moveY uniform in
 * [-1, 1) per axis. With the scenario's `maxSpeed` of 20 this moves the player by at most ±20
 * units per axis over the second until the bot's next input.
 */
export const crowdBotMove = (seed: number, bot: number, k: number, out: { x: number; y: number }): { x: number; y: number } => {
  out.x = crowdRange(seed, bot, 2 * k, -1, 1);
  out.y = crowdRange(seed, bot, 2 * k + 1, -1, 1);
  return out;
};
