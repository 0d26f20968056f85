/**
 * `populateNpcs` refuses a count the world cannot hold before it spawns anything (`WT_ERR_CAPACITY_EXCEEDED`),
 * and one that is no count (`WT_ERR_OPTION_INVALID`). Found by the replay-log fuzz (seed 80534): a damaged
 * input log's recipe asking for 2^40 NPCs made the id list's allocation throw a RangeError, not a coded refusal;
 * a count between the capacity and 2^32 filled the world to its capacity before the refusal.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/errors.js';
import { populateNpcs } from '../../../src/world/populate.js';
import { createSimWorld } from '../../../src/world/sim-world.js';
import { codeOf } from '../../helpers/code-of.js';

describe('populateNpcs: the count', () => {
  it('past the capacity: refused coded, nothing spawned (the whole capacity still free after)', async () => {
    const world = createSimWorld({ id: 'pop', capacity: 100, seed: 3 });
    for (const count of [101, 2 ** 32, 2 ** 40, Number.MAX_SAFE_INTEGER]) {
      expect(await codeOf(Promise.resolve().then(() => populateNpcs(world, { count }))), String(count)).toBe(ErrorCode.CAPACITY_EXCEEDED);
    }
    const ids = populateNpcs(world, { count: 100 });
    expect(new Set(ids).size).toBe(100);
  });

  it('not a count: refused coded', async () => {
    const world = createSimWorld({ id: 'pop', capacity: 100, seed: 3 });
    for (const count of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(await codeOf(Promise.resolve().then(() => populateNpcs(world, { count }))), String(count)).toBe(ErrorCode.OPTION_INVALID);
    }
    expect(populateNpcs(world, { count: 0 })).toEqual([]);
  });
});
