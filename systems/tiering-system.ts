import { runTieringPass, tieringDue } from '../src/tiers/tier-assign.js';
import type { System } from './types.js';

/**
 * Tiering phase: rebuild the players' grid (every step: it also serves interest queries) and,
 * when a pass is due (every `tieringIntervalSteps`, or earlier when players moved more than half
 * the hysteresis, or NPC/player counts or the config changed), rebuild the NPC grid and reassign
 * NPC tiers. See src/tiers/tier-assign.ts and docs/TIERS.md.
 */
export const tieringSystem: System = (world, ctx) => {
  const due = tieringDue(world);
  if (due) world.spatial.rebuildNpcs(world, world.npcSim.activities.maxSpeed);
  world.spatial.rebuildPlayers(world, ctx.stepSeconds);
  if (due) runTieringPass(world);
};
