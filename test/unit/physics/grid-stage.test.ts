/**
 * The grid build's first phase (guard + staging, src/physics/grid-build.ts): the same grid and
 * the same step whether the step's bodies are walked as an id range or as a caller's list, and
 * whatever the number of id partitions, the order they run in, or a partition run twice.
 */
import { describe, expect, it } from 'vitest';
import { buildRows, guardStageIds, planRows } from '../../../src/physics/grid-build.js';
import { beginStep, commitStep, partitionIds, setStepBodies, type PhysicsState } from '../../../src/physics/physics-state.js';
import { stepRows } from '../../../src/physics/collide-kernel.js';
import { BodyKind } from '../../../src/physics/physics-types.js';
import { makeFixture, rng } from './fixture.js';

const N = 3000;

const populate = (seed: number) => {
  const f = makeFixture(N, 200);
  const r = rng(seed);
  const { Position, Velocity } = f.stores;
  for (let e = 1; e <= N; e++) {
    Position.x[e] = r() * 200;
    Position.y[e] = r() * 200;
    Velocity.x[e] = (r() - 0.5) * 6;
    Velocity.y[e] = (r() - 0.5) * 6;
    // Some ids are not bodies this step; a few anomalies for the guard.
    if (e % 17 === 0) f.ps.shared.kind[e] = BodyKind.none;
  }
  Position.x[5] = Number.NaN;
  Velocity.y[9] = 1e30;
  Position.y[11] = -1e6;
  return f;
};

/** Grid arrays after the build (slot order), as plain arrays. */
const grid = (ps: PhysicsState) => {
  const s = ps.shared,
    n = s.rowStart[ps.side];
  return {
    rowStart: Array.from(s.rowStart),
    items: Array.from(s.cellItems.subarray(0, n)),
    sorted: Array.from(s.sorted.subarray(0, 4 * n)),
    flags: Array.from(s.sortedFlags.subarray(0, n)),
    cx: Array.from(s.sortedCx.subarray(0, n)),
  };
};

/** Prepare one step with `parts` id partitions run in `order` (a partition may appear twice: a re-run). */
const prepare = (ps: PhysicsState, parts: number, order: number[], listed: boolean) => {
  if (listed) {
    let k = 0;
    for (let e = 1; e <= N; e++) if (ps.shared.kind[e] !== BodyKind.none) ps.shared.ids[k++] = e;
    setStepBodies(ps, k);
  }
  beginStep(ps, 0, 0.05);
  const idp = new Int32Array(2 * parts);
  partitionIds(ps, parts, idp);
  for (const p of order) guardStageIds(ps.shared, idp[2 * p], idp[2 * p + 1], p);
  planRows(ps.shared, parts);
  buildRows(ps.shared, 0, ps.side);
};

describe('grid build: guard + staging per id partition', () => {
  it('id-range walk and caller list, 1 or 4 partitions in any order, re-runs: the same grid and the same step', () => {
    const ref = populate(3);
    prepare(ref.ps, 1, [0], false);
    const want = grid(ref.ps);
    expect(want.rowStart[ref.ps.side]).toBe(N - Math.floor(N / 17) - 1); // not bodies: every 17th id; quarantined: id 5
    stepRows(ref.ps.shared, 0, ref.ps.side, 0);
    commitStep(ref.ps, 1);
    const cases: Array<[number, number[], boolean]> = [
      [1, [0], true],
      [4, [0, 1, 2, 3], false],
      [4, [3, 1, 0, 2, 1], true],
      [3, [2, 2, 0, 1, 0], false],
    ];
    for (const [parts, order, listed] of cases) {
      const f = populate(3);
      prepare(f.ps, parts, order, listed);
      expect(grid(f.ps)).toEqual(want);
      stepRows(f.ps.shared, 0, f.ps.side, 0);
      commitStep(f.ps, parts);
      expect(Array.from(f.stores.Position.x)).toEqual(Array.from(ref.stores.Position.x));
      expect(Array.from(f.stores.Velocity.y)).toEqual(Array.from(ref.stores.Velocity.y));
      expect(f.ps.stats.quarantined).toBe(1);
      expect(f.ps.stats.velocityClamped).toBe(ref.ps.stats.velocityClamped);
      expect(f.ps.stats.positionClamped).toBe(ref.ps.stats.positionClamped);
    }
  });
});
