import { describe, expect, it } from 'vitest';
import { TierCode } from '../../../components/tier.js';
import { ErrorCode } from '../../../src/errors.js';
import { resolvePhysicsConfig } from '../../../src/physics/physics-config.js';
import { validateObstacles } from '../../../src/physics/obstacles.js';
import { BodyKind } from '../../../src/physics/physics-types.js';
import { makeFixture, rng, stepInline } from './fixture.js';

const minPairDistance = (x: Float32Array, y: Float32Array, n: number): number => {
  let best = Infinity;
  for (let i = 1; i <= n; i++) for (let j = i + 1; j <= n; j++) best = Math.min(best, Math.hypot(x[i] - x[j], y[i] - y[j]));
  return best;
};

describe('physics: collision, obstacles, edges', () => {
  it('separates overlapping bodies and keeps moving ones apart', () => {
    const n = 400;
    const { ps, stores } = makeFixture(n, 100);
    const r = rng(7);
    const P = stores.Position,
      V = stores.Velocity;
    for (let e = 1; e <= n; e++) {
      P.x[e] = 10 + r() * 80;
      P.y[e] = 10 + r() * 80;
      V.x[e] = (r() - 0.5) * 2;
      V.y[e] = (r() - 0.5) * 2;
    }
    expect(minPairDistance(P.x, P.y, n)).toBeLessThan(0.5); // starts with overlaps
    for (let s = 0; s < 300; s++) stepInline(ps, s, 0.05);
    // Two radii = 2; the soft solver leaves at most a small residual overlap per step (v·dt).
    expect(minPairDistance(P.x, P.y, n)).toBeGreaterThan(1.8);
    expect(ps.stats.pairs).toBeGreaterThan(0);
  });

  it('keeps bodies out of obstacle rectangles; NPCs turn, players slide', () => {
    const n = 200;
    const wall = { minX: 40, minY: 0, maxX: 60, maxY: 100 };
    const { ps, stores } = makeFixture(n, 100, {}, validateObstacles([wall]));
    const r = rng(3);
    for (let e = 1; e <= n; e++) {
      stores.Position.x[e] = 5 + r() * 30;
      stores.Position.y[e] = 5 + r() * 90;
      stores.Velocity.x[e] = 3 + r() * 3; // all walk east, into the wall
      stores.Velocity.y[e] = e % 2 ? 0.5 : -0.5;
    }
    ps.shared.kind[1] = BodyKind.player;
    for (let s = 0; s < 400; s++) {
      stores.Velocity.x[1] = 4; // the player holds east
      stepInline(ps, s, 0.05);
      let bad = 0;
      for (let e = 1; e <= n; e++) {
        const x = stores.Position.x[e];
        if (!(x <= wall.minX - 0.99 || x >= wall.maxX + 0.99)) bad++;
      }
      expect(bad, `bodies inside the wall at step ${s}`).toBe(0);
    }
    expect(ps.stats.obstaclePushes).toBeGreaterThan(0);
    expect(stores.Position.x[1]).toBeCloseTo(wall.minX - 1, 4); // player pressed against it
    expect(stores.Velocity.x[1]).toBe(0);
  });

  it('players stop at the world edge (no bounce, no vibration); NPCs turn', () => {
    const { ps, stores } = makeFixture(2, 50);
    ps.shared.kind[1] = BodyKind.player;
    const P = stores.Position,
      V = stores.Velocity;
    P.x[1] = 45;
    P.y[1] = 10;
    V.x[1] = 10; // one input toward the east edge
    P.x[2] = 45;
    P.y[2] = 40;
    V.x[2] = 10; // an NPC walking east
    const xs: number[] = [];
    for (let s = 0; s < 20; s++) {
      stepInline(ps, s, 0.1);
      xs.push(P.x[1]);
    }
    expect(Math.max(...xs)).toBe(49); // maxX − radius
    expect(P.x[1]).toBe(49); // stays there: no bounce back
    expect(V.x[1]).toBe(0);
    // Holding into the wall (input every step): exactly at the edge every step, no vibration.
    for (let s = 20; s < 40; s++) {
      V.x[1] = 10;
      stepInline(ps, s, 0.1);
      expect(P.x[1]).toBe(49);
    }
    expect(V.x[2]).toBe(-10); // the NPC turned
    expect(P.x[2]).toBeLessThan(49);
    expect(ps.stats.edgeStops).toBeGreaterThan(0);
  });

  it('10,000 bodies dropped into one cell: bounded work, sane world, counted', () => {
    const n = 10_000;
    const { ps, stores } = makeFixture(n, 200, { maxPerCell: 32 });
    for (let e = 1; e <= n; e++) {
      stores.Position.x[e] = 100.5;
      stores.Position.y[e] = 100.5;
    }
    for (let s = 0; s < 5; s++) stepInline(ps, s, 0.05);
    // Work per body is capped: at most 9 cells × maxPerCell neighbours examined.
    expect(ps.stats.pairs).toBeLessThanOrEqual(5 * n * 9 * 32);
    expect(ps.stats.cellCapped).toBeGreaterThan(0);
    let insane = 0;
    for (let e = 1; e <= n; e++) {
      const x = stores.Position.x[e],
        y = stores.Position.y[e];
      if (!(Number.isFinite(x) && Number.isFinite(y) && x >= 0 && x <= 200 && y >= 0 && y <= 200)) insane++;
    }
    expect(insane).toBe(0);
    // The pile spreads out: bodies leave the cell.
    let moved = 0;
    for (let e = 1; e <= n; e++) if (Math.abs(stores.Position.x[e] - 100.5) > 1) moved++;
    expect(moved).toBeGreaterThan(0);
  });

  it('a NaN position is quarantined and an absurd velocity clamped, each counted', () => {
    const { ps, stores } = makeFixture(3, 100, { maxSpeed: 20 });
    const P = stores.Position,
      V = stores.Velocity;
    P.x[1] = 10;
    P.y[1] = 10;
    P.x[2] = 50;
    P.y[2] = 50;
    V.x[2] = 1e30;
    V.y[2] = -1e30;
    P.x[3] = 70;
    P.y[3] = 70;
    stepInline(ps, 0, 0.05);
    P.x[1] = NaN; // corrupted between steps
    V.y[3] = Infinity;
    P.y[3] = -1e9; // teleported far outside
    stepInline(ps, 1, 0.05);
    expect(ps.stats.quarantined).toBe(1);
    expect(ps.stats.velocityClamped).toBeGreaterThanOrEqual(2);
    expect(ps.stats.positionClamped).toBe(1);
    expect(P.x[1]).toBe(10); // back at its last good position, at rest
    expect(V.x[1]).toBe(0);
    expect(Math.hypot(V.x[2], V.y[2])).toBeLessThanOrEqual(20.0001);
    for (let e = 1; e <= 3; e++) {
      expect(Number.isFinite(P.x[e]) && Number.isFinite(P.y[e])).toBe(true);
      expect(P.y[e]).toBeGreaterThanOrEqual(0);
    }
    stepInline(ps, 2, 0.05); // and the world steps on normally
    expect(ps.stats.quarantined).toBe(1);
  });

  it('level of detail: dormant NPCs do not collide, detailed ones do', () => {
    const { ps, stores } = makeFixture(2, 50, {}, [], TierCode.dormant);
    stores.Position.x[1] = 20;
    stores.Position.y[1] = 20;
    stores.Position.x[2] = 20.5;
    stores.Position.y[2] = 20;
    stepInline(ps, 0, 0.05);
    expect(stores.Position.x[2] - stores.Position.x[1]).toBeCloseTo(0.5, 5);
    stores.Tier.tier[1] = stores.Tier.tier[2] = TierCode.detailed;
    stepInline(ps, 1, 0.05);
    expect(stores.Position.x[2] - stores.Position.x[1]).toBeGreaterThan(0.5);
  });

  it('option and obstacle validation name every problem', () => {
    expect(() => resolvePhysicsConfig({ cellSize: 1, npcRadius: 2, maxPerCell: 0 })).toThrowError(
      /physics.maxPerCell must be an integer between 1 and 1000000/,
    );
    expect(() => resolvePhysicsConfig({ cellSize: 1, npcRadius: 2 })).toThrowError(
      /physics.cellSize 1 must be >= 2 × the largest body radius/,
    );
    try {
      validateObstacles([{ minX: 0, minY: 0, maxX: 1, maxY: 1 }, { minX: 5, minY: 0, maxX: 1, maxY: 1 }, { minX: 'a' }]);
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ code: ErrorCode.CONFIG_INVALID });
      expect(String(err)).toMatch(/obstacles\[1\] must have minX < maxX/);
      expect(String(err)).toMatch(/obstacles\[2\]\.minX must be a finite number/);
    }
    expect(() => validateObstacles({})).toThrowError(/obstacles must be an array/);
  });
});
