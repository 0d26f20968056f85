/**
 * A world created while a server runs resolves its tier lists one per event-loop turn before its
 * first step (src/tiers/resolve-lists.ts, called by the admin create): bitecs registers a query by
 * testing every entity, and a 1,000,000-NPC world's first step did all of them at once. The lists
 * must be exactly those the first step would have resolved — no list the world never uses (it would
 * be kept current forever) — with the same members in the same order, so the world runs exactly as
 * one whose first step resolved them.
 */
import { describe, expect, it } from 'vitest';
import { hashWorldState } from '../../../src/core/state-hash.js';
import { populateNpcs } from '../../../src/world/populate.js';
import { createSimWorld, spawnPlayer, type SimWorld } from '../../../src/world/sim-world.js';
import { runStep } from '../../../src/world/step.js';
import { resolveTierListsInTurns } from '../../../src/tiers/resolve-lists.js';
import { moversOf, npcMoversOf, npcsOf, otherMoversOf, pinnedOf, playersOf } from '../../../src/tiers/tier-queries.js';
import { DEFAULT_SYSTEMS } from '../../../systems/index.js';

const build = (coarseFrom?: number, systems = DEFAULT_SYSTEMS): SimWorld => {
  const w = createSimWorld({ id: 'turns', seed: 11, capacity: 5000, size: 800, systems });
  if (coarseFrom !== undefined) w.npcSim.coarseMoveMinNpcs = coarseFrom;
  populateNpcs(w, { count: 3000 });
  for (let i = 0; i < 4; i++) spawnPlayer(w, 100 + i * 150, 400);
  return w;
};
const resolved = (w: SimWorld): string[] =>
  Object.entries(w.npcSim.queries)
    .filter(([, q]) => q !== null)
    .map(([k]) => k);
const lists = (w: SimWorld): number[][] => [npcsOf, playersOf, npcMoversOf, otherMoversOf, moversOf, pinnedOf].map((of) => [...of(w)]);

describe('tier lists resolved over event-loop turns', () => {
  for (const coarseFrom of [undefined, 100]) {
    it(`the lists its first steps resolve, one per turn; the world then runs exactly as one whose first step resolved them (${coarseFrom ? 'coarse movement' : 'every NPC integrated'})`, async () => {
      const early = build(coarseFrom);
      const late = build(coarseFrom);
      const pending = resolveTierListsInTurns(early);
      // The first list is resolved at once, the rest in later turns.
      expect(resolved(early)).toEqual(['npcs']);
      await pending;
      expect(resolved(late)).toEqual([]);
      // A player joins between the create and the first step: appended, as a list resolved then has it.
      for (const w of [early, late]) spawnPlayer(w, 700, 700);
      const before = resolved(early);
      // The lists the late world's first two steps resolve (the NPC list is first read in the second).
      for (const w of [early, late]) for (let i = 0; i < 2; i++) runStep(w);
      expect(resolved(late)).toEqual(before);
      expect(resolved(early)).toEqual(before);
      expect(before.includes('otherMovers')).toBe(coarseFrom !== undefined);
      expect(before.includes('movers')).toBe(coarseFrom === undefined);
      for (let i = 0; i < 30; i++) {
        runStep(early);
        runStep(late);
      }
      expect(lists(early)).toEqual(lists(late));
      expect(lists(early)[1]).toHaveLength(5);
      expect(hashWorldState(early)).toBe(hashWorldState(late));
    });
  }

  it('a pipeline without the tiering system gets none', async () => {
    const w = build(
      undefined,
      DEFAULT_SYSTEMS.filter((s) => s.name !== 'tiering'),
    );
    await resolveTierListsInTurns(w);
    expect(resolved(w)).toEqual([]);
  });
});
