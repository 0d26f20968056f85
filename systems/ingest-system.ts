import type { System } from '../src/core/phases.js';
import type { World } from 'bitecs';
import type { WorldCore } from '../src/core/world-core.js';
import type { IngestSlot } from '../src/ingest/ingest-buffers.js';

/**
 * Ingest phase: apply the facts pushed into `world.ingest` since the last step. Floor lanes
 * (player input, critical facts such as purchases) are applied completely; the rest within
 * `ctx.budgets.ingestDrain` facts, shared by lane weight (see src/ingest/ingest-buffers.ts).
 */
export const ingestSystem: System<World<WorldCore & IngestSlot>> = (world, ctx) => {
  world.ingest.drain(world, ctx.budgets.ingestDrain);
};
