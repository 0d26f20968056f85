/**
 * The `million` world (1,000,000 NPCs, 1,000 moving players, every default system, controller off)
 * WITH the physics engine: the `physics` system in place of `movement`, level of detail by tier on
 * (src/physics/physics-lod.ts), inline (0 shards: a bench world has no shard service, and on this
 * 2-core host `auto` measures inline as the cheaper, docs/ARCHITECTURE.md "Physics in the runtime"),
 * the thin-wall lattice of the `physics-lod` suite over the world (one 120-long, 0.5-thick wall
 * every 400 units), `cellSize` 32 and `navCellSize` 16 (the defaults, 4 and 4, would need a
 * 12,500² collision grid and a 156 MB raster for a 50,000-unit world).
 *
 * Used by bench/million.bench.ts (`withPhysics`) and bench/million-physics-run.ts (A/B runs).
 */
import { HOUR } from '../src/behavior/activities.js';
import { PHASES } from '../src/core/phases.js';
import { ShardService } from '../src/shards/shard-service.js';
import { destroySimWorld } from '../src/world/sim-world.js';
import { runStep } from '../src/world/step.js';
import { genWorld } from './gendata.js';
import { physicsLodWalls } from './physics-lod.bench.js';

const r3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Mean, p50, p95, p99 and max of `v` (sorted in place). */
const dist = (v: number[]) => {
  v.sort((a, b) => a - b);
  const n = v.length;
  const q = (f: number) => r3(v[Math.min(n - 1, Math.floor(n * f))] ?? 0);
  return {
    meanMs: r3(v.reduce((a, b) => a + b, 0) / Math.max(1, n)),
    p50Ms: q(0.5),
    p95Ms: q(0.95),
    p99Ms: q(0.99),
    maxMs: r3(v[n - 1] ?? 0),
  };
};

/** Figures of one run of {@link runMillionPhysics}. */
export interface MillionPhysicsFigures {
  shards: string;
  npcs: number;
  players: number;
  walls: number;
  steps: number;
  lodOn: boolean;
  step: ReturnType<typeof dist>;
  phaseMeanMs: Record<string, number>;
  /** The physics phase and its parts (src/physics/physics-world.ts `PhysicsPhaseMs`). */
  physics: {
    phase: ReturnType<typeof dist>;
    list: ReturnType<typeof dist>;
    slice: ReturnType<typeof dist>;
    nav: ReturnType<typeof dist>;
    step: ReturnType<typeof dist>;
    bodiesPerStep: number;
    coarsePerStep: number;
  };
}

/** Shards of a run: inline (default), or `auto` workers (cores − 1) with a shard service and `mode` auto. */
export interface MillionPhysicsOptions {
  shards?: 'inline' | 'auto';
}

/** Build the world, warm it (40 steps), measure `steps` steps. */
export const runMillionPhysics = async (npcs: number, steps: number, opts: MillionPhysicsOptions = {}): Promise<MillionPhysicsFigures> => {
  const sharded = opts.shards === 'auto';
  const size = Math.max(500, Math.sqrt(npcs * 2500));
  const obstacles = physicsLodWalls(size);
  const { world } = genWorld({
    npcs,
    players: 1000,
    id: 'million-physics',
    config: { controller: { enabled: false } },
    physics: { shards: sharded ? 'auto' : 0, mode: sharded ? 'auto' : 'inline', tuning: { cellSize: 32, navCellSize: 16 }, obstacles },
  });
  const wp = world.physics;
  if (!wp) throw new Error('physics expected');
  const service = sharded && wp.config.shards > 0 ? new ShardService(world.id, wp) : null;
  await service?.start();
  world.clock.now = 10 * HOUR;
  for (let i = 0; i < 40; i++) runStep(world);
  const pi = PHASES.indexOf('physics');
  const sum = new Float64Array(PHASES.length);
  const total: number[] = [],
    phase: number[] = [],
    list: number[] = [],
    slice: number[] = [],
    nav: number[] = [],
    step: number[] = [];
  let bodies = 0,
    coarse = 0,
    shardedSteps = 0;
  for (let i = 0; i < steps; i++) {
    runStep(world);
    total.push(world.stats.totalMs);
    for (let p = 0; p < PHASES.length; p++) sum[p] += world.stats.phaseMs[p];
    phase.push(world.stats.phaseMs[pi]);
    list.push(wp.lastMs.list);
    slice.push(wp.lastMs.slice);
    nav.push(wp.lastMs.nav);
    step.push(wp.lastMs.step);
    bodies += wp.lod.lastStepBodies;
    coarse += wp.lod.lastCoarse;
    if (wp.sharded.lastSharded) shardedSteps++;
  }
  const phaseMeanMs: Record<string, number> = {};
  PHASES.forEach((p, i) => {
    if (sum[i] > 0) phaseMeanMs[p] = r3(sum[i] / steps);
  });
  const fig: MillionPhysicsFigures = {
    shards: sharded
      ? `auto: ${wp.config.shards} worker(s) + the main thread, mode auto (sharded in ${shardedSteps} of ${steps} steps)`
      : 'inline (0 shards)',
    npcs,
    players: 1000,
    walls: obstacles.length,
    steps,
    lodOn: wp.lod.on,
    step: dist(total),
    phaseMeanMs,
    physics: {
      phase: dist(phase),
      list: dist(list),
      slice: dist(slice),
      nav: dist(nav),
      step: dist(step),
      bodiesPerStep: Math.round(bodies / steps),
      coarsePerStep: Math.round(coarse / steps),
    },
  };
  await service?.stop();
  destroySimWorld(world);
  return fig;
};
