import { replicateWorld } from '../src/net/replicate-phase.js';
import type { System } from '../src/core/phases.js';
import type { ReplicationWorld } from '../src/net/replication.js';
import type { NetSlot } from '../src/net/world-net.js';

/**
 * Replicate phase: when a game server serves this world (`world.net` set), send every session
 * its interest-managed delta snapshot in priority order and deliver NPC intents as events
 * (src/net/replicate-phase.ts, src/net/replication.ts).
 * Holds no state: everything lives in the world's `net` slot.
 */
export const replicateSystem: System<ReplicationWorld & NetSlot> = (world, ctx) => {
  if (world.net) replicateWorld(world, ctx, world.net);
};
