import { describe, expect, it } from 'vitest';
import { query } from 'bitecs';
import { populateNpcs } from '../../../src/world/populate.js';
import { spawnPlayer } from '../../../src/world/sim-world.js';
import { runStep } from '../../../src/world/step.js';
import { hashWorldState } from '../../../src/core/state-hash.js';
import { createGridBuild, GridBuildPhase, stepGridBuild, swapGridBuild } from '../../../src/tiers/grid-build.js';
import { tierWorld } from './helpers.js';

/** Near passes, coarse movement and a small grid cell, so the NPC grid's margin passes 0.3 cells within steps. */
const setup = (seed = 1) => {
  const w = tierWorld({ capacity: 4000, size: 2000, seed, sim: { spatialCellSize: 16 } });
  w.npcSim.nearMinNpcs = 0;
  w.npcSim.nearMaxShare = 1;
  w.npcSim.coarseMoveMinNpcs = 0;
  w.npcSim.dormantMoveSteps = 4;
  w.npcSim.gridBuildParts = 8;
  populateNpcs(w, { count: 3000, movingFraction: 0.9, maxSpeed: 3 });
  for (let i = 0; i < 6; i++) {
    const p = spawnPlayer(w, 150 + 300 * i, 200 + 250 * i);
    w.stores.Velocity.x[p] = 4;
  }
  return w;
};

describe('NPC grid rebuilt in slices (src/tiers/grid-build.ts)', () => {
  it('runs alongside near passes, swaps in a fresh grid, and queryRadius stays exact every step', () => {
    const w = setup();
    const { x, y } = w.stores.Position;
    const { x: vx, y: vy } = w.stores.Velocity;
    const npcs = Array.from(query(w, [w.stores.Position, w.stores.Npc]));
    const out: number[] = [];
    let building = 0,
      swaps = 0,
      lastMargin = 0;
    for (let s = 0; s < 120; s++) {
      runStep(w);
      if (w.spatial.npcBuilding()) building++;
      if (w.spatial.margin() < lastMargin) swaps++;
      lastMargin = w.spatial.margin();
      // Near passes keep the grid's margin under their limit: no whole rebuild is needed.
      expect(w.spatial.margin()).toBeLessThanOrEqual(w.spatial.cellSize * 0.5 + 0.5);
      for (let q = 0; q < 10; q++) {
        const qx = (q * 137 + s * 29) % 2000,
          qy = (q * 311 + s * 53) % 2000,
          r = 10 + (q % 5) * 25;
        w.spatial.queryRadius(qx, qy, r, out);
        const want: number[] = [];
        for (let e = 1; e <= 3006; e++) if ((x[e] - qx) ** 2 + (y[e] - qy) ** 2 <= r * r) want.push(e);
        expect([...out].sort((a, b) => a - b)).toEqual(want);
      }
      for (let q = 0; q < 40; q++) {
        const e = npcs[(q * 97 + s * 31) % npcs.length];
        const v = Math.hypot(vx[e], vy[e]);
        if (v === 0) continue;
        const r = 6;
        w.spatial.queryRadius(x[e] + (vx[e] / v) * r * 0.999, y[e] + (vy[e] / v) * r * 0.999, r, out);
        expect(out).toContain(e);
      }
    }
    expect(building).toBeGreaterThan(5);
    expect(swaps).toBeGreaterThanOrEqual(2);
  });

  it('is deterministic: same seed, same state hash', () => {
    const run = () => {
      const w = setup(5);
      for (let s = 0; s < 50; s++) runStep(w);
      return hashWorldState(w);
    };
    expect(run()).toBe(run());
  });

  it('builds the same grid as a one-shot rebuild (cell order, query order within a cell), packed or not', () => {
    const w = setup(3);
    // Crowd one row and one cell too (a row longer than the row scratch's first size).
    const npcs = query(w, [w.stores.Position, w.stores.Npc]);
    for (let i = 0; i < 1500; i++) {
      const e = npcs[i * 2];
      w.stores.Position.x[e] = (i * 7.3) % 2000;
      w.stores.Position.y[e] = i % 3 === 0 ? 1000.5 : 1003;
    }
    const { Position, Velocity } = w.stores;
    w.spatial.rebuildNpcs(w, 1);
    const g = w.spatial.npcGrid;
    const want = {
      cellStart: g.cellStart.slice(),
      items: g.items.slice(0, g.n),
      itemX: g.itemX.slice(0, g.n),
      itemY: g.itemY.slice(0, g.n),
    };
    for (const packed of [true, false]) {
      for (const parts of [1, 7, 64]) {
        const b = createGridBuild(g, npcs.length, 0);
        b.packed = packed;
        let slices = 0;
        while (!stepGridBuild(b, g, npcs, Position.x, Position.y, Velocity.x, Velocity.y, parts)) slices++;
        expect(b.phase).toBe(GridBuildPhase.ready);
        expect(slices).toBeLessThanOrEqual(parts + 4);
        expect(b.cellStart).toEqual(want.cellStart);
        expect(b.items.slice(0, npcs.length)).toEqual(want.items);
        expect(b.itemX.slice(0, npcs.length)).toEqual(want.itemX);
        expect(b.itemY.slice(0, npcs.length)).toEqual(want.itemY);
        // Swapped in, the grid answers as before (and the build then holds the retired slots).
        swapGridBuild(b, g);
        const out: number[] = [];
        w.spatial.queryRadius(1000, 1001, 40, out);
        const brute: number[] = [];
        for (let e = 1; e < Position.x.length; e++)
          if ((w.spatial.kindOf[e] ?? 0) !== 0 && (Position.x[e] - 1000) ** 2 + (Position.y[e] - 1001) ** 2 <= 1600) brute.push(e);
        expect([...out].sort((x, y) => x - y)).toEqual(brute);
      }
    }
  });

  it('a whole rebuild of a large world (through the build code) gives the cell-ordered grid of the current positions', () => {
    const w = tierWorld({ capacity: 20_100, size: 4000, seed: 9, sim: { spatialCellSize: 16 } });
    populateNpcs(w, { count: 20_000, movingFraction: 0.5, maxSpeed: 3 });
    const { Position } = w.stores;
    w.spatial.rebuildNpcs(w, 1);
    const g = w.spatial.npcGrid;
    const npcs = query(w, [Position, w.stores.Npc]);
    const order = new Int32Array(Position.x.length);
    for (let i = 0; i < npcs.length; i++) order[npcs[i]] = i;
    expect(g.n).toBe(20_000);
    expect(g.cellStart[g.cols * g.rows]).toBe(20_000);
    let bad = 0;
    for (let c = 0; c < g.cols * g.rows; c++) {
      for (let j = g.cellStart[c]; j < g.cellStart[c + 1]; j++) {
        const e = g.items[j];
        const cx = Math.min(g.cols - 1, Math.max(0, Math.floor((Position.x[e] - g.minX) * g.inv)));
        const cy = Math.min(g.rows - 1, Math.max(0, Math.floor((Position.y[e] - g.minY) * g.inv)));
        if (cy * g.cols + cx !== c || g.itemX[j] !== Position.x[e] || g.itemY[j] !== Position.y[e]) bad++;
        if (j > g.cellStart[c] && order[g.items[j - 1]] > order[e]) bad++;
      }
    }
    expect(bad).toBe(0);
  });
});
