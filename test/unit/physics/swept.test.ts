/**
 * Swept motion against obstacles (src/physics/swept.ts), against a brute-force check: the distance
 * from points along the segment to every rectangle, sampled finely.
 */
import { describe, expect, it } from 'vitest';
import type { ObstacleRect } from '../../../src/physics/obstacles.js';
import { MAX_SWEPT_BOUNCES, sweepObstacles, sweptMove } from '../../../src/physics/swept.js';
import { makeFixture, rng } from './fixture.js';

const distToRect = (x: number, y: number, b: ObstacleRect): number => {
  const qx = Math.min(Math.max(x, b.minX), b.maxX),
    qy = Math.min(Math.max(y, b.minY), b.maxY);
  return Math.hypot(x - qx, y - qy);
};

/** Random thin walls and blocks in a 200² world. */
const randomRects = (rand: () => number, n: number): ObstacleRect[] => {
  const out: ObstacleRect[] = [];
  for (let i = 0; i < n; i++) {
    const x = 10 + rand() * 170,
      y = 10 + rand() * 170;
    const kind = rand();
    const w = kind < 0.4 ? 0.05 + rand() * 0.3 : 1 + rand() * 20,
      h = kind < 0.4 ? 5 + rand() * 40 : kind < 0.8 ? 0.05 + rand() * 0.3 : 1 + rand() * 20;
    out.push(kind < 0.2 ? { minX: x, minY: y, maxX: x + h, maxY: y + w } : { minX: x, minY: y, maxX: x + w, maxY: y + h });
  }
  return out;
};

describe('swept motion against obstacles', () => {
  it('finds the first contact of a moving circle exactly where brute-force sampling finds it, and never misses a wall', () => {
    const rand = rng(11);
    const rects = randomRects(rand, 40);
    const { ps } = makeFixture(4, 200, { cellSize: 4, npcRadius: 1, playerRadius: 1 }, rects);
    const o = new Float64Array(4);
    const SAMPLES = 2000;
    let hits = 0,
      clear = 0;
    for (const r of [1, 0.5, 0]) {
      for (let trial = 0; trial < 400; trial++) {
        const x0 = rand() * 200,
          y0 = rand() * 200;
        const a = rand() * Math.PI * 2,
          len = rand() < 0.3 ? rand() * 3 : rand() * 80;
        const dx = Math.cos(a) * len,
          dy = Math.sin(a) * len;
        // Rects the body overlaps at the start are left to the push-out (skipped by the sweep).
        const live = rects.filter((b) => {
          const d = distToRect(x0, y0, b);
          const near =
            Math.max(x0, x0 + dx) > b.minX - r - 1 &&
            Math.min(x0, x0 + dx) < b.maxX + r + 1 &&
            Math.max(y0, y0 + dy) > b.minY - r - 1 &&
            Math.min(y0, y0 + dy) < b.maxY + r + 1;
          return near && d >= r && d > 0;
        });
        const t = sweepObstacles(ps.shared, x0, y0, dx, dy, r, o);
        // Brute force: the first sample that is inside a live rect's reach.
        let first = -1;
        for (let i = 0; i <= SAMPLES && first < 0; i++) {
          const s = i / SAMPLES;
          if (s >= 1) break;
          for (const b of live)
            if (distToRect(x0 + dx * s, y0 + dy * s, b) < r - 1e-9 || (r === 0 && inside(x0 + dx * s, y0 + dy * s, b))) first = i;
        }
        if (first >= 0) {
          // A wall on the way: the sweep stops no later than the first sample past the contact.
          expect(t).toBeLessThanOrEqual(first / SAMPLES + 1e-12);
        }
        if (t === Number.POSITIVE_INFINITY) {
          expect(first).toBe(-1);
          clear++;
          continue;
        }
        hits++;
        expect(t).toBeGreaterThanOrEqual(0);
        expect(t).toBeLessThan(1);
        // At the contact the circle touches a live rect, and before it no sample entered one.
        const cx = x0 + dx * t,
          cy = y0 + dy * t;
        const touch = Math.min(...live.map((b) => distToRect(cx, cy, b)));
        expect(Math.abs(touch - r)).toBeLessThan(1e-6 * Math.max(1, len));
        let entered = 0;
        for (let i = 0; i < SAMPLES * t; i++) {
          const s = i / SAMPLES;
          for (const b of live) if (distToRect(x0 + dx * s, y0 + dy * s, b) <= r - 1e-6) entered++;
        }
        expect(entered).toBe(0);
        // The normal is a unit vector facing the mover.
        expect(Math.hypot(o[0], o[1])).toBeCloseTo(1, 9);
        expect(o[0] * dx + o[1] * dy).toBeLessThanOrEqual(1e-9);
      }
    }
    expect(hits).toBeGreaterThan(200);
    expect(clear).toBeGreaterThan(200);
  });

  it('a swept move stops at a thin wall and turns away, whatever the speed; a clear move is the plain one', () => {
    const wall = { minX: 100, minY: 0, maxX: 100.1, maxY: 200 };
    const { ps } = makeFixture(4, 200, { cellSize: 4 }, [wall]);
    const o = new Float64Array(4),
      n = new Float64Array(4);
    for (const speed of [1, 10, 100, 1000]) {
      o.set([90, 50, speed, speed * 0.1]);
      const contacts = sweptMove(ps.shared, 1, false, 20, o, n);
      expect(contacts).toBeGreaterThanOrEqual(1);
      expect(contacts).toBeLessThanOrEqual(MAX_SWEPT_BOUNCES);
      expect(o[0]).toBeLessThanOrEqual(99 + 1e-9); // still on its side, a radius off the wall
      expect(o[2]).toBeLessThan(0); // turned away
      // A player slides: the velocity into the wall is zeroed, the rest kept.
      o.set([90, 50, speed, speed * 0.1]);
      sweptMove(ps.shared, 1, true, 20, o, n);
      expect(o[0]).toBeCloseTo(99, 9);
      expect(o[2]).toBe(0);
      expect(o[3]).toBeCloseTo(speed * 0.1, 9);
    }
    o.set([10, 10, 3, 4]);
    expect(sweptMove(ps.shared, 1, false, 5, o, n)).toBe(0);
    expect([...o]).toEqual([10 + 3 * 5, 10 + 4 * 5, 3, 4]);
  });
});

const inside = (x: number, y: number, b: ObstacleRect): boolean => x > b.minX && x < b.maxX && y > b.minY && y < b.maxY;
