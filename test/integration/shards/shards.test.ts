/**
 * Real piscina shard workers over the world's SharedArrayBuffer stores: identical state hashes
 * with 0 (inline), 1, 2 and 4 shards, and a worker killed mid-step (process.exit) leaves the
 * step complete and the hash unchanged.
 */
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../../../src/log.js';
import { populateNpcs } from '../../../src/world/populate.js';
import { createSimWorld, spawnPlayer, type SimWorld } from '../../../src/world/sim-world.js';
import { hashWorldState } from '../../../src/world/state-hash.js';
import { stepWorld } from '../../../src/world/step.js';
import type { ShardPool } from '../../../src/shards/shard-pool.js';
import { ShardService } from '../../../src/shards/shard-service.js';
import { physicsStatsOf, type WorldPhysics } from '../../../systems/physics-system.js';
import { DEFAULT_SYSTEMS } from '../../../systems/index.js';
import type { ShardMode } from '../../../src/shards/sharded-physics.js';
import { compiledFile } from '../../helpers/child-node.js';

const services: ShardService[] = [];
afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
  inlineRef = null; // the file's inline reference does not outlive it (files share the worker process)
});

const obstacles = [
  { minX: 100, minY: 100, maxX: 160, maxY: 130 },
  { minX: 250, minY: 40, maxX: 260, maxY: 300 },
  { minX: 20, minY: 290, maxX: 200, maxY: 300 },
];

