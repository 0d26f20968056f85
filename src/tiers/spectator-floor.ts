/**
 * How a spectator (a camera: a player entity with the `Spectator` tag, `kindOf`
 * {@link KIND_SPECTATOR} in the spatial index) anchors NPC tiers. Every nearest-player scan of a
 * tiering pass (tier-assign.ts, tier-near.ts, npc-nearest.ts) offers it at a distance of at least
 * this floor, so the same rule holds whichever scan runs.
 */
import type { SimulationConfig } from '../config/scheduler-config.js';
import { KIND_SPECTATOR } from './spatial-index.js';

/**
 * Squared distance a spectator (a camera, `kindOf` {@link KIND_SPECTATOR}) counts as at least,
 * for tiering: just beyond the detailed radius + hysteresis. So a spectator alone keeps the NPCs
 * it watches `active` (animated, ticked at the active tier's rate) and never pulls one into
 * `detailed` — nor takes a detailed slot from a player's NPCs — while a player nearer than that
 * wins the NPC as before (docs/TIERS.md "Spectators"). 0 for a player.
 */
export const spectatorFloor2 = (sim: SimulationConfig, kind: number): number => {
  if (kind !== KIND_SPECTATOR) return 0;
  const f = (sim.tiers.detailed.radius + sim.tierHysteresis) * 1.001 + 1e-3;
  return f * f;
};
