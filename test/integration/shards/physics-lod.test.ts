/**
 * Physics level of detail by tier (src/physics/physics-lod.ts) with real shard workers: dormant
 * NPCs leave the step and catch up coarsely, NPCs going dormant and coming back keep the state
 * hash identical with 0, 1, 2 and 4 shards, and a checkpoint taken mid-run restores bit-exact.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { TierCode } from '../../../components/tier.js';
import { captureWorld, encodeCapture, restoreWorld } from '../../../src/persist/world-snapshot.js';
import { ShardService } from '../../../src/shards/shard-service.js';
import { populateNpcs } from '../../../src/world/populate.js';
import { createSimWorld, spawnPlayer, type SimWorld } from '../../../src/world/sim-world.js';
import { hashWorldState } from '../../../src/world/state-hash.js';
import { stepWorld } from '../../../src/world/step.js';
import { DEFAULT_SYSTEMS } from '../../../systems/index.js';

const services: ShardService[] = [];
afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
});

const NPCS = 1500;
const systems = DEFAULT_SYSTEMS.filter((e) => ['time', 'tiering', 'movement'].includes(e.name));
const physicsBlock = (shards: number) => ({
  obstacles: [
    { minX: 100, minY: 100, maxX: 160, maxY: 130 },
    { minX: 250, minY: 40, maxX: 260, maxY: 300 },
  ],
  tuning: { cellSize: 4, perceptionRadius: 10 },
  shards,
  mode: shards > 0 ? 'shards' : 'inline',
  mainRuns: false,
});
const config = {
  controller: { enabled: false },
  simulation: {
    pauseSimulation: true,
    tickIntervalSeconds: 0.05,
    spatialCellSize: 16,
    // Small caps and radii: most NPCs dormant, and walking players move NPCs in and out of it.
    tiers: {
      detailed: { maxNpcs: 30, radius: 15 },
      active: { maxNpcs: 120, radius: 40 },
      ambient: { maxNpcs: 300, radius: 70 },
    },
  },
};

/** 1,500 NPCs in 330², two fast players crossing it, tiering + physics; coarse movement from 500 NPCs. */
const lodWorld = async (shards: number): Promise<SimWorld> => {
  const w = createSimWorld({ id: `lod${shards}`, seed: 5, capacity: 1600, size: 330, systems, physics: physicsBlock(shards), config });
  populateNpcs(w, { count: NPCS, movingFraction: 0.9, maxSpeed: 3 });
  for (const [x, y, vx, vy] of [
    [30, 30, 9, 7],
    [300, 60, -8, 8],
  ] as const) {
    const p = spawnPlayer(w, x, y, 60);
    w.stores.Velocity.x[p] = vx;
    w.stores.Velocity.y[p] = vy;
  }
  w.npcSim.coarseMoveMinNpcs = 500;
  const service = new ShardService(w.id, w.physics!);
  services.push(service);
  await service.start();
  return w;
};

/** Step `n` steps, counting NPCs that left dormant and that went (back) dormant. */
const stepCounting = (w: SimWorld, n: number, prev: Uint8Array, moves: { out: number; back: number }): void => {
  const tier = w.stores.Tier.tier;
  for (let s = 0; s < n; s++) {
    stepWorld(w, 1);
    for (let e = 1; e <= NPCS; e++) {
      if (prev[e] === TierCode.dormant && tier[e] !== TierCode.dormant) moves.out++;
      else if (prev[e] !== TierCode.dormant && tier[e] === TierCode.dormant) moves.back++;
      prev[e] = tier[e];
    }
  }
};

