import { describe, expect, it } from 'vitest';
import { chunkCount, claimUnit, closeClaims, countDone, doneCount, idPartCount, openClaims } from '../../../src/shards/chunk-claim.js';
import { createPlan } from '../../../src/shards/fused-step.js';

describe('shards: dynamic claiming of a fused step units', () => {
  it('each unit of a phase is claimed once, in order, then none; completions count up to the units', () => {
    const plan = createPlan();
    openClaims(plan, 7);
    const got: number[] = [];
    for (let u = claimUnit(plan, 2, 7, 5); u >= 0; u = claimUnit(plan, 2, 7, 5)) got.push(u);
    expect(got).toEqual([0, 1, 2, 3, 4]);
    expect(claimUnit(plan, 3, 7, 5)).toBe(0); // phases have their own words
    expect(doneCount(plan, 2, 7)).toBe(0);
    for (let i = 1; i <= 5; i++) expect(countDone(plan, 2, 7)).toBe(i);
    expect(doneCount(plan, 2, 7)).toBe(5);
  });

  it('a late run of another step can neither claim a unit nor count one done; a closed step hands out nothing', () => {
    const plan = createPlan();
    openClaims(plan, 8);
    expect(claimUnit(plan, 1, 7, 4)).toBe(-1); // the previous step's worker, resumed late
    expect(countDone(plan, 1, 7)).toBe(-1);
    expect(doneCount(plan, 1, 8)).toBe(0);
    expect(claimUnit(plan, 1, 8, 4)).toBe(0);
    closeClaims(plan, 8);
    expect(claimUnit(plan, 1, 8, 4)).toBe(-1);
    expect(claimUnit(plan, 3, 8, 4)).toBe(-1);
    expect(countDone(plan, 1, 8)).toBe(1); // a unit claimed before the close still counts
    // Epochs are kept modulo 2^23 in the words, and a fresh step opens them again.
    openClaims(plan, 9);
    expect(claimUnit(plan, 1, 9, 4)).toBe(0);
  });

  it('unit counts: a few per party, capped by the counter slots and id partitions', () => {
    expect(chunkCount(2)).toBe(16);
    expect(chunkCount(2, 1)).toBe(2);
    expect(chunkCount(16)).toBe(64);
    expect(idPartCount(2)).toBe(8);
    expect(idPartCount(8)).toBe(16);
  });
});
