/**
 * Profiling driver (not a suite): the `physics-lod` world (1M NPCs, 2,401 thin walls, 1,000 walking
 * players, time + tiering + physics, inline) stepped N times, printing the physics phase's mean.
 *   npx esbuild bench/physics-1m-run.ts --bundle --platform=node --format=esm --outfile=/tmp/p.mjs
 *   node --cpu-prof /tmp/p.mjs [npcs] [steps]
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { PHASES } from '../src/core/phases.js';
import { populateNpcs } from '../src/world/populate.js';
import { nextRange } from '../src/world/prng.js';
import { createSimWorld, destroySimWorld, spawnPlayer } from '../src/world/sim-world.js';
import { runStep } from '../src/world/step.js';
import { DEFAULT_SYSTEMS } from '../systems/index.js';
import { hashWorldState } from '../src/world/state-hash.js';
import { physicsLodWalls } from './physics-lod.bench.js';

const npcs = Number(process.argv[2] ?? 1_000_000);
const steps = Number(process.argv[3] ?? 200);
const size = Math.round(Math.sqrt(npcs * 400));
const world = createSimWorld({
  id: 'p1m',
  capacity: npcs + 1016,
  seed: 7,
  size,
  systems: DEFAULT_SYSTEMS.filter((e) => ['time', 'tiering', 'movement'].includes(e.name)),
  physics: { shards: 0, mode: 'inline', tuning: { cellSize: 32 }, obstacles: physicsLodWalls(size) },
  config: { controller: { enabled: false } },
});
populateNpcs(world, { count: npcs, movingFraction: 0.9, maxSpeed: 3 });
for (let i = 0; i < 1000; i++) {
  const p = spawnPlayer(world, nextRange(world.rng, 0, size), nextRange(world.rng, 0, size));
  const a = nextRange(world.rng, 0, Math.PI * 2);
  world.stores.Velocity.x[p] = Math.cos(a) * 4;
  world.stores.Velocity.y[p] = Math.sin(a) * 4;
}
for (let i = 0; i < 40; i++) runStep(world);
const prof = process.env.P1M_PROF;
const session = new Session();
if (prof) {
  session.connect();
  await new Promise((r) => session.post('Profiler.enable', () => session.post('Profiler.start', r)));
}
const pi = PHASES.indexOf('physics');
let sum = 0;
const ms: number[] = [];
for (let i = 0; i < steps; i++) {
  runStep(world);
  ms.push(world.stats.phaseMs[pi]);
  sum += world.stats.phaseMs[pi];
}
if (prof)
  await new Promise<void>((r) =>
    session.post('Profiler.stop', (_e, res) => {
      writeFileSync(prof, JSON.stringify(res.profile));
      r();
    }),
  );
ms.sort((a, b) => a - b);
console.log(
  `physics mean ${(sum / steps).toFixed(2)} p50 ${ms[steps >> 1].toFixed(2)} p99 ${ms[Math.floor(steps * 0.99)].toFixed(2)} ms; bodies ${world.physics?.lod.lastStepBodies} coarse ${world.physics?.lod.lastCoarse}; hash ${hashWorldState(world)}`,
);
destroySimWorld(world);
