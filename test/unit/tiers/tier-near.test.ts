import { describe, expect, it } from 'vitest';
import { query } from 'bitecs';
import { populateNpcs } from '../../../src/world/populate.js';
import { spawnPlayer } from '../../../src/world/sim-world.js';
import { runStep } from '../../../src/world/step.js';
import { tierForDistance } from '../../../src/tiers/tier-assign.js';
import { nearPassAllowed, runNearPass } from '../../../src/tiers/tier-near.js';
import { selectDue } from '../../../src/tiers/select.js';
import { tierWorld } from './helpers.js';

const R0 = 50,
  R1 = 150,
  R2 = 300,
  H = 5;

/** 4,000 NPCs, 12 players, caps that do not bind; near passes enabled at any size and coverage. */
const setup = () => {
  const w = tierWorld({
    capacity: 5000,
    size: 3000,
    sim: { tiers: { detailed: { maxNpcs: 5000 }, active: { maxNpcs: 5000 }, ambient: { maxNpcs: 5000 } } },
  });
  w.npcSim.nearMinNpcs = 0;
  w.npcSim.nearMaxShare = 1;
  populateNpcs(w, { count: 4000 });
  const players: number[] = [];
  for (let i = 0; i < 12; i++) players.push(spawnPlayer(w, 200 + (i % 4) * 800, 300 + Math.floor(i / 4) * 1000));
  return { w, players };
};

/** Brute force: nearest player within R2 + H by current positions. */
const expected = (w: ReturnType<typeof setup>['w'], players: number[], e: number) => {
  const P = w.stores.Position;
  let best = Infinity,
    who = -1;
  for (const p of players) {
    const d2 = (P.x[p] - P.x[e]) ** 2 + (P.y[p] - P.y[e]) ** 2;
    if (d2 <= (R2 + H) ** 2 && d2 < best) {
      best = d2;
      who = p;
    }
  }
  return { d: Math.sqrt(best), who };
};

describe('near (incremental) tiering passes', () => {
  it('give every NPC the tier a full pass would, after players jump into far crowds', () => {
    const { w, players } = setup();
    for (let i = 0; i < 3; i++) runStep(w);
    const T = w.stores.Tier;
    const npcs = Array.from(query(w, [w.stores.Position, w.stores.Npc]));
    for (let round = 0; round < 4; round++) {
      // Players jump (into crowds that were far dormant) and walk; NPCs keep their positions.
      players.forEach((p, i) => {
        w.stores.Position.x[p] = 150 + ((i * 977 + round * 613) % 2700);
        w.stores.Position.y[p] = 150 + ((i * 541 + round * 389) % 2700);
      });
      w.spatial.rebuildPlayers(w, w.ctx.stepSeconds);
      expect(nearPassAllowed(w)).toBe(true);
      const before = new Map(npcs.map((e) => [e, T.tier[e]]));
      runNearPass(w);
      for (const e of npcs) {
        const { d, who } = expected(w, players, e);
        expect(T.tier[e], `npc ${e} round ${round}`).toBe(tierForDistance(d, before.get(e)!, R0, R1, R2, H));
        expect(T.nearest[e]).toBe(who);
        if (who >= 0) expect(T.dist[e]).toBeCloseTo(d, 2);
        else expect(T.dist[e]).toBe(Infinity);
      }
      const per = [0, 0, 0, 0];
      for (const e of npcs) per[T.tier[e]]++;
      expect(Array.from(w.tierStats.npcsPerTier)).toEqual(per);
    }
  });

  it('the due heaps select exactly the most overdue due NPCs per tier, as a full scan would', () => {
    const { w } = setup();
    w.config.simulation.maxNpcTicksPerStep = 300;
    w.ctx.budgets.npcTicks = 300;
    for (let step = 0; step < 60; step++) {
      runStep(w);
      // After the step: what the next selection must pick, by brute force over the stores.
      const T = w.stores.Tier;
      const now = w.clock.now;
      const npcs = Array.from(query(w, [w.stores.Position, w.stores.Npc]));
      const dueByTier: number[][] = [[], [], [], []];
      for (const e of npcs) if (T.frozen[e] === 0 && T.nextTickAt[e] <= now) dueByTier[T.tier[e]].push(e);
      for (const l of dueByTier) l.sort((a, b) => T.nextTickAt[a] - T.nextTickAt[b] || a - b);
      selectDue(w, w.ctx);
      const s = w.npcSim;
      let k = 0;
      for (let t = 0; t < 4; t++) {
        const q = w.tierStats.ticksPerTier[t];
        expect(Array.from(s.selected.subarray(k, k + q)), `step ${step} tier ${t}`).toEqual(dueByTier[t].slice(0, q));
        expect(q).toBeLessThanOrEqual(dueByTier[t].length);
        k += q;
      }
      // Undo the extra selection's bookkeeping: the next step's own selection redoes it.
      s.selectedPending = true;
    }
  });

  it('are not used below nearMinNpcs, with tier zones, or when players cover most NPCs (full passes there)', () => {
    const { w } = setup();
    for (let i = 0; i < 3; i++) runStep(w);
    expect(nearPassAllowed(w)).toBe(true);
    w.npcSim.nearMaxShare = 0.01; // ~40 % of these NPCs have a player within R
    expect(nearPassAllowed(w)).toBe(false);
    w.npcSim.nearMaxShare = 1;
    w.npcSim.nearMinNpcs = 20_000;
    expect(nearPassAllowed(w)).toBe(false);
  });
});
