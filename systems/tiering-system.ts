import { assignTiers, runTieringPass, scanNearestPlayers, tieringDue, TieringNeed } from '../src/tiers/tier-assign.js';
import type { System } from '../src/core/phases.js';
import { finishNear, nearPassAllowed, scanNear } from '../src/tiers/tier-near.js';
import type { TiersWorld } from '../src/tiers/tiers-slot.js';

/**
 * Tiering phase: rebuild the players' grid (every step: it also serves interest queries) and,
 * when a tiering pass is needed, rebuild the NPC grid and reassign NPC tiers. A scheduled pass
 * is split over two steps (NPC grid rebuild + nearest-player scans in one, tier assignment, caps
 * and commit in the next: NPCs move < 1 world unit per step, far inside the hysteresis margin)
 * so no single frame pays for all of it; an urgent one (first step, config change, NPC count
 * change) does everything now. A scheduled pass is a near pass (src/tiers/tier-near.ts: only
 * NPCs near players and the upper tiers, no NPC grid rebuild; scans in one step, the rest in
 * the next) while the grid's
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
    s.pendingNear = false;
  } else if (s.passPending) {
    spatial.rebuildPlayers(world, ctx.stepSeconds);
    if (s.pendingNear) finishNear(world, s.pendingScanMs);
    else assignTiers(world, s.pendingScanMs);
    s.passPending = false;
    s.pendingNear = false;
  } else if (need === TieringNeed.scheduled && nearPassAllowed(world)) {
    spatial.rebuildPlayers(world, ctx.stepSeconds);
    s.pendingScanMs = scanNear(world);
    s.passPending = true;
    s.pendingNear = true;
  } else if (need === TieringNeed.scheduled) {
    spatial.rebuildNpcs(world, s.activities.maxSpeed);
    spatial.rebuildPlayers(world, ctx.stepSeconds);
    s.pendingScanMs = scanNearestPlayers(world);
    s.passPending = true;
  } else spatial.rebuildPlayers(world, ctx.stepSeconds);
};