/** A busy world: 2,000 NPCs wandering in 330×330 (crowded), 3 walking players, walls; tiers from the tiering phase. */
const busyWorld = async (
  shards: number,
  opts: { barrierTimeoutMs?: number; mode?: ShardMode; mainRuns?: boolean; logger?: Logger } = {},
): Promise<{ w: SimWorld; physics: WorldPhysics; pool: ShardPool | null }> => {
  // Time, tiering (for levels of detail) and physics: the phases that touch positions.
  const systems = DEFAULT_SYSTEMS.filter((e) => ['time', 'tiering', 'movement'].includes(e.name));
  // The world is built with physics (the pipeline gets `physics` in place of `movement` at creation);
  // its shard pool is a service started like the runtime starts it.
  const physicsBlock = {
    obstacles,
    tuning: { cellSize: 4, perceptionRadius: 10 },
    shards: shards,
    mode: opts.mode ?? (shards > 0 ? 'shards' : 'inline'),
    mainRuns: opts.mainRuns ?? false,
  };
  const w = createSimWorld({
    id: `busy${shards}`,
    seed: 9,
    capacity: 2100,
    size: 330,
    systems,
    physics: physicsBlock,
    config: { controller: { enabled: false }, simulation: { pauseSimulation: true, tickIntervalSeconds: 0.05, spatialCellSize: 16 } },
  });
  populateNpcs(w, { count: 2000, movingFraction: 0.9, maxSpeed: 3 });
  for (const [x, y] of [
    [50, 50],
    [200, 200],
    [300, 250],
  ] as const) {
    const p = spawnPlayer(w, x, y, 60);
    w.stores.Velocity.x[p] = 2;
    w.stores.Velocity.y[p] = -1;
  }
  const physics = w.physics!;
  expect(w.pipeline.map((e) => e.name)).toEqual(['time', 'tiering', 'physics']);
  const service = new ShardService(w.id, physics, {
    ...(opts.barrierTimeoutMs ? { barrierTimeoutMs: opts.barrierTimeoutMs } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
    // Worker threads start from the run's compiled shard worker when there is one (not through tsx's hooks).
    workerFile: await compiledFile('src/shards/shard-worker-entry.mjs'),
  });
  services.push(service);
  await service.start();
  const pool = physics.pool;
  return { w, physics, pool };
};

/**
 * Steps of the 0/1/2/4-shard comparison (2,000 until December 2026). What it must catch, measured by
 * breaking the code on purpose and hashing every step against the inline world: a kernel that reads
 * the stores instead of the staged copy, or a band that skips the row above it, differs at step 1;
 * a missing barrier between the grid build and the kernel (a race) first differed at step 2-11 with
 * 4 shards and 4-268 with 2 shards over 12 runs each. 600 steps keep the 4-shard world's ~50x margin and
 * twice the 2-shard world's worst; every body stepped once per step is counted at every step.
 */
const STEPS = 600;
/** Step counts at which the tests compare a sharded world with the inline one. */
const REF_STEPS = [40, 60, 200, STEPS] as const;
type RefSteps = (typeof REF_STEPS)[number];
let inlineRef: Promise<{ hash: Map<RefSteps, string>; physics: WorldPhysics }> | null = null;
/**
 * The inline (0-shard) busy world, stepped once for the whole file: its state hash after each of
 * {@link REF_STEPS} steps (each test used to step a reference world of its own to its count).
 */
const inline = (): Promise<{ hash: Map<RefSteps, string>; physics: WorldPhysics }> => {
  inlineRef ??= (async () => {
    const { w, physics } = await busyWorld(0);
    const hash = new Map<RefSteps, string>();
    let at = 0;
    for (const n of REF_STEPS) {
      for (; at < n; at += Math.min(250, n - at)) stepWorld(w, Math.min(250, n - at));
      hash.set(n, hashWorldState(w));
    }
    return { hash, physics };
  })();
  return inlineRef;
};
const inlineHash = async (steps: RefSteps): Promise<string> => (await inline()).hash.get(steps)!;

describe('shards on piscina workers', () => {
  it(`identical state hashes with 0, 1, 2 and 4 shards after ${STEPS} steps of a busy world`, async () => {
    const hashes: string[] = [];
    for (const shards of [0, 1, 2, 4]) {
      // 0 shards: the file's inline world, stepped to STEPS once for all tests.
      const { w, physics, pool } = shards === 0 ? { w: null, physics: (await inline()).physics, pool: null } : await busyWorld(shards);
      for (let s = 0; w && s < STEPS; s += 200) {
        stepWorld(w, Math.min(200, STEPS - s));
        await new Promise((r) => setImmediate(r)); // let the pool see its workers' events
      }
      hashes.push(w ? hashWorldState(w) : await inlineHash(STEPS));
      const st = physics.sharded.state.stats;
      expect(st.steps).toBe(STEPS);
      expect(st.bodies).toBe(STEPS * 2003); // every body stepped exactly once per step, boundaries included
      expect(st.pairs).toBeGreaterThan(0);
      expect(st.obstaclePushes).toBeGreaterThan(0);
      if (pool) {
        const ps = pool.stats();
        expect(ps.dispatched).toBe(3 * STEPS * shards); // guard + stage, grid build, kernel + copy-back per step
        expect(ps.inline + ps.timeouts + ps.crashes).toBe(0);
        await pool.close();
      }
    }
    expect(new Set(hashes).size).toBe(1);
  }, 120_000);

  it('anomalies (NaN, absurd speed, far outside) are guarded on the shards exactly as inline: same hash, same counts', async () => {
    const corrupt = (w: SimWorld, step: number) => {
      const P = w.stores.Position,
        V = w.stores.Velocity;
      for (let e = 1 + (step % 11); e <= 2000; e += 173) {
        const m = (e + step) % 4;
        if (m === 0) P.x[e] = Number.NaN;
        else if (m === 1) V.y[e] = 1e30;
        else if (m === 2) P.y[e] = -1e9;
        else V.x[e] = Number.POSITIVE_INFINITY;
      }
    };
    const runs: Array<{ hash: string; stats: Record<string, number> }> = [];
    for (const shards of [0, 2]) {
      const { w, physics, pool } = await busyWorld(shards, { mainRuns: shards > 0 });
      for (let s = 0; s < 150; s++) {
        corrupt(w, s);
        stepWorld(w, 1);
      }
      const st = physics.sharded.state.stats;
      runs.push({ hash: hashWorldState(w), stats: { q: st.quarantined, v: st.velocityClamped, p: st.positionClamped, b: st.bodies } });
      if (pool) {
        expect(pool.stats().dispatched).toBeGreaterThan(0);
        expect(pool.stats().inline + pool.stats().timeouts).toBe(0);
        await pool.close();
      }
    }
    expect(runs[0]?.stats.q).toBeGreaterThan(0);
    expect(runs[0]?.stats.v).toBeGreaterThan(0);
    expect(runs[0]?.stats.p).toBeGreaterThan(0);
    expect(runs[1]).toEqual(runs[0]);
  }, 60_000);

  it('a worker killed mid-step: the step completes, the hash is unchanged, the crash is counted', async () => {
    const want = await inlineHash(60);
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const { w, pool, physics } = await busyWorld(2, { barrierTimeoutMs: 1000, logger: createLogger('info', sink) });
    if (!pool) throw new Error('no pool');
    stepWorld(w, 30);
    pool.injectCrash(1); // the worker of the first partition of the next step calls process.exit
    stepWorld(w, 1); // completes: the dead worker's partition is re-run inline after the deadline
    expect(pool.stats().timeouts).toBe(1);
    // Let the pool notice the crash and restart the worker.
    for (let i = 0; i < 200 && (pool.stats().crashes < 1 || pool.readyCount() < 2); i++) await new Promise((r) => setTimeout(r, 10));
    expect(pool.stats().crashes).toBe(1);
    expect(physicsStatsOf(physics)?.shards.pool).toMatchObject({ crashes: 1, timeouts: 1, restarts: 1 });
    const logged = lines.map((l) => JSON.parse(l) as { code?: string; level: number });
    expect(logged.filter((l) => l.code === 'WT_ERR_SHARD_TIMEOUT')).toHaveLength(1);
    expect(logged.filter((l) => l.code === 'WT_ERR_SHARD_CRASHED')).toHaveLength(1);
    expect(pool.stats().restarts).toBe(1);
    expect(pool.readyCount()).toBe(2);
    stepWorld(w, 29);
    expect(hashWorldState(w)).toBe(want);
    await pool.close();
  }, 60_000);

  it('a worker killed in each phase of a step (guard + stage, build, kernel + copy-back): the re-run keeps the hash', async () => {
    const want = await inlineHash(40);
    // A deadline of 1 s, as above: the first steps of fresh workers took up to ~300 ms at load 10,
    // so 300 ms counted a healthy worker's late step as a timeout now and then (expected 3 to be 1).
    const { w, pool } = await busyWorld(2, { barrierTimeoutMs: 1000 });
    if (!pool) throw new Error('no pool');
    stepWorld(w, 10);
    // Each step runs 3 phases (pool runs): the crash lands in the 1st, 2nd, then 3rd phase of a step.
    for (let phase = 1; phase <= 3; phase++) {
      pool.injectCrash(phase);
      stepWorld(w, 1);
      expect(pool.stats().timeouts).toBe(phase);
      for (let i = 0; i < 200 && (pool.stats().crashes < phase || pool.readyCount() < 2); i++) await new Promise((r) => setTimeout(r, 10));
      expect(pool.stats().crashes).toBe(phase);
      stepWorld(w, 9);
    }
    expect(hashWorldState(w)).toBe(want);
    await pool.close();
  }, 60_000);

  it('auto mode measures inline and sharded steps, switches between them, and keeps the hash', async () => {
    const want = await inlineHash(200);
    const { w, physics, pool } = await busyWorld(2, { mode: 'auto' });
    let sharded = 0,
      inline = 0;
    for (let i = 0; i < 200; i++) {
      stepWorld(w, 1);
      if (physics.sharded.lastSharded) sharded++;
      else inline++;
    }
    expect(Number.isFinite(physics.sharded.inlineMs) && Number.isFinite(physics.sharded.shardMs)).toBe(true);
    expect(sharded).toBeGreaterThan(0); // measured (or chosen) at least once each way
    expect(inline).toBeGreaterThan(0);
    expect(hashWorldState(w)).toBe(want);
    await pool?.close();
  }, 60_000);

  it('the main thread running a partition itself beside a worker gives the same hash', async () => {
    const want = await inlineHash(200);
    const { w, pool } = await busyWorld(1, { mainRuns: true });
    stepWorld(w, 200);
    expect(pool?.stats().dispatched).toBe(600); // one partition of each of the 3 phases per step on the worker
    expect(hashWorldState(w)).toBe(want);
    await pool?.close();
  }, 60_000);
});
