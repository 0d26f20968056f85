import { describe, expect, it } from 'vitest';
import { partitionRows, prepareStep } from '../../../src/physics/physics-state.js';
import { BodyKind } from '../../../src/physics/physics-types.js';
import { makeFixture, rng, stepInline } from '../physics/fixture.js';

const busy = (n: number, seed: number) => {
  const f = makeFixture(n, 150, { cellSize: 4 });
  const r = rng(seed);
  for (let e = 1; e <= n; e++) {
    // Crowded west half, sparse east half: the work is uneven.
    f.stores.Position.x[e] = r() < 0.8 ? r() * 50 : 50 + r() * 100;
    f.stores.Position.y[e] = r() * 150;
    f.stores.Velocity.x[e] = (r() - 0.5) * 4;
    f.stores.Velocity.y[e] = (r() - 0.5) * 4;
    f.stores.Tier.tier[e] = e % 4;
    if (e % 50 === 0) f.ps.shared.kind[e] = BodyKind.player;
  }
  return f;
};

const snapshot = (f: ReturnType<typeof busy>) =>
  Buffer.concat(
    [f.stores.Position.x, f.stores.Position.y, f.stores.Velocity.x, f.stores.Velocity.y].map((a) => Buffer.from(a.buffer.slice(0))),
  );

describe('shards: partitions', () => {
  it('partitionRows covers every row once, in order, balanced by work', () => {
    const f = busy(3000, 1);
    f.ps.stats.steps = 0;
    prepareStep(f.ps, 0, 0.05);
    for (const parts of [1, 2, 3, 4, 7]) {
      const out = new Int32Array(2 * parts);
      partitionRows(f.ps, parts, out);
      expect(out[0]).toBe(0);
      expect(out[2 * parts - 1]).toBe(f.ps.side);
      for (let p = 1; p < parts; p++) expect(out[2 * p]).toBe(out[2 * p - 1]);
      if (parts === 2) {
        // Rows are bands of y; work is spread evenly in y here, so halves split near the middle.
        const w = (a: number, b: number) => f.ps.rowWork.subarray(a, b).reduce((s, v) => s + v, 0);
        const a = w(out[0], out[1]),
          b = w(out[2], out[3]);
        expect(Math.abs(a - b) / (a + b)).toBeLessThan(0.1);
      }
    }
  });

  it('any partitioning, in any order, gives bit-identical state', () => {
    const ref = busy(3000, 5);
    for (let s = 0; s < 100; s++) stepInline(ref.ps, s, 0.05, 1);
    const want = snapshot(ref);
    for (const [bands, reverse] of [
      [2, false],
      [3, true],
      [8, true],
    ] as const) {
      const f = busy(3000, 5);
      for (let s = 0; s < 100; s++) stepInline(f.ps, s, 0.05, bands, reverse);
      expect(snapshot(f).equals(want)).toBe(true);
      expect(f.ps.stats.pairs).toBe(ref.ps.stats.pairs);
    }
  });
});

describe('shards: options', () => {
  it('a shard pool refuses bad options with every problem named', async () => {
    const { ShardPool } = await import('../../../src/shards/shard-pool.js');
    const f = busy(10, 1);
    expect(() => new ShardPool({ shared: f.ps.shared, shards: 0, barrierTimeoutMs: -1, maxRestarts: 1.5 })).toThrowError(
      /shards.count must be an integer between 1 and 16; shards.barrierTimeoutMs must be a number > 0 and <= 600000; shards.maxRestarts must be an integer between 0 and 1000/,
    );
    const { createShardedPhysics } = await import('../../../src/shards/sharded-physics.js');
    expect(() => createShardedPhysics(f.ps, null, { mode: 'shards' })).toThrowError(/shards.mode shards needs a shard pool/);
  });
});
