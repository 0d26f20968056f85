/**
 * Standby copies by rendezvous hashing (src/cluster/standby.ts): the same ranking from the same
 * ids on every instance, exactly `n` keepers among a fixed set, worlds spread over the instances,
 * and an instance leaving moves only the copies it kept.
 */
import { describe, expect, it } from 'vitest';
import { keepsStandbyCopy, rendezvousRank } from '../../../src/cluster/standby.js';

const ids = ['a', 'b', 'c', 'd'];
const worlds = Array.from({ length: 400 }, (_, i) => `w${i}`);

describe('standby copies (rendezvous hashing)', () => {
  it('ranks the same whatever the order of the ids; duplicates count once', () => {
    for (const w of worlds.slice(0, 20)) {
      expect(rendezvousRank(w, ids)).toEqual(rendezvousRank(w, [...ids].reverse()));
      expect(rendezvousRank(w, [...ids, 'a'])).toHaveLength(4);
    }
  });

  it('n keepers per world among the live ids (-1: all, 0: none), spread evenly', () => {
    const per = new Map(ids.map((id) => [id, 0]));
    for (const w of worlds) {
      for (const n of [-1, 0, 1, 2]) {
        const keepers = ids.filter((me) => keepsStandbyCopy(w, me, ids, n));
        expect(keepers).toHaveLength(n < 0 ? 4 : n);
      }
      for (const me of ids) if (keepsStandbyCopy(w, me, ids, 1)) per.set(me, per.get(me)! + 1);
    }
    for (const count of per.values()) expect(count).toBeGreaterThan(60); // 100 each on average
  });

  it('an instance leaving moves only the copies it kept; one alone keeps everything with n >= 1', () => {
    for (const w of worlds) {
      const before = ids.filter((me) => keepsStandbyCopy(w, me, ids, 1))[0];
      const after = ids.filter((me) => me !== 'd' && keepsStandbyCopy(w, me, ['a', 'b', 'c'], 1))[0];
      if (before !== 'd') expect(after).toBe(before);
      expect(keepsStandbyCopy(w, 'z', [], 1)).toBe(true);
      expect(keepsStandbyCopy(w, 'z', [], 0)).toBe(false);
    }
  });
});
