import { describe, expect, it } from 'vitest';
import { populateNpcs } from '../../../src/world/populate.js';
import { spawnPlayer, type SimWorld } from '../../../src/world/sim-world.js';
import { runStep } from '../../../src/world/step.js';
import { hashWorldState } from '../../../src/world/state-hash.js';
import { scanNearestPlayers } from '../../../src/tiers/tier-assign.js';
import { npcCentricWanted, playersPerDisc } from '../../../src/tiers/npc-nearest.js';
import { tierWorld } from './helpers.js';

/** A deterministic stream in [0, 1). */
const lcg = (seed: number) => {
  let r = seed;
  return () => {
    r = (r * 1103515245 + 12345) % 2147483648;
    return r / 2147483648;
  };
};

/** NPCs and players; `grid` snaps every position to multiples of 7 (exact distance ties); duplicates tie too. */
const world = (o: { npcs: number; players: number; size: number; seed: number; grid?: boolean; outside?: number }): SimWorld => {
  const w = tierWorld({ capacity: o.npcs + o.players * 2 + 16, size: o.size, seed: o.seed });
  populateNpcs(w, { count: o.npcs });
  const rnd = lcg(o.seed * 7919);
  const out = o.outside ?? 0;
  for (let i = 0; i < o.players; i++) {
    const x = rnd() * (o.size + 2 * out) - out,
      y = rnd() * (o.size + 2 * out) - out;
    spawnPlayer(w, x, y);
    if (i % 5 === 0) spawnPlayer(w, x, y);
  }
  if (o.grid) {
    const { x, y } = w.stores.Position;
    for (let e = 0; e < w.capacity; e++) {
      x[e] = Math.round(x[e] / 7) * 7;
      y[e] = Math.round(y[e] / 7) * 7;
    }
  }
  return w;
};

/** The scan scratch (`best2`, `slotNearest`) of one full-pass scan, player-centric or NPC-centric. */
const scan = (w: SimWorld, byNpc: boolean) => {
  w.npcSim.npcNearestMinLambda = byNpc ? 0 : Number.POSITIVE_INFINITY;
  scanNearestPlayers(w);
  const n = w.spatial.npcGrid.n;
  return { best2: Array.from(w.npcSim.best2.subarray(0, n)), nearest: Array.from(w.npcSim.slotNearest.subarray(0, n)) };
};

describe('NPC-centric nearest-player search (src/tiers/npc-nearest.ts)', () => {
  const cases = [
    { name: 'dense players', npcs: 2000, players: 600, size: 800, seed: 1 },
    { name: 'sparse players (NPCs with no player within R)', npcs: 2000, players: 6, size: 3000, seed: 2 },
    { name: 'integer positions and duplicate players (exact ties)', npcs: 2000, players: 500, size: 700, seed: 3, grid: true },
    { name: 'players and NPCs beyond the world bounds', npcs: 1500, players: 400, size: 600, seed: 4, outside: 250 },
    { name: 'one player', npcs: 500, players: 1, size: 400, seed: 5 },
  ];
  for (const c of cases) {
    it(`gives the player-centric scans' result bit for bit: ${c.name}`, () => {
      const w = world(c);
      if (c.outside) {
        // NPCs outside the bounds as well (clamped into edge cells of both grids).
        const { x } = w.stores.Position;
        for (let e = 0; e < 40; e++) x[e] = -100 - e * 5;
      }
      if (c.name === 'one player') {
        // Players with a NaN coordinate match no NPC either way.
        const q = spawnPlayer(w, 10, 10);
        w.stores.Position.x[q] = Number.NaN;
      }
      w.spatial.rebuildNpcs(w, 0);
      const a = scan(w, false);
      const b = scan(w, true);
      expect(b.best2).toEqual(a.best2);
      expect(b.nearest).toEqual(a.nearest);
      expect(a.nearest.some((p) => p >= 0)).toBe(true);
      if (c.name.startsWith('sparse')) expect(a.nearest.some((p) => p < 0)).toBe(true);
    });
  }

  it('picks the NPC side only when many players share a disc', () => {
    const w = world({ npcs: 1000, players: 0, size: 2000, seed: 6 });
    w.spatial.rebuildNpcs(w, 0);
    const R = 305;
    expect(playersPerDisc(w, 7500, R)).toBeGreaterThan(500);
    expect(npcCentricWanted(w, 7500, R)).toBe(true);
    expect(npcCentricWanted(w, 10, R)).toBe(false);
    expect(npcCentricWanted(w, 0, R)).toBe(false);
  });

  it('steps a world to the same state hash either way (tiers, nearest, distances, everything)', () => {
    const run = (byNpc: boolean): string[] => {
      const w = world({ npcs: 1500, players: 300, size: 900, seed: 7 });
      const { Velocity } = w.stores;
      const rnd = lcg(99);
      for (let e = 1500; e < w.capacity; e++) {
        Velocity.x[e] = (rnd() - 0.5) * 8;
        Velocity.y[e] = (rnd() - 0.5) * 8;
      }
      w.npcSim.npcNearestMinLambda = byNpc ? 0 : Number.POSITIVE_INFINITY;
      const hashes: string[] = [];
      for (let i = 0; i < 30; i++) {
        runStep(w);
        if (i % 10 === 9) hashes.push(hashWorldState(w));
      }
      expect(w.tierStats.tieringPasses).toBeGreaterThan(3);
      return hashes;
    };
    expect(run(true)).toEqual(run(false));
  });
});
