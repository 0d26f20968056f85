import { describe, expect, it } from 'vitest';
import { TierCode } from '../../../components/tier.js';
import { BodyKind } from '../../../src/physics/physics-types.js';
import { makeFixture, rng, stepInline } from './fixture.js';

describe('physics: perception', () => {
  it('finds exactly the neighbours within range (brute-force check)', () => {
    const n = 1500;
    const R = 9;
    const { ps, stores } = makeFixture(n, 120, { perceptionRadius: R, perceptionListSize: 512, maxPerCell: 10_000 });
    const r = rng(11);
    const P = stores.Position;
    for (let e = 1; e <= n; e++) {
      P.x[e] = r() * 120;
      P.y[e] = r() * 120;
      if (e % 10 === 0) ps.shared.kind[e] = BodyKind.player;
      else if (e % 3 === 0) stores.Tier.tier[e] = TierCode.active; // not perceiving, still perceived
    }
    // Perception reads the positions the step started from: snapshot them.
    const x0 = Float32Array.from(P.x),
      y0 = Float32Array.from(P.y);
    stepInline(ps, 0, 0.05);
    const s = ps.shared;
    let perceivers = 0;
    for (let e = 1; e <= n; e++) {
      const perceives = s.kind[e] === BodyKind.npc && stores.Tier.tier[e] === TierCode.detailed;
      if (!perceives) {
        expect(s.percStep[e]).toBe(0);
        continue;
      }
      perceivers++;
      const want: number[] = [];
      let players = 0,
        nearest = -1,
        best = Infinity;
      for (let j = 1; j <= n; j++) {
        if (j === e) continue;
        const d2 = (x0[j] - x0[e]) ** 2 + (y0[j] - y0[e]) ** 2;
        if (d2 > R * R) continue;
        want.push(j);
        if (s.kind[j] === BodyKind.player) {
          players++;
          if (d2 < best || (d2 === best && j < nearest)) {
            best = d2;
            nearest = j;
          }
        }
      }
      expect(s.percTotal[e]).toBe(want.length);
      expect(s.percPlayers[e]).toBe(players);
      expect(s.percNpcs[e]).toBe(want.length - players);
      expect(s.percNearest[e]).toBe(nearest);
      const got = Array.from(s.percList.subarray(e * 512, e * 512 + want.length)).sort((a, b) => a - b);
      expect(got).toEqual(want);
    }
    expect(perceivers).toBeGreaterThan(500);
    expect(ps.stats.perceivers).toBe(perceivers);
    expect(ps.stats.perceptionTruncated).toBe(0);
  });

  it('a bounded list keeps the exact total and counts a truncated scan', () => {
    const n = 300;
    const { ps, stores } = makeFixture(n, 40, { perceptionRadius: 40, perceptionListSize: 4, maxPerCell: 8 });
    for (let e = 1; e <= n; e++) {
      stores.Position.x[e] = 20 + (e % 3) * 0.01;
      stores.Position.y[e] = 20;
    }
    stepInline(ps, 0, 0.05);
    expect(ps.stats.perceptionTruncated).toBe(n); // one crowded cell: every scan capped
    expect(ps.shared.percTotal[1]).toBeLessThanOrEqual(8);
  });
});
