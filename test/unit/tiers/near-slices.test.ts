import { describe, expect, it } from 'vitest';
import { query } from 'bitecs';
import { populateNpcs } from '../../../src/world/populate.js';
import { despawnEntity, spawnPlayer } from '../../../src/world/sim-world.js';
import { runStep } from '../../../src/world/step.js';
import { runNearPass } from '../../../src/tiers/tier-near.js';
import { NearPhase, startNearSlices, stepNearSlices } from '../../../src/tiers/near-slices.js';
import { pinNpc } from '../../../src/tiers/tier-floors.js';
import { tierWorld } from './helpers.js';

/** 4,000 NPCs, 12 players, ambient cap binding; near passes enabled at any size and coverage. */
const setup = () => {
  const w = tierWorld({
    capacity: 5000,
    size: 3000,
    sim: { tiers: { detailed: { maxNpcs: 40 }, active: { maxNpcs: 300 }, ambient: { maxNpcs: 900 } } },
  });
  w.npcSim.nearMinNpcs = 0;
  w.npcSim.nearMaxShare = 1;
  populateNpcs(w, { count: 4000 });
  const players: number[] = [];
  for (let i = 0; i < 12; i++) players.push(spawnPlayer(w, 200 + (i % 4) * 800, 300 + Math.floor(i / 4) * 1000));
  return { w, players };
};

const jump = (w: ReturnType<typeof setup>['w'], players: number[], round: number): void => {
  players.forEach((p, i) => {
    w.stores.Position.x[p] = 150 + ((i * 977 + round * 613) % 2700);
    w.stores.Position.y[p] = 150 + ((i * 541 + round * 389) % 2700);
  });
  w.spatial.rebuildPlayers(w, w.ctx.stepSeconds);
};

const tiersOf = (w: ReturnType<typeof setup>['w']) => {
  const T = w.stores.Tier;
  const npcs = Array.from(query(w, [w.stores.Position, w.stores.Npc])).sort((a, b) => a - b);
  return npcs.map((e) => [e, T.tier[e], T.nearest[e], T.dist[e]]);
};

/** The running pass's phase (a function: the loops below must not narrow it). */
const phaseOf = (w: ReturnType<typeof setup>['w']): number => w.npcSim.nearPhase;

/**
 * World `b` (sliced pass) holds what world `a` (one-shot pass) holds: tiers, and — the caps bound
 * and the commit a step later — the same due times, frozen flags, change count, due heaps, tier
 * counts and next near set.
 */
const expectSameAsOneShot = (b: ReturnType<typeof setup>['w'], a: ReturnType<typeof setup>['w']): void => {
  expect(tiersOf(b)).toEqual(tiersOf(a));
  const T = (w: ReturnType<typeof setup>['w']) => {
    const npcs = Array.from(query(w, [w.stores.Position, w.stores.Npc])).sort((x, y) => x - y);
    return npcs.map((e) => [w.stores.Tier.nextTickAt[e], w.stores.Tier.frozen[e]]);
  };
  expect(T(b)).toEqual(T(a));
  expect(b.tierStats.lastTierChanges).toBe(a.tierStats.lastTierChanges);
  for (let t = 0; t < 4; t++) expect(b.npcSim.dueHeap[t].size).toBe(a.npcSim.dueHeap[t].size);
  expect(Array.from(b.tierStats.npcsPerTier)).toEqual(Array.from(a.tierStats.npcsPerTier));
  expect(b.npcSim.nearCount).toBe(a.npcSim.nearCount);
  expect(Array.from(b.npcSim.near.subarray(0, b.npcSim.nearCount))).toEqual(Array.from(a.npcSim.near.subarray(0, a.npcSim.nearCount)));
};

/**
 * Three steps of both worlds, then three rounds: the players jump, `a` runs a one-shot near pass,
 * `b` starts a sliced one and `slices` runs it to the end (with its own checks); then both worlds
 * must hold the same tiers, nearest players and distances.
 */
const slicedRounds = (a: ReturnType<typeof setup>, b: ReturnType<typeof setup>, slices: () => void): void => {
  for (let i = 0; i < 3; i++) {
    runStep(a.w);
    runStep(b.w);
  }
  for (let round = 0; round < 3; round++) {
    jump(a.w, a.players, round);
    jump(b.w, b.players, round);
    runNearPass(a.w);
    startNearSlices(b.w);
    slices();
    expectSameAsOneShot(b.w, a.w);
  }
};

