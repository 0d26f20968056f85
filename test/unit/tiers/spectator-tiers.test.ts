/**
 * Spectators in tiering (src/tiers/spectator-floor.ts): a spectator anchors NPC tiers as if it
 * stood at least just beyond the detailed radius + hysteresis — NPCs it watches are `active`,
 * never `detailed` — in every scan (player-centric, NPC-centric, near pass), with the same result
 * bit for bit; a player nearer than that floor still wins the NPC.
 */
import { addComponent } from 'bitecs';
import { describe, expect, it } from 'vitest';
import { TierCode } from '../../../components/tier.js';
import { populateNpcs } from '../../../src/world/populate.js';
import { spawnNpc, spawnPlayer, type SimWorld } from '../../../src/world/sim-world.js';
import { runTieringPass, scanNearestPlayers } from '../../../src/tiers/tier-assign.js';
import { runNearPass } from '../../../src/tiers/tier-near.js';
import { tierWorld } from './helpers.js';

const spectate = (w: SimWorld, e: number): void => {
  addComponent(w, e, w.stores.Spectator);
};

/** Many players and spectators over NPCs, the spatial index rebuilt (kind tags set). */
const crowd = (seed: number): SimWorld => {
  const w = tierWorld({ capacity: 4000, size: 800, seed });
  populateNpcs(w, { count: 2000 });
  let r = seed;
  const rnd = (): number => {
    r = (r * 1103515245 + 12345) % 2147483648;
    return r / 2147483648;
  };
  for (let i = 0; i < 600; i++) {
    const p = spawnPlayer(w, rnd() * 800, rnd() * 800);
    if (i % 3 === 0) spectate(w, p);
  }
  w.spatial.rebuildNpcs(w, 0);
  w.spatial.rebuildPlayers(w, 0);
  return w;
};

const scan = (w: SimWorld, byNpc: boolean) => {
  w.npcSim.npcNearestMinLambda = byNpc ? 0 : Number.POSITIVE_INFINITY;
  scanNearestPlayers(w);
  const n = w.spatial.npcGrid.n;
  return { best2: Array.from(w.npcSim.best2.subarray(0, n)), nearest: Array.from(w.npcSim.slotNearest.subarray(0, n)) };
};

describe('spectators in tiering', () => {
  it('the NPC-centric search gives the player-centric result bit for bit with spectators', () => {
    const w = crowd(7);
    const a = scan(w, false);
    const b = scan(w, true);
    expect(b.best2).toEqual(a.best2);
    expect(b.nearest).toEqual(a.nearest);
    const kind = w.spatial.kindOf;
    expect(a.nearest.some((p) => p >= 0 && kind[p] === 3)).toBe(true); // spectators do anchor some
  });

  for (const pass of ['full', 'near'] as const) {
    it(`${pass} pass: an NPC near only a spectator is active, near a player detailed`, () => {
      const w = tierWorld({ capacity: 100, size: 2000 });
      const sim = w.config.simulation;
      const r0 = sim.tiers.detailed.radius;
      const watched = spawnNpc(w, 500, 500);
      const played = spawnNpc(w, 1500, 1500);
      const both = spawnNpc(w, 1000, 1000);
      spectate(w, spawnPlayer(w, 502, 500)); // 2 units from `watched`
      const p = spawnPlayer(w, 1500, 1503); // 3 units from `played`
      const s2 = spawnPlayer(w, 1000, 1001); // a spectator 1 unit from `both`
      spectate(w, s2);
      const p2 = spawnPlayer(w, 1000, 1000 + r0 - 1); // a player inside the detailed radius of `both`
      w.spatial.rebuildNpcs(w, 0);
      w.spatial.rebuildPlayers(w, 0);
      runTieringPass(w);
      if (pass === 'near') {
        w.spatial.rebuildPlayers(w, 0);
        runNearPass(w);
      }
      const { tier, nearest, dist } = w.stores.Tier;
      expect(tier[watched]).toBe(TierCode.active);
      expect(dist[watched]).toBeGreaterThan(r0 + sim.tierHysteresis);
      expect(tier[played]).toBe(TierCode.detailed);
      expect(nearest[played]).toBe(p);
      // The nearer spectator does not take the NPC from a player within the detailed radius.
      expect(tier[both]).toBe(TierCode.detailed);
      expect(nearest[both]).toBe(p2);
    });
  }
});
