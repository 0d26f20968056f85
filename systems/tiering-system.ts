import { assignTiers, runTieringPass, scanNearestPlayers, tieringDue, TieringNeed } from '../src/tiers/tier-assign.js';
import type { System } from '../src/core/phases.js';
import { nearPassAllowed, runNearPass } from '../src/tiers/tier-near.js';
import type { TiersWorld } from '../src/tiers/tiers-slot.js';

/**
 * Tiering phase: rebuild the players' grid (every step: it also serves interest queries) and,
 * when a tiering pass is needed, rebuild the NPC grid and reassign NPC tiers. A scheduled pass
 * is split over two steps (NPC grid rebuild + nearest-player scans in one, tier assignment, caps
 * and commit in the next: NPCs move < 1 world unit per step, far inside the hysteresis margin)
 * so no single frame pays for all of it; an urgent one (first step, config change, NPC count
 * change) does everything now. A scheduled pass is a near pass (src/tiers/tier-near.ts: only
 * NPCs near players and the upper tiers, no NPC grid rebuild, one step) while the grid's
 * movement margin stays under half a cell and the dormant cap cannot bind; otherwise the full
 * pass above runs (the slow sweep). See docs/TIERS.md.
 */
export const tieringSystem: System<TiersWorld> = (world, ctx) => {
  const s = world.npcSim;
  const spatial = world.spatial;
  const need = tieringDue(world);
  if (need === TieringNeed.urgent) {
    spatial.rebuildNpcs(world, s.activities.maxSpeed);
    spatial.rebuildPlayers(world, ctx.stepSeconds);
    runTieringPass(world);
    s.passPending = false;
  } else if (s.passPending) {
    spatial.rebuildPlayers(world, ctx.stepSeconds);
    assignTiers(world, s.pendingScanMs);
    s.passPending = false;
  } else if (need === TieringNeed.scheduled && nearPassAllowed(world)) {
    spatial.rebuildPlayers(world, ctx.stepSeconds);
    runNearPass(world);
  } else if (need === TieringNeed.scheduled) {
    spatial.rebuildNpcs(world, s.activities.maxSpeed);
    spatial.rebuildPlayers(world, ctx.stepSeconds);
    s.pendingScanMs = scanNearestPlayers(world);
    s.passPending = true;
  } else spatial.rebuildPlayers(world, ctx.stepSeconds);
};
