import { assignTiers, runTieringPass, scanNearestPlayers, tieringDue, TieringNeed } from '../src/tiers/tier-assign.js';
import type { System } from '../src/core/phases.js';
import { coarseMovementWanted, maxMoveLagSteps } from '../src/tiers/coarse-movement.js';
import { abandonNearSlices, NearPhase, startNearSlices, stepNearSlices } from '../src/tiers/near-slices.js';
import { NEAR_BUILD_MARGIN_CELLS, nearPassAllowed } from '../src/tiers/tier-near.js';
import type { TiersWorld } from '../src/tiers/tiers-slot.js';

/**
 * NPC-grid margin, in cells, up to which a grid-build slice skips the caps step of a near pass and
 * a build waits for a light step to start.
 */
const NEAR_SKIP_BUILD_MARGIN_CELLS = 0.35;

/** Simulation seconds of movement an NPC may catch up at once (0 without coarse movement). */
const lagSeconds = (world: TiersWorld, stepSeconds: number): number =>
  coarseMovementWanted(world) ? maxMoveLagSteps(world.npcSim.dormantMoveSteps) * stepSeconds : 0;

/**
 * Tiering phase: rebuild the players' grid (every step: it also serves interest queries) and,
 * when a tiering pass is needed, run one. A scheduled pass is a near pass (src/tiers/tier-near.ts:
 * only NPCs near players and the upper tiers, no NPC grid rebuild) spread over several steps
 * (src/tiers/near-slices.ts: player scans, candidate placement, caps, commit, next near set; a slice
 * per step) while the dormant cap cannot bind. The NPC grid is rebuilt in slices alongside them
 * (src/tiers/grid-build.ts) once its movement margin passes `NEAR_BUILD_MARGIN_CELLS`; should it
 * still pass half a cell, that step rebuilds the NPC grid whole and near passes go on. Otherwise a full pass runs, split over two steps (NPC grid rebuild + nearest-player
 * scans in one, tier assignment, caps and commit in the next: NPCs move < 1 world unit per
 * step, far inside the hysteresis margin) — the slow sweep. An urgent pass (first step, config
 * change, NPC count change, pins or zones) drops any running pass and does everything now.
 * See docs/TIERS.md.
 */
export const tieringSystem: System<TiersWorld> = (world, ctx) => {
  const s = world.npcSim;
  const spatial = world.spatial;
  const need = tieringDue(world);
  if (need === TieringNeed.urgent) {
    abandonNearSlices(world);
    spatial.rebuildNpcs(world, s.activities.maxSpeed, lagSeconds(world, ctx.stepSeconds));
    spatial.rebuildPlayers(world, ctx.stepSeconds);
    runTieringPass(world);
    s.passPending = false;
    s.pendingNear = false;
    return;
  }
  // The NPC grid rebuilt in slices while near passes run (src/tiers/grid-build.ts): started before
  // the margin reaches the near passes' limit, swapped in when no near pass holds slot indexes.
  // A build must start before this step's player rebuild (which adds this step's movement).
  // No build slice on the near pass's heaviest step (the caps): they would stack in one step.
  // Only while the margin has room (a build that waits a step lets the live margin grow).
  const heavy = s.nearPhase === NearPhase.caps && spatial.margin() <= spatial.cellSize * NEAR_SKIP_BUILD_MARGIN_CELLS;
  // A build starts (allocation, cell starts written: ≈ 2-3 ms) on a light step of the near pass
  // (a later next-near-set slice, or none running) while the margin has room.
  const lightStep = s.nearPhase === NearPhase.none || (s.nearPhase === NearPhase.next && s.nearCursor > 0);
  if (heavy) {
    // the build waits a step (its margin grows as the live one's; the whole rebuild below is the fallback)
  } else if (
    !spatial.npcBuilding() &&
    spatial.margin() > spatial.cellSize * NEAR_BUILD_MARGIN_CELLS &&
    (lightStep || spatial.margin() > spatial.cellSize * NEAR_SKIP_BUILD_MARGIN_CELLS) &&
    nearPassAllowed(world, true)
  )
    spatial.beginNpcBuild(world, s.activities.maxSpeed, lagSeconds(world, ctx.stepSeconds));
  else if (spatial.npcBuilding() && spatial.stepNpcBuild(world, s.gridBuildParts)) {
    const holdsSlots = s.passPending || s.nearPhase === NearPhase.scan || s.nearPhase === NearPhase.place;
    if (!holdsSlots) spatial.swapNpcBuild();
  }
  if (s.nearPhase !== NearPhase.none) {
    spatial.rebuildPlayers(world, ctx.stepSeconds);
    stepNearSlices(world);
  } else if (s.passPending) {
    spatial.rebuildPlayers(world, ctx.stepSeconds);
    assignTiers(world, s.pendingScanMs);
    s.passPending = false;
    s.pendingNear = false;
  } else if (need === TieringNeed.scheduled && nearPassAllowed(world)) {
    spatial.rebuildPlayers(world, ctx.stepSeconds);
    startNearSlices(world);
  } else if (need === TieringNeed.scheduled && nearPassAllowed(world, true)) {
    // Only the grid's margin is too wide: rebuild the NPC grid this step, near passes go on next step.
    spatial.rebuildNpcs(world, s.activities.maxSpeed, lagSeconds(world, ctx.stepSeconds));
    spatial.rebuildPlayers(world, ctx.stepSeconds);
  } else if (need === TieringNeed.scheduled) {
    spatial.rebuildNpcs(world, s.activities.maxSpeed, lagSeconds(world, ctx.stepSeconds));
    spatial.rebuildPlayers(world, ctx.stepSeconds);
    s.pendingScanMs = scanNearestPlayers(world);
    s.passPending = true;
  } else spatial.rebuildPlayers(world, ctx.stepSeconds);
};