describe('physics level of detail by tier', () => {
  it('dormant NPCs leave the step and come back: identical hashes with 0, 1, 2 and 4 shards; no NPC lags', async () => {
    const hashes: string[] = [];
    for (const shards of [0, 1, 2, 4]) {
      const w = await lodWorld(shards);
      const wp = w.physics!;
      const prev = new Uint8Array(NPCS + 1).fill(TierCode.dormant);
      const moves = { out: 0, back: 0 };
      stepCounting(w, 300, prev, moves);
      // Level of detail off for a while (the world "shrinks" below the line): every lagging NPC is
      // caught up at once and then stepped every step; then on again.
      w.npcSim.coarseMoveMinNpcs = 10_000;
      stepCounting(w, 1, prev, moves);
      expect(wp.lod.on).toBe(false);
      const now = (w.ctx.step + 1) & 0xffff;
      for (let e = 1; e <= NPCS; e++) expect(w.npcSim.movedStep[e]).toBe(now);
      stepCounting(w, 49, prev, moves);
      w.npcSim.coarseMoveMinNpcs = 500;
      stepCounting(w, 150, prev, moves);
      hashes.push(hashWorldState(w));
      const st = wp.state.stats;
      expect(wp.lod.on).toBe(true);
      expect(moves.out).toBeGreaterThan(20); // promoted out of dormant (rejoined the step)...
      expect(moves.back).toBeGreaterThan(20); // ...and demoted back into it (left the step)
      expect(st.coarseMoves).toBeGreaterThan(0);
      expect(st.bodies).toBeLessThan(500 * (NPCS + 2) * 0.7); // dormant NPCs are not stepped (but for 50 steps)
      expect(wp.lod.lastStepBodies).toBeLessThan(NPCS / 2);
      // Every NPC has been moved within the last dormantMoveSteps steps (none loses simulated time
      // beyond the rotation), and every body of the last step through it.
      const stamp = (w.ctx.step + 1) & 0xffff; // the last step's stamp
      const K = w.npcSim.dormantMoveSteps;
      for (let e = 1; e <= NPCS; e++) expect((stamp - w.npcSim.movedStep[e]) & 0xffff).toBeLessThanOrEqual(K);
      for (let i = 0; i < wp.state.idCount; i++) {
        const e = wp.state.shared.ids[i];
        if (e <= NPCS) expect(w.npcSim.movedStep[e]).toBe(stamp);
      }
      // World sane: every NPC inside the bounds.
      for (let e = 1; e <= NPCS; e++) {
        expect(w.stores.Position.x[e]).toBeGreaterThanOrEqual(0);
        expect(w.stores.Position.x[e]).toBeLessThanOrEqual(330);
      }
      await wp.pool?.close();
    }
    expect(new Set(hashes).size).toBe(1);
  }, 120_000);

  it('dormant NPCs outside the step are still guarded: NaN quarantined, absurd speed clamped, pushed out of obstacles', async () => {
    const w = await lodWorld(0);
    stepWorld(w, 60);
    const P = w.stores.Position,
      V = w.stores.Velocity,
      tier = w.stores.Tier.tier;
    const dormant: number[] = [];
    for (let e = 1; e <= NPCS && dormant.length < 3; e++) if (tier[e] === TierCode.dormant) dormant.push(e);
    const [nan, fast, walled] = dormant as [number, number, number];
    const st = w.physics!.state.stats;
    const before = { q: st.quarantined, v: st.velocityClamped, o: st.obstaclePushes, c: st.coarseMoves };
    P.x[nan] = Number.NaN;
    V.x[fast] = 1e30;
    P.x[walled] = 130; // inside the rect (100..160, 100..130)
    P.y[walled] = 115;
    V.x[walled] = 0;
    V.y[walled] = 0;
    stepWorld(w, w.npcSim.dormantMoveSteps + 1); // one rotation: each is in the slice once
    expect(st.coarseMoves).toBeGreaterThan(before.c);
    expect(st.quarantined).toBeGreaterThan(before.q);
    expect(st.velocityClamped).toBeGreaterThan(before.v);
    expect(st.obstaclePushes).toBeGreaterThan(before.o);
    expect(Number.isFinite(P.x[nan])).toBe(true);
    expect(Math.hypot(V.x[fast], V.y[fast])).toBeLessThanOrEqual(w.physics!.state.config.maxSpeed * 1.0001);
    const inside = (x: number, y: number) => x > 100 && x < 160 && y > 100 && y < 130;
    expect(inside(P.x[walled], P.y[walled])).toBe(false);
    await w.physics?.pool?.close();
  }, 60_000);

  it('a checkpoint taken with NPCs outside the step restores bit-exact', async () => {
    const w = await lodWorld(0);
    stepWorld(w, 237); // mid-rotation, ambient turns and rejoin lags pending
    expect(w.physics?.lod.on).toBe(true);
    const r = await restoreWorld(await encodeCapture(captureWorld(w)), { systems, physics: physicsBlock(0) });
    r.npcSim.coarseMoveMinNpcs = 500;
    expect(hashWorldState(r)).toBe(hashWorldState(w));
    for (let k = 0; k < 4; k++) {
      stepWorld(w, 40);
      stepWorld(r, 40);
      expect(hashWorldState(r)).toBe(hashWorldState(w));
    }
  }, 60_000);
});
