import { describe, expect, it } from 'vitest';
import { buildObstacles, validateObstacles, type ObstacleRect } from '../../../src/physics/obstacles.js';
import { findPath } from '../../../src/physics/pathfinding.js';
import { createPathfinder } from '../../../src/physics/pathfinding.js';
import { createSimWorld, spawnNpc } from '../../../src/world/sim-world.js';
import { stepWorld } from '../../../src/world/step.js';
import { NAV_OUTCOMES, NavState, requestGoal } from '../../../src/physics/navigation.js';

const bounds = { minX: 0, minY: 0, maxX: 100, maxY: 100 };
const pfFor = (rects: ObstacleRect[]) => createPathfinder(buildObstacles(validateObstacles(rects), bounds, 4, 25, 1, 2), bounds);
const inside = (x: number, y: number, r: ObstacleRect) => x > r.minX && x < r.maxX && y > r.minY && y < r.maxY;

describe('pathfinding (A* over the obstacle raster)', () => {
  const wall = { minX: 48, minY: 0, maxX: 52, maxY: 90 }; // a wall with a gap at the top
  it('reaches a reachable goal around a wall, never through it', () => {
    const pf = pfFor([wall]);
    const r = findPath(pf, 10, 10, 90, 10);
    expect(r.outcome).toBe('found');
    expect(r.path.slice(-2)).toEqual([90, 10]);
    // Walk the polyline finely: no point inside the wall.
    for (let i = 0; i + 3 < r.path.length; i += 2) {
      for (let t = 0; t <= 1; t += 0.02) {
        const x = r.path[i] + (r.path[i + 2] - r.path[i]) * t,
          y = r.path[i + 1] + (r.path[i + 3] - r.path[i + 1]) * t;
        expect(inside(x, y, wall)).toBe(false);
      }
    }
    expect(Math.max(...r.path.filter((_, i) => i % 2 === 1))).toBeGreaterThan(90); // through the gap
    expect(findPath(pf, 10, 10, 90, 10)).toEqual(r); // deterministic
  });

  it('reports each unreachable case with its outcome, bounded', () => {
    const box = [
      { minX: 70, minY: 70, maxX: 90, maxY: 72 },
      { minX: 70, minY: 88, maxX: 90, maxY: 90 },
      { minX: 70, minY: 70, maxX: 72, maxY: 90 },
      { minX: 88, minY: 70, maxX: 90, maxY: 90 },
    ];
    const pf = pfFor([wall, ...box]);
    expect(findPath(pf, 10, 10, 80, 80).outcome).toBe('unreachable'); // walled-off goal (blocked path)
    expect(findPath(pf, 10, 10, 50, 50).outcome).toBe('goal-blocked');
    const snapped = findPath(pf, 50, 50, 10, 10); // start inside the wall: snapped to the nearest free cell
    expect(snapped.outcome).toBe('found');
    expect(snapped.startSnapped).toBe(true);
    expect(findPath(pfFor([{ minX: 20, minY: 20, maxX: 80, maxY: 80 }]), 50, 50, 10, 10, 4096, 2).outcome).toBe('start-blocked');
    const partial = findPath(pf, 10, 10, 90, 10, 20);
    expect(partial.outcome).toBe('budget-exceeded');
    expect(partial.expansions).toBeLessThanOrEqual(20);
    expect(partial.path.length).toBeGreaterThan(0);
    expect(findPath(pf, NaN, 10, 90, 10).outcome).toBe('out-of-bounds');
    expect(findPath(pf, 10, 10, 1e9, 10).outcome).toBe('out-of-bounds');
  });

  it('an NPC walks to its goal through the physics system; an unreachable goal fails with its outcome', () => {
    const w = createSimWorld({
      id: 'nav',
      capacity: 10,
      size: 100,
      physics: { shards: 0, obstacles: [wall], navigation: { speed: 5 } },
      config: { controller: { enabled: false }, simulation: { pauseSimulation: true, tickIntervalSeconds: 0.1 } },
    });
    const physics = w.physics!;
    expect(w.pipeline.map((e) => e.name)).toContain('physics');
    expect(w.pipeline.map((e) => e.name)).not.toContain('movement');
    const a = spawnNpc(w, 10, 10);
    const b = spawnNpc(w, 10, 30);
    w.stores.Tier.tier[a] = w.stores.Tier.tier[b] = 0;
    requestGoal(physics.nav, a, 90, 10);
    requestGoal(physics.nav, b, 50, 50); // inside the wall
    for (let i = 0; i < 600 && physics.nav.state[a] !== NavState.arrived; i++) {
      stepWorld(w, 1);
      expect(inside(w.stores.Position.x[a], w.stores.Position.y[a], wall)).toBe(false);
    }
    expect(physics.nav.state[a]).toBe(NavState.arrived);
    expect(Math.hypot(w.stores.Position.x[a] - 90, w.stores.Position.y[a] - 10)).toBeLessThan(2);
    expect(physics.nav.state[b]).toBe(NavState.failed);
    expect(NAV_OUTCOMES[physics.nav.outcome[b]]).toBe('goal-blocked');
  });
});
