import { runTieringPass, tieringDue, TieringNeed } from '../src/tiers/tier-assign.js';
import type { System } from './types.js';

/**
 * Tiering phase: rebuild the players' grid (every step: it also serves interest queries) and,
 * when a tiering pass is needed, rebuild the NPC grid and reassign NPC tiers. A scheduled pass
 * is split over two steps (NPC grid rebuild in one, the pass in the next: NPCs move < 1 world
 * unit per step, far inside the hysteresis margin) so no single frame pays for both; an urgent
 * one (first step, config change, NPC count change) does both now. See docs/TIERS.md.
 */
export const tieringSystem: System = (world, ctx) => {
  const s = world.npcSim;
  const spatial = world.spatial;
  const need = tieringDue(world);
  if (need === TieringNeed.urgent || s.passPending) {
    if (need === TieringNeed.urgent) spatial.rebuildNpcs(world, s.activities.maxSpeed);
    spatial.rebuildPlayers(world, ctx.stepSeconds);
    runTieringPass(world);
    s.passPending = false;
    return;
  }
  if (need === TieringNeed.scheduled) {
    spatial.rebuildNpcs(world, s.activities.maxSpeed);
    s.passPending = true;
  }
  spatial.rebuildPlayers(world, ctx.stepSeconds);
};
