import { describe, expect, it } from 'vitest';
import { chunkCount, claimUnit, closeClaims, countDone, doneCount, idPartCount, openClaims } from '../../../src/shards/chunk-claim.js';
import { CLAIM_BASE, createPlan } from '../../../src/shards/fused-step.js';

const B = CLAIM_BASE;

describe('shards: dynamic claiming of a fused step units', () => {
  it('a party takes its home units first, ascending, then steals the others from their ends; each unit once', () => {
    const plan = createPlan();
    openClaims(plan, B, 7, 4, 8);
    // Party 0 of 2, 8 row chunks: home 0..3, then party 1's home from its end.
    const got: number[] = [];
    for (let u = claimUnit(plan, B, 2, 7, 0, 2, 8); u >= 0; u = claimUnit(plan, B, 2, 7, 0, 2, 8)) got.push(u);
    expect(got).toEqual([0, 1, 2, 3, 7, 6, 5, 4]);
    // The kernel claims a chunk only once it was claimed for the build; party 1 takes its home first.
    expect(claimUnit(plan, B, 3, 7, 1, 2, 8)).toBe(4);
    expect(claimUnit(plan, B, 3, 7, 0, 2, 8)).toBe(0);
    // Id parts have words of their own.
    expect(claimUnit(plan, B, 1, 7, 1, 2, 4)).toBe(2);
    expect(doneCount(plan, 2, 7)).toBe(0);
    for (let i = 1; i <= 8; i++) expect(countDone(plan, 2, 7)).toBe(i);
    expect(doneCount(plan, 2, 7)).toBe(8);
  });

  it('a late run of another step can neither claim a unit nor count one done; a closed step hands out nothing', () => {
    const plan = createPlan();
    openClaims(plan, B, 8, 2, 4);
    expect(claimUnit(plan, B, 1, 7, 0, 2, 2)).toBe(-1); // the previous step's worker, resumed late
    expect(countDone(plan, 1, 7)).toBe(-1);
    expect(doneCount(plan, 1, 8)).toBe(0);
    expect(claimUnit(plan, B, 1, 8, 0, 2, 2)).toBe(0);
    expect(claimUnit(plan, B, 2, 8, 0, 2, 4)).toBe(0);
    closeClaims(plan, B, 8, 2, 4);
    expect(claimUnit(plan, B, 1, 8, 1, 2, 2)).toBe(-1);
    expect(claimUnit(plan, B, 2, 8, 1, 2, 4)).toBe(-1);
    expect(claimUnit(plan, B, 3, 8, 0, 2, 4)).toBe(-1);
    expect(countDone(plan, 1, 8)).toBe(1); // a unit claimed before the close still counts
    openClaims(plan, B, 9, 2, 4); // a fresh step opens them again
    expect(claimUnit(plan, B, 1, 9, 1, 2, 2)).toBe(1);
  });

  it('unit counts: a few per party, capped by the counter slots and id partitions', () => {
    expect(chunkCount(2)).toBe(16);
    expect(chunkCount(2, 1)).toBe(2);
    expect(chunkCount(16)).toBe(64);
    expect(idPartCount(2)).toBe(8);
    expect(idPartCount(8)).toBe(16);
  });
});
