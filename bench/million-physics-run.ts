/**
 * A/B driver (not a suite): one run of bench/million-physics.ts, figures as one JSON line.
 *   npx esbuild bench/million-physics-run.ts --bundle --platform=node --format=esm --packages=external --outfile=<dir in the repo>/m.mjs
 *   node m.mjs [npcs] [steps] [inline|auto]   (auto needs the shard worker: run with tsx, not a bundle)
 */
import os from 'node:os';
import { runMillionPhysics } from './million-physics.js';

const npcs = Number(process.argv[2] ?? 1_000_000);
const steps = Number(process.argv[3] ?? 200);
const load0 = os.loadavg();
const fig = await runMillionPhysics(npcs, steps, { shards: process.argv[4] === 'auto' ? 'auto' : 'inline' });
console.log(
  JSON.stringify({
    ...fig,
    loadAvgStart: load0.map((x) => Math.round(x * 100) / 100),
    loadAvgEnd: os.loadavg().map((x) => Math.round(x * 100) / 100),
  }),
);
