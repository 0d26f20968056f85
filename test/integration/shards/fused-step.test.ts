/**
 * The fused sharded step (src/shards/fused-step.ts) on real piscina workers: one dispatch per
 * physics step, the same hash as inline and as three dispatches per step, and with the main thread
 * as a party beside a worker, a worker killed in each phase leaves the step complete and the hash
 * unchanged.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { populateNpcs } from '../../../src/world/populate.js';
import { createSimWorld, spawnPlayer, type SimWorld } from '../../../src/world/sim-world.js';
import { hashWorldState } from '../../../src/world/state-hash.js';
import { stepWorld } from '../../../src/world/step.js';
import { ShardService } from '../../../src/shards/shard-service.js';
import { createShardedPhysics } from '../../../src/shards/sharded-physics.js';
import type { WorldPhysics } from '../../../systems/physics-system.js';
import { DEFAULT_SYSTEMS } from '../../../systems/index.js';
import { compiledFile } from '../../helpers/child-node.js';

const services: ShardService[] = [];
afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
  inlineRef = null; // the file's inline reference does not outlive it (files share the worker process)
});

/** 1,500 NPCs wandering in 300×300 with two walls and two walking players; `workers` 0 = inline. */
const world = async (workers: number, mainRuns: boolean, barrierTimeoutMs?: number): Promise<{ w: SimWorld; physics: WorldPhysics }> => {
  const systems = DEFAULT_SYSTEMS.filter((e) => ['time', 'tiering', 'movement'].includes(e.name));
  const w = createSimWorld({
    id: `fused${workers}${mainRuns ? 'm' : ''}`,
    seed: 21,
    capacity: 1600,
    size: 300,
    systems,
    physics: {
      obstacles: [
        { minX: 80, minY: 80, maxX: 140, maxY: 100 },
        { minX: 200, minY: 20, maxX: 210, maxY: 260 },
      ],
      tuning: { cellSize: 4, perceptionRadius: 10 },
      shards: workers,
      mode: workers > 0 ? 'shards' : 'inline',
      mainRuns,
    },
    config: { controller: { enabled: false }, simulation: { pauseSimulation: true, tickIntervalSeconds: 0.05, spatialCellSize: 16 } },
  });
  populateNpcs(w, { count: 1500, movingFraction: 0.9, maxSpeed: 3 });
  for (const [x, y] of [
    [40, 40],
    [250, 150],
  ] as const) {
    const p = spawnPlayer(w, x, y, 50);
    w.stores.Velocity.x[p] = 2;
    w.stores.Velocity.y[p] = 1;
  }
  const physics = w.physics;
  if (!physics) throw new Error('no physics');
  const service = new ShardService(w.id, physics, {
    ...(barrierTimeoutMs ? { barrierTimeoutMs } : {}),
    // Worker threads start from the run's compiled shard worker when there is one (not through tsx's hooks).
    workerFile: await compiledFile('src/shards/shard-worker-entry.mjs'),
  });
  services.push(service);
  await service.start();
  return { w, physics };
};

let inlineRef: Promise<Map<number, string>> | null = null;
/**
 * State hash of the inline world after `steps` (40, 60 or 300) steps: one inline world stepped once
 * for the file (each test used to step a reference world of its own).
 */
const inlineHash = async (steps: 40 | 60 | 300): Promise<string> => {
  inlineRef ??= (async () => {
    const { w } = await world(0, false);
    const hash = new Map<number, string>();
    let at = 0;
    for (const n of [40, 60, 300]) {
      stepWorld(w, n - at);
      at = n;
      hash.set(n, hashWorldState(w));
    }
    return hash;
  })();
  return (await inlineRef).get(steps)!;
};

describe('fused sharded step', () => {
  it('one dispatch per step; the same hash as inline, as main + 1 worker, and as three dispatches per step', async () => {
    const configs = [
      [2, false, true],
      [1, true, true],
      [2, false, false],
    ] as const;
    const want = await inlineHash(300);
    for (const [workers, mainRuns, fused] of configs) {
      const { w, physics } = await world(workers, mainRuns);
      const pool = physics.pool;
      if (!pool) throw new Error('no pool');
      if (!fused) physics.sharded = createShardedPhysics(physics.state, pool, { mode: 'shards', fused: false });
      stepWorld(w, 300);
      expect(hashWorldState(w)).toBe(want);
      const st = pool.stats();
      expect(st.runs).toBe(fused ? 300 : 900); // one pool run per step fused, three otherwise
      expect(st.dispatched).toBe(3 * 300 * workers); // three phases of each worker's partition per step
      expect(st.inline + st.timeouts + st.crashes).toBe(0);
      await pool.close();
    }
  }, 60_000);

  it('any number of units per party (claimed as the parties go) gives the same hash', async () => {
    const configs = [
      [1, 1, 2, false],
      [3, 2, 2, false],
      [32, 8, 1, true],
    ] as const;
    const want = await inlineHash(60);
    for (const [chunksPerParty, idPartsPerParty, workers, mainRuns] of configs) {
      const { w, physics } = await world(workers, mainRuns);
      const pool = physics.pool;
      if (!pool) throw new Error('no pool');
      physics.sharded = createShardedPhysics(physics.state, pool, {
        mode: 'shards',
        mainRuns,
        partitions: workers + (mainRuns ? 1 : 0),
        chunksPerParty,
        idPartsPerParty,
      });
      stepWorld(w, 60);
      expect(hashWorldState(w)).toBe(want);
      expect(pool.stats().runs).toBe(60);
      expect(pool.stats().inline + pool.stats().timeouts).toBe(0);
      await pool.close();
    }
  }, 60_000);

  it('main thread + 1 worker: the worker killed in each phase of a fused step; the step completes with the same hash', async () => {
    const want = await inlineHash(40);
    // A deadline of 1 s (as shards.test.ts): the first steps of a fresh worker took up to ~300 ms at
    // load 10, so a 300 ms deadline could count a healthy worker's late step as a timeout.
    const { w, physics } = await world(1, true, 1000);
    const pool = physics.pool;
    if (!pool) throw new Error('no pool');
    stepWorld(w, 10);
    for (let phase = 1; phase <= 3; phase++) {
      pool.injectCrash(phase); // the phase-th phase from now: guard + stage, build, then kernel of the next step
      stepWorld(w, 1);
      expect(pool.stats().timeouts).toBe(phase);
      for (let i = 0; i < 200 && (pool.stats().crashes < phase || pool.readyCount() < 1); i++) await new Promise((r) => setTimeout(r, 10));
      expect(pool.stats().crashes).toBe(phase);
      expect(pool.readyCount()).toBe(1);
      stepWorld(w, 9);
    }
    expect(hashWorldState(w)).toBe(want);
    expect(pool.stats().runs).toBe(40); // the steps after each crash were fused again once the worker was back
    await pool.close();
  }, 60_000);
});