describe('near passes spread over steps (src/tiers/near-slices.ts)', () => {
  it('give exactly the tiers, nearest players and distances of a one-shot near pass, over several slices', () => {
    const a = setup(),
      b = setup();
    slicedRounds(a, b, () => {
      let slices = 1;
      while (b.w.npcSim.nearPhase !== NearPhase.none) {
        stepNearSlices(b.w);
        slices++;
      }
      // scan + place + caps + commit + next-near-set slices (7 + 5 + 1 + 1 + 3 by default; 12
      // players in slices of ceil(12 / 7) = 2 take 6 scan slices).
      const sp = b.w.npcSim;
      const scanSlices = Math.ceil(12 / Math.ceil(12 / sp.nearScanParts));
      expect(slices).toBe(scanSlices + sp.nearPlaceParts + 2 + sp.nearNextParts);
      expect(slices).toBe(16);
    });
  });

  it('dense discs (more scan steps) and long tier lists (caps in two steps) give the one-shot pass too', () => {
    const a = setup(),
      b = setup();
    // Thresholds lowered: every scan slice is "dense" (2 × nearScanParts = 14 steps: 12 players,
    // one each) and the caps always split (tiers 0–1, then tier 2).
    b.w.npcSim.nearScanChecks = 1;
    b.w.npcSim.nearCapsSplitMin = 0;
    slicedRounds(a, b, () => {
      const phases: number[] = [NearPhase.scan];
      while (b.w.npcSim.nearPhase !== NearPhase.none) {
        phases.push(b.w.npcSim.nearPhase);
        stepNearSlices(b.w);
      }
      const count = (ph: number) => phases.filter((x) => x === ph).length;
      expect(count(NearPhase.scan)).toBe(12);
      expect(count(NearPhase.caps)).toBe(2);
      expect(phases.length).toBe(12 + b.w.npcSim.nearPlaceParts + 3 + b.w.npcSim.nearNextParts);
    });
  });

  it('the tiering phase runs one slice per step, commits tiers once per pass, and stays within the caps', () => {
    const { w } = setup();
    runStep(w); // first pass: urgent, full
    const phases: number[] = [];
    let passes = w.tierStats.tieringPasses;
    const commits: number[] = [];
    for (let s = 0; s < 54; s++) {
      runStep(w);
      phases.push(w.npcSim.nearPhase);
      if (w.tierStats.tieringPasses !== passes) commits.push(s);
      passes = w.tierStats.tieringPasses;
      const per = [0, 0, 0, 0];
      for (const [, t] of tiersOf(w)) per[t]++;
      expect(per[0]).toBeLessThanOrEqual(40);
      expect(per[1]).toBeLessThanOrEqual(300);
      expect(per[2]).toBeLessThanOrEqual(900);
    }
    // A pass: scan ×6 (12 players, 2 per slice), place ×5, caps, commit, next ×3 (the phase after each step's slice).
    const first = phases.indexOf(NearPhase.scan);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(phases.slice(first, first + 16)).toEqual([
      NearPhase.scan,
      NearPhase.scan,
      NearPhase.scan,
      NearPhase.scan,
      NearPhase.scan,
      NearPhase.place,
      NearPhase.place,
      NearPhase.place,
      NearPhase.place,
      NearPhase.place,
      NearPhase.caps,
      NearPhase.commit,
      NearPhase.next,
      NearPhase.next,
      NearPhase.next,
      NearPhase.none,
    ]);
    expect(commits.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < commits.length; i++) expect(commits[i] - commits[i - 1]).toBeGreaterThanOrEqual(16);
  });

  it('an urgent pass (a pin) drops a running sliced pass; the next sliced pass starts clean', () => {
    const a = setup();
    runStep(a.w);
    while (phaseOf(a.w) !== NearPhase.place) runStep(a.w);
    const npc = query(a.w, [a.w.stores.Position, a.w.stores.Npc])[123];
    pinNpc(a.w, npc, 'detailed');
    runStep(a.w);
    expect(phaseOf(a.w)).toBe(NearPhase.none);
    expect(a.w.stores.Tier.tier[npc]).toBe(0);
    // Run to the next sliced pass's end; then a one-shot near pass on the same state changes nothing.
    while (phaseOf(a.w) === NearPhase.none) runStep(a.w);
    while (phaseOf(a.w) !== NearPhase.none) runStep(a.w);
    expect(a.w.stores.Tier.tier[npc]).toBe(0);
    const before = tiersOf(a.w);
    a.w.spatial.rebuildPlayers(a.w, a.w.ctx.stepSeconds);
    runNearPass(a.w);
    const after = tiersOf(a.w);
    // Tiers can only differ by NPCs that moved across a band during the last pass's slices.
    let changed = 0;
    for (let i = 0; i < before.length; i++) if (before[i][1] !== after[i][1]) changed++;
    expect(changed).toBeLessThan(before.length * 0.01);
  });
});

describe('sliced near passes when players leave mid-scan', () => {
  it('a player that leaves before its scan slice offers nothing: tiers equal a one-shot pass over the others', () => {
    const a = setup(),
      b = setup();
    for (let i = 0; i < 3; i++) {
      runStep(a.w);
      runStep(b.w);
    }
    jump(a.w, a.players, 1);
    jump(b.w, b.players, 1);
    startNearSlices(b.w);
    stepNearSlices(b.w); // two of four scan slices done: the last player is scanned in the fourth
    despawnEntity(a.w, a.players[11]);
    despawnEntity(b.w, b.players[11]);
    a.w.spatial.rebuildPlayers(a.w, a.w.ctx.stepSeconds);
    b.w.spatial.rebuildPlayers(b.w, b.w.ctx.stepSeconds);
    while (phaseOf(b.w) !== NearPhase.none) stepNearSlices(b.w);
    runNearPass(a.w);
    expect(tiersOf(b.w)).toEqual(tiersOf(a.w));
    for (const [, , nearest] of tiersOf(b.w)) expect(nearest).not.toBe(b.players[11]);
  });
});
