import { advanceChain, chainReady, startChain } from '../src/behavior/chain-runtime.js';
import type { System } from '../src/core/phases.js';
import type { ChainWorld } from '../src/behavior/chain-runtime.js';

/**
 * Interactions (behavior phase, after the behavior system) for the NPCs selected this step:
 * advance chains whose wait has ended; start the chain the NPC's activity offers when its
 * nearest player is within the chain's range and its cooldowns have passed. All on world time.
 * A spectator (`kindOf` 3: a camera, components/player.ts `Spectator`) is no partner: an NPC whose
 * nearest player is one starts nothing (docs/TIERS.md "Spectators").
 */
export const interactionSystem: System<ChainWorld> = (world) => {
  const s = world.npcSim;
  const { Interaction, Behavior, Tier, Position } = world.stores;
  const acts = s.activities,
    chains = s.chains;
  const kindOf = world.spatial.kindOf;
  for (let i = 0; i < s.selectedCount; i++) {
    const e = s.selected[i];
    if (Interaction.chain[e] >= 0) {
      advanceChain(world, e);
      continue;
    }
    const a = Behavior.activity[e];
    const c = a < acts.count ? acts.chain[a] : -1;
    if (c < 0 || !chainReady(world, e, c)) continue;
    const p = Tier.nearest[e];
    if (p < 0 || kindOf[p] !== 2) continue;
    const dx = Position.x[p] - Position.x[e],
      dy = Position.y[p] - Position.y[e];
    const r = chains.range[c];
    if (dx * dx + dy * dy <= r * r) startChain(world, e, c, p);
  }
};
