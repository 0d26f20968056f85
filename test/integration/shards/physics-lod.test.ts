/**
 * Physics level of detail by tier (src/physics/physics-lod.ts) with real shard workers: dormant
 * NPCs leave the step and catch up coarsely, NPCs going dormant and coming back keep the state
 * hash identical with 0, 1, 2 and 4 shards, and a checkpoint taken mid-run restores bit-exact (also
 * across a switch of the level of detail); catch-ups are swept: fast NPCs never cross a thin wall.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { TierCode } from '../../../components/tier.js';
import { deflateSnapshot, inflateSnapshot, packSections, unpackSections } from '../../../src/persist/snapshot-format.js';
import { captureWorld, encodeCapture, restoreWorld } from '../../../src/persist/world-snapshot.js';
import { ShardService } from '../../../src/shards/shard-service.js';
import { populateNpcs } from '../../../src/world/populate.js';
import { createSimWorld, spawnPlayer, type SimWorld } from '../../../src/world/sim-world.js';
import { hashWorldState } from '../../../src/world/state-hash.js';
import { stepWorld } from '../../../src/world/step.js';
import { DEFAULT_SYSTEMS } from '../../../systems/index.js';
import { compiledFile } from '../../helpers/child-node.js';

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
  return startLod(w, true);
};

/** Two fast players crossing the world (optional), coarse movement from 500 NPCs, the shard service started. */
const startLod = async (w: SimWorld, players: boolean): Promise<SimWorld> => {
  if (players)
    for (const [x, y, vx, vy] of [
      [30, 30, 9, 7],
      [300, 60, -8, 8],
    ] as const) {
      const p = spawnPlayer(w, x, y, 60);
      w.stores.Velocity.x[p] = vx;
      w.stores.Velocity.y[p] = vy;
    }
  w.npcSim.coarseMoveMinNpcs = 500;
  // Worker threads start from the run's compiled shard worker when there is one (not through tsx's hooks).
  const service = new ShardService(w.id, w.physics!, { workerFile: await compiledFile('src/shards/shard-worker-entry.mjs') });
  services.push(service);
  await service.start();
  return w;
};

