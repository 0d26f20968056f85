/**
 * Profiling driver (not a suite): the `physics-lod` world (1M NPCs, 2,401 thin walls, 1,000 walking
 * players, time + tiering + physics, inline) stepped N times, printing the physics phase's mean.
 *   npx esbuild bench/physics-1m-run.ts --bundle --platform=node --format=esm --packages=external --outfile=<dir in the repo>/p.mjs
 *   P1M_PROF=/tmp/p.cpuprofile node <dir in the repo>/p.mjs [npcs] [steps]
 * (packages external: piscina's dynamic requires fail in a bundle; the bundle must sit in the repo
 * to resolve them; P1M_PROF profiles the measured steps only, after the warm-up). Prints the
 * physics phase's parts (list, slice, nav, step) and the world's hash (bit-identity checks).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { PHASES } from '../src/core/phases.js';
import { destroySimWorld } from '../src/world/sim-world.js';
import { runStep } from '../src/world/step.js';
import { hashWorldState } from '../src/world/state-hash.js';
import { physicsLodBenchWorld } from './physics-lod.bench.js';

const npcs = Number(process.argv[2] ?? 1_000_000);
const steps = Number(process.argv[3] ?? 200);
const { world } = physicsLodBenchWorld('p1m', npcs);
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
// The phase's parts (world.physics.lastMs), summed.
const parts = { list: 0, slice: 0, nav: 0, step: 0 };
for (let i = 0; i < steps; i++) {
  runStep(world);
  ms.push(world.stats.phaseMs[pi]);
  sum += world.stats.phaseMs[pi];
  const lm = world.physics?.lastMs;
  if (lm) for (const k of ['list', 'slice', 'nav', 'step'] as const) parts[k] += lm[k];
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
  `parts mean ${Object.entries(parts)
    .map(([k, v]) => `${k} ${(v / steps).toFixed(2)}`)
    .join(' ')} ms\n` +
    `physics mean ${(sum / steps).toFixed(2)} p50 ${ms[steps >> 1].toFixed(2)} p99 ${ms[Math.floor(steps * 0.99)].toFixed(2)} ms; bodies ${world.physics?.lod.lastStepBodies} coarse ${world.physics?.lod.lastCoarse}; hash ${hashWorldState(world)}`,
);
destroySimWorld(world);
