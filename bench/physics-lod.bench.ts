/**
 * Suite `physics-lod`: the physics phase of a 1,000,000-NPC world with physics level of detail on
 * (src/physics/physics-lod.ts) and a map of thin walls, so the dormant slice (1/20 of the NPCs per
 * step) runs its swept catch-up against real obstacles. Systems: time, tiering, physics (the rest of
 * the pipeline is in `million` and `shards`); 1,000 walking players; inline (0 shards). Records the
 * physics phase mean / p50 / p99 per step, the NPCs moved coarsely per step, and the catch-ups' wall
 * contacts. `--quick` runs 100k NPCs. Compare runs of the same sitting (the host is shared).
 */
import os from 'node:os';
import { PHASES } from '../src/core/phases.js';
import { coarseMove } from '../src/physics/coarse-catch-up.js';
import { populateNpcs } from '../src/world/populate.js';
import { nextRange } from '../src/world/prng.js';
import { createSimWorld, destroySimWorld, type SimWorld, spawnPlayer } from '../src/world/sim-world.js';
import { runStep } from '../src/world/step.js';
import { DEFAULT_SYSTEMS } from '../systems/index.js';
import type { Suite } from './harness.js';

const r3 = (x: number): number => Math.round(x * 1000) / 1000;

/** A lattice of thin walls (0.5 thick, 120 long), alternating horizontal and vertical, every 400 units. */
export const physicsLodWalls = (size: number): { minX: number; minY: number; maxX: number; maxY: number }[] => {
  const out = [];
  for (let y = 200; y < size - 200; y += 400)
    for (let x = 200; x < size - 200; x += 400)
      out.push(
        ((x + y) / 400) % 2 === 0 ? { minX: x, minY: y, maxX: x + 120, maxY: y + 0.5 } : { minX: x, minY: y, maxX: x + 0.5, maxY: y + 120 },
      );
  return out;
};

/**
 * The suite's world: `npcs` NPCs (400 units² each), 90 % moving, the wall lattice, 1,000 players
 * walking at 4 units/s, physics inline (cell 32), systems time + tiering + movement, controller off.
 */
export const physicsLodBenchWorld = (
  id: string,
  npcs: number,
): { world: SimWorld; size: number; obstacles: ReturnType<typeof physicsLodWalls> } => {
  const size = Math.round(Math.sqrt(npcs * 400));
  const obstacles = physicsLodWalls(size);
  const world = createSimWorld({
    id,
    capacity: npcs + 1016,
    seed: 7,
    size,
    systems: DEFAULT_SYSTEMS.filter((e) => ['time', 'tiering', 'movement'].includes(e.name)),
    physics: { shards: 0, mode: 'inline', tuning: { cellSize: 32 }, obstacles },
    config: { controller: { enabled: false } },
  });
  populateNpcs(world, { count: npcs, movingFraction: 0.9, maxSpeed: 3 });
  for (let i = 0; i < 1000; i++) {
    const p = spawnPlayer(world, nextRange(world.rng, 0, size), nextRange(world.rng, 0, size));
    const a = nextRange(world.rng, 0, Math.PI * 2);
    world.stores.Velocity.x[p] = Math.cos(a) * 4;
    world.stores.Velocity.y[p] = Math.sin(a) * 4;
  }
  return { world, size, obstacles };
};

const suite: Suite = {
  name: 'physics-lod',
  async run(ctx) {
    const npcs = ctx.quick ? 100_000 : 1_000_000;
    const { world, obstacles } = physicsLodBenchWorld('physics-lod', npcs);
    const wp = world.physics;
    if (!wp) throw new Error('physics expected');
    for (let i = 0; i < 40; i++) runStep(world); // tiers assigned, JIT warm
    const physicsIdx = PHASES.indexOf('physics');
    const n = ctx.quick ? 60 : 200;
    const ms: number[] = [];
    let coarse = 0;
    const st = wp.state.stats;
    const hits0 = st.sweptContacts;
    const load0 = os.loadavg();
    for (let i = 0; i < n; i++) {
      runStep(world);
      ms.push(world.stats.phaseMs[physicsIdx]);
      coarse += wp.lod.lastCoarse;
    }
    const sorted = [...ms].sort((a, b) => a - b);
    const q = (f: number) => r3(sorted[Math.min(n - 1, Math.floor(n * f))]);
    const fig = {
      npcs,
      walls: obstacles.length,
      steps: n,
      lodOn: wp.lod.on,
      physicsMeanMs: r3(ms.reduce((a, b) => a + b, 0) / n),
      physicsP50Ms: q(0.5),
      physicsP99Ms: q(0.99),
      stepBodies: wp.lod.lastStepBodies,
      coarsePerStep: Math.round(coarse / n),
      sweptContactsPerStep: r3((st.sweptContacts - hits0) / n),
      loadAvgStart: load0.map(r3),
      loadAvgEnd: os.loadavg().map(r3),
    };
    // The catch-up alone: one slice's worth of NPCs (1/20) moved by 1 s each, in id order.
    const slice = Math.ceil(npcs / world.npcSim.dormantMoveSteps);
    const o = new Float64Array(4);
    let next = 1;
    const [catchUp] = await ctx.measure(
      [
        [
          `coarse catch-up of ${slice} NPCs (1 s each), ${obstacles.length} walls`,
          () => {
            for (let k = 0; k < slice; k++) {
              coarseMove(wp.state, next, 1, o);
              next = next >= npcs ? 1 : next + 1;
            }
          },
        ],
      ],
      { timeMs: ctx.quick ? 300 : 2000 },
    );
    ctx.record('physicsLod', { ...fig, catchUpSliceMs: catchUp?.meanMs, catchUpNsPerNpc: r3(((catchUp?.meanMs ?? 0) * 1e6) / slice) });
    ctx.log(
      `physics-lod: ${npcs} NPCs, ${obstacles.length} walls: catch-up slice ${r3(catchUp?.meanMs ?? 0)} ms; physics mean ${fig.physicsMeanMs} p50 ${fig.physicsP50Ms} p99 ${fig.physicsP99Ms} ms; ${fig.coarsePerStep} coarse/step, swept contacts/step ${fig.sweptContactsPerStep}; load ${fig.loadAvgEnd.join(' ')}`,
    );
    destroySimWorld(world);
  },
};

export default suite;