/** The NPC ids (1..NPCS) for which `bad` holds. */
const npcsWhere = (bad: (e: number) => boolean): number[] => {
  const out: number[] = [];
  for (let e = 1; e <= NPCS; e++) if (bad(e)) out.push(e);
  return out;
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
      // One expect per property over every NPC, naming the offenders (an expect per NPC was slow).
      expect(
        npcsWhere((e) => w.npcSim.movedStep[e] !== now),
        'NPCs not moved in the step after LOD off',
      ).toEqual([]);
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
      expect(
        npcsWhere((e) => !(((stamp - w.npcSim.movedStep[e]) & 0xffff) <= K)),
        `NPCs not moved within ${K} steps`,
      ).toEqual([]);
      const notStamped: number[] = [];
      for (let i = 0; i < wp.state.idCount; i++) {
        const e = wp.state.shared.ids[i];
        if (e <= NPCS && w.npcSim.movedStep[e] !== stamp) notStamped.push(e);
      }
      expect(notStamped, "bodies of the last step without the last step's stamp").toEqual([]);
      // World sane: every NPC inside the bounds.
      const x = w.stores.Position.x;
      expect(
        npcsWhere((e) => !(x[e] >= 0 && x[e] <= 330)),
        'NPCs outside 0 <= x <= 330',
      ).toEqual([]);
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

  it('a checkpoint restores bit-exact across a switch of the level of detail (its "was on" flag is saved)', async () => {
    const w = await lodWorld(0);
    const restore = async (src: SimWorld, minNpcs: number): Promise<SimWorld> => {
      const r = await restoreWorld(await encodeCapture(captureWorld(src)), { systems, physics: physicsBlock(0) });
      r.npcSim.coarseMoveMinNpcs = minNpcs;
      expect(r.physics?.lod.on).toBe(src.physics?.lod.on);
      return r;
    };
    const all: SimWorld[] = [w];
    const setLine = (n: number) => {
      for (const x of all) x.npcSim.coarseMoveMinNpcs = n;
    };
    const stepAll = (n: number) => {
      for (const x of all) stepWorld(x, n);
      const h = hashWorldState(w);
      for (const x of all) expect(hashWorldState(x)).toBe(h);
    };
    stepWorld(w, 237);
    // Saved with it on; the first step after the restore turns it off (catching every lagging NPC up).
    all.push(await restore(w, 500));
    setLine(10_000);
    stepAll(1);
    expect(w.physics?.lod.on).toBe(false);
    stepAll(20);
    // Saved just after it went off; it comes back on 5 steps later.
    stepAll(0);
    all.push(await restore(w, 10_000));
    stepAll(5);
    setLine(500);
    stepAll(1);
    expect(w.physics?.lod.on).toBe(true);
    // Saved on the first step back on; it goes off at once after the restore.
    all.push(await restore(w, 500));
    setLine(10_000);
    stepAll(1);
    setLine(500);
    stepAll(60);
    expect(all.length).toBe(4);
    // An older checkpoint (no physics block in its header) still restores; the flag is then taken as
    // whether the restored world runs with level of detail (here: no, it is below the default line).
    const { header, sections } = unpackSections<Record<string, unknown>>(await inflateSnapshot(await encodeCapture(captureWorld(w))));
    const { physics: _p, sections: _s, ...old } = header;
    const bytes = await deflateSnapshot(
      packSections(
        old,
        [...sections].map(([name, data]) => ({ name, data })),
      ),
    );
    const r = await restoreWorld(bytes, { systems, physics: physicsBlock(0) });
    expect(r.physics?.lod.on).toBe(false);
    expect(hashWorldState(r)).toBe(hashWorldState(w));
  }, 60_000);

  /** A cross of two thin walls (0.2 thick) splitting the 330² world into four quadrants. */
  const CROSS = [
    { minX: 165, minY: 0, maxX: 165.2, maxY: 330 },
    { minX: 0, minY: 165, maxX: 330, maxY: 165.2 },
  ];
  const quadrant = (x: number, y: number): number => (x < 165.1 ? 0 : 1) + (y < 165.1 ? 0 : 2);

  /** 1,500 fast NPCs (12 units/s: a dormant catch-up of 20 steps moves 12 units), with or without the cross; players optional. */
  const wallWorld = async (shards: number, walls: boolean, players: boolean): Promise<SimWorld> => {
    const physics = { ...physicsBlock(shards), obstacles: walls ? CROSS : [] };
    const w = createSimWorld({ id: `wall${shards}`, seed: 9, capacity: 1600, size: 330, systems, physics, config });
    populateNpcs(w, { count: NPCS, movingFraction: 1, maxSpeed: 3 });
    const P = w.stores.Position,
      V = w.stores.Velocity;
    for (let e = 1; e <= NPCS; e++) {
      // Off the walls at the start (a body spawned on one would be pushed to either side), heading
      // for them at 12 units/s, a little across.
      for (const k of [P.x, P.y]) if (Math.abs(k[e] - 165.1) < 2) k[e] += k[e] < 165.1 ? -2 : 2;
      const a = ((e * 0.618) % 1) * 0.8 - 0.4;
      const sx = P.x[e] < 165.1 ? 1 : -1,
        sy = P.y[e] < 165.1 ? 1 : -1;
      V.x[e] = (e & 1 ? sx * Math.cos(a) : sx * Math.sin(a)) * 12;
      V.y[e] = (e & 1 ? sy * Math.sin(a) : sy * Math.cos(a)) * 12;
    }
    return startLod(w, players);
  };

  it('swept catch-ups: fast NPCs aimed at a thin wall for many steps never reach the other side (0 and 2 shards, same hash)', async () => {
    const hashes: string[] = [];
    for (const shards of [0, 2]) {
      const w = await wallWorld(shards, true, true);
      const P = w.stores.Position;
      const home = new Uint8Array(NPCS + 1);
      for (let e = 1; e <= NPCS; e++) home[e] = quadrant(P.x[e], P.y[e]);
      let crossed = 0;
      for (let s = 0; s < 400; s++) {
        stepWorld(w, 1);
        for (let e = 1; e <= NPCS; e++) if (quadrant(P.x[e], P.y[e]) !== home[e]) crossed++;
      }
      const st = w.physics!.state.stats;
      expect(w.physics!.lod.on).toBe(true);
      expect(crossed).toBe(0); // none went through...
      expect(st.sweptContacts).toBeGreaterThan(1000); // ...though the catch-ups met the walls often
      hashes.push(hashWorldState(w));
      await w.physics?.pool?.close();
    }
    expect(new Set(hashes).size).toBe(1);
    // Without the walls the same NPCs do cross (the test is not vacuous).
    const open = await wallWorld(0, false, true);
    const P = open.stores.Position;
    const home = new Uint8Array(NPCS + 1);
    for (let e = 1; e <= NPCS; e++) home[e] = quadrant(P.x[e], P.y[e]);
    stepWorld(open, 100);
    let moved = 0;
    for (let e = 1; e <= NPCS; e++) if (quadrant(P.x[e], P.y[e]) !== home[e]) moved++;
    expect(moved).toBeGreaterThan(NPCS / 4);
  }, 120_000);

  it('swept catch-ups: an NPC whose path meets no wall ends exactly where it would without walls', async () => {
    // No players: every NPC dormant, moved only by the catch-up slice (no collisions couple them).
    const a = await wallWorld(0, true, false);
    const b = await wallWorld(0, false, false);
    const PA = a.stores.Position,
      PB = b.stores.Position;
    // An NPC is clear while its positions in the open world stay more than a radius off the walls'
    // lines (a straight path between two such positions on one side never comes closer).
    const clear = new Uint8Array(NPCS + 1).fill(1);
    const off = (v: number) => Math.abs(v - 165.1) > 1.1 + 0.01;
    let same = 0,
      checked = 0;
    for (let s = 0; s < 200; s++) {
      stepWorld(a, 1);
      stepWorld(b, 1);
      for (let e = 1; e <= NPCS; e++) {
        if (!clear[e]) continue;
        if (!off(PB.x[e]) || !off(PB.y[e]) || quadrant(PB.x[e], PB.y[e]) !== quadrant(PA.x[e], PA.y[e])) {
          clear[e] = 0;
          continue;
        }
        checked++;
        if (PA.x[e] === PB.x[e] && PA.y[e] === PB.y[e]) same++;
      }
    }
    expect(a.physics!.lod.on).toBe(true);
    let stillClear = 0;
    for (let e = 1; e <= NPCS; e++) stillClear += clear[e];
    expect(stillClear).toBeGreaterThan(100);
    expect(same).toBe(checked);
    expect(a.physics!.state.stats.sweptContacts).toBeGreaterThan(0);
  }, 60_000);
});
