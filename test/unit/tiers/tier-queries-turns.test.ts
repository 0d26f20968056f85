/**
 * A world created while a server runs resolves its tier lists one per event-loop turn before its
 * first step (src/tiers/tier-queries.ts `resolveTierQueriesInTurns`, called by the admin create):
 * bitecs registers a query by testing every entity, and a 1,000,000-NPC world's first step did all
 * of them at once. The lists must be the ones the first step would have built: same members, same
 * order, so the world runs exactly as one whose lists were resolved in its first step.
 */
import { describe, expect, it } from 'vitest';
import { hashWorldState } from '../../../src/core/state-hash.js';
import { populateNpcs } from '../../../src/world/populate.js';
import { createSimWorld, spawnPlayer, type SimWorld } from '../../../src/world/sim-world.js';
import { runStep } from '../../../src/world/step.js';
import {
  moversOf,
  npcMoversOf,
  npcsOf,
  otherMoversOf,
  pinnedOf,
  playersOf,
  resolveTierQueriesInTurns,
} from '../../../src/tiers/tier-queries.js';

const build = (): SimWorld => {
  const w = createSimWorld({ id: 'turns', seed: 11, capacity: 5000, size: 800 });
  populateNpcs(w, { count: 3000 });
  for (let i = 0; i < 4; i++) spawnPlayer(w, 100 + i * 150, 400);
  return w;
};
const lists = (w: SimWorld): number[][] => [npcsOf, playersOf, npcMoversOf, otherMoversOf, moversOf, pinnedOf].map((of) => [...of(w)]);

describe('tier lists resolved over event-loop turns', () => {
  it('one list per turn; the world then runs exactly as one whose first step resolved them', async () => {
    const early = build();
    const late = build();
    const pending = resolveTierQueriesInTurns(early);
    // The first list is resolved at once, the rest in later turns.
    expect(early.npcSim.queries.npcs).not.toBeNull();
    expect(early.npcSim.queries.players).toBeNull();
    await pending;
    expect(Object.values(early.npcSim.queries).every((q) => q !== null)).toBe(true);
    expect(Object.values(late.npcSim.queries).every((q) => q === null)).toBe(true);
    // Players join between the create and the first step: appended, as a list resolved then has them.
    for (const w of [early, late]) spawnPlayer(w, 700, 700);
    for (let i = 0; i < 30; i++) {
      runStep(early);
      runStep(late);
    }
    expect(lists(early)).toEqual(lists(late));
    expect(lists(early)[1]).toHaveLength(5);
    expect(lists(early)[0]).toHaveLength(3000);
    expect(hashWorldState(early)).toBe(hashWorldState(late));
  });
});
