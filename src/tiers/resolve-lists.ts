/**
 * A world built while a server runs (admin create) gets its tier lists before its first step, one
 * per event-loop turn: bitecs registers a query by testing every entity (0.1-0.5 s a query at
 * 1,000,000 NPCs), and a big world's first step registered all of them at once, holding every
 * other world that long (docs/ADMIN.md create body).
 *
 * Only the lists its first steps resolve: none in a pipeline without the `tiering` system (a game's
 * base pipeline); where coarse movement will run (`coarseMovementWanted`), the moving NPCs and the
 * moving others, else every mover — a list resolved for nothing would stay registered, kept current
 * at every component change. The member order is the one the first steps would give: each list is
 * the alive entities in entity-index order at registration, and nothing changes the world before
 * its first step but joins, which append either way. (The NPC list is first read in the second
 * step: an NPC removed in the first would leave it in another order — a list's order is its
 * history; the world runs deterministically either way, and a checkpoint keeps whichever it has.)
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { coarseMovementWanted } from './coarse-movement.js';
import { moversOf, npcMoversOf, npcsOf, otherMoversOf, pinnedOf, playersOf } from './tier-queries.js';
import type { TiersWorld } from './tiers-slot.js';

/** Resolve the tier lists of `world` its first steps would, one per event-loop turn. */
export const resolveTierListsInTurns = async (world: TiersWorld & { pipeline: readonly { name: string }[] }): Promise<void> => {
  if (!world.pipeline.some((s) => s.name === 'tiering')) return;
  for (const resolve of [npcsOf, playersOf, npcMoversOf, pinnedOf]) {
    resolve(world);
    await nextTurn();
  }
  if (coarseMovementWanted(world)) otherMoversOf(world);
  else moversOf(world);
};
