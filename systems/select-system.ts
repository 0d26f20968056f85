import { selectDue } from '../src/tiers/select.js';
import type { System } from '../src/core/phases.js';
import type { TiersWorld } from '../src/tiers/tiers-slot.js';

/**
 * Select phase: pick the NPCs due this step within `ctx.budgets.npcTicks` (detailed floor
 * kept, a share guaranteed to each lower tier, most overdue first). Resets the per-step chain
 * and intent counters the behavior phase fills.
 */
export const selectSystem: System<TiersWorld> = (world, ctx) => {
  world.tierStats.chainsAdvanced = 0;
  world.tierStats.intentsEmitted = 0;
  selectDue(world, ctx);
};
