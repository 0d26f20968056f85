import type { World } from 'bitecs';
import type { System } from '../src/core/phases.js';
import type { WorldCore } from '../src/core/world-core.js';
import type { IngestSlot } from '../src/ingest/ingest-buffers.js';
import { rewardKeyOfChain, type LedgerSlot } from '../src/ledger/world-ledger.js';
import { grantRewardDurably } from '../src/ledger/reward-retry.js';
import type { TiersSlot } from '../src/tiers/tiers-slot.js';

/**
 * Jobs phase: hand the chain rewards earned this step (src/behavior/chain-runtime.ts) to the
 * world's ledger as server-side rewards, keyed by (chain, NPC, world step) so a re-simulated step
 * cannot grant twice. The ledger commits them outside the step, resubmitting while the store is
 * unavailable (src/ledger/reward-retry.ts); a later step applies them to the
 * player's Wallet (critical ingest lane). Targets that are not bound players, or a world without a
 * ledger, drop the grant (counted in `npcSim.grantsDropped`).
 */
export const chainRewardSystem: System<World<WorldCore & TiersSlot & IngestSlot & LedgerSlot>> = (world) => {
  const sim = world.npcSim;
  const grants = sim.grants;
  if (grants.length === 0) return;
  const ledger = world.ledger;
  for (let i = 0; i < grants.length; i++) {
    const g = grants[i];
    const playerId = ledger ? ledger.playerOf.get(g.player) : undefined;
    if (!ledger || playerId === undefined || ledger.eidOf.get(playerId) !== g.player) {
      sim.grantsDropped++;
      continue;
    }
    const r = g.reward;
    void grantRewardDurably(world, {
      playerId,
      key: rewardKeyOfChain(ledger, sim.chains.names[g.chain] ?? String(g.chain), g.npc, g.step),
      ...(r.coins ? { coins: r.coins } : {}),
      ...(r.item !== undefined ? { item: r.item, quantity: r.quantity ?? 1 } : {}),
    });
  }
  grants.length = 0;
};
