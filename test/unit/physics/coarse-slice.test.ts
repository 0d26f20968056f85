/**
 * The dormant slice's one-pass catch-ups (src/physics/physics-lod.ts `coarseSlice`) against
 * `coarseMove` body by body: the same stores, bit for bit, and the same counters, for NPCs far from
 * and near thin walls, at edges, with long lags, and anomalous (non-finite, outside, too fast).
 */
import { describe, expect, it } from 'vitest';
import type { ObstacleRect } from '../../../src/physics/obstacles.js';
import { coarseMove, coarseSlice } from '../../../src/physics/coarse-catch-up.js';
import { makeFixture, rng } from './fixture.js';

const N = 4000,
  SIZE = 400;

/** Thin walls on a lattice (one per 50 × 50). */
const walls = (): ObstacleRect[] => {
  const out: ObstacleRect[] = [];
  for (let x = 25; x < SIZE; x += 50) for (let y = 10; y < SIZE - 30; y += 50) out.push({ minX: x, minY: y, maxX: x + 0.5, maxY: y + 20 });
  return out;
};

const seed = (f: ReturnType<typeof makeFixture>, moved: Uint16Array): void => {
  const rand = rng(7);
  const s = f.ps.shared;
  for (let e = 1; e <= N; e++) {
    s.px[e] = rand() * SIZE;
    s.py[e] = rand() * SIZE;
    s.vx[e] = (rand() - 0.5) * 6;
    s.vy[e] = (rand() - 0.5) * 6;
    s.lastX[e] = rand() * SIZE;
    s.lastY[e] = rand() * SIZE;
    moved[e] = (100 - Math.floor(rand() * 80)) & 0xffff;
    const k = rand();
    if (k < 0.01) s.px[e] = Number.NaN;
    else if (k < 0.02) s.vy[e] = Number.POSITIVE_INFINITY;
    else if (k < 0.03) s.px[e] = SIZE + 50;
    else if (k < 0.04) s.vx[e] = 1e4;
    else if (k < 0.08) s.px[e] = rand() < 0.5 ? 0.2 : SIZE - 0.2;
    else if (k < 0.1) moved[e] = 101; // already moved through the stamp
  }
};

describe('coarseSlice', () => {
  it('moves every NPC of the slice exactly as coarseMove does, with the same counters', () => {
    const opts = { cellSize: 4, npcRadius: 0.5, playerRadius: 0.5, maxSpeed: 5 };
    const a = makeFixture(N, SIZE, opts, walls()),
      b = makeFixture(N, SIZE, opts, walls());
    const movedA = new Uint16Array(N + 1),
      movedB = new Uint16Array(N + 1);
    seed(a, movedA);
    seed(b, movedB);
    const npcs = Int32Array.from({ length: N }, (_, i) => i + 1);
    const stamp = 101,
      maxLag = 63,
      dt = 0.05;
    const o = new Float64Array(4);
    let movedRef = 0;
    for (let k = 0; k < N; k++) {
      const e = npcs[k];
      if (movedA[e] === stamp) continue;
      let lag = (stamp - movedA[e]) & 0xffff;
      if (lag > maxLag) lag = maxLag;
      coarseMove(a.ps, e, dt * lag, o);
      movedA[e] = stamp;
      movedRef++;
    }
    const moves = coarseSlice(b.ps, npcs, 0, N, movedB, stamp, maxLag, dt, o);
    expect(moves).toBe(movedRef);
    expect(movedB).toEqual(movedA);
    const sa = a.ps.shared,
      sb = b.ps.shared;
    for (const k of ['px', 'py', 'vx', 'vy', 'lastX', 'lastY'] as const)
      expect(Buffer.from(sb[k].buffer)).toEqual(Buffer.from(sa[k].buffer));
    expect(b.ps.stats).toEqual(a.ps.stats);
    // The case mix happened: contacts with walls, anomalies guarded.
    expect(a.ps.stats.sweptContacts).toBeGreaterThan(0);
    expect(a.ps.stats.quarantined + a.ps.stats.velocityClamped + a.ps.stats.positionClamped).toBeGreaterThan(0);
  });
});
