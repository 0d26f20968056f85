/**
 * The tiering, select and behaviour phases alone in the full-frame bench's world (bench/full-frame.ts:
 * 100k NPCs + 1k walking players, world 6325², 60 Hz, seed 7, physics off: plain and coarse
 * movement), without replication and scene jobs, so their cost is measured on a quiet main thread:
 * per phase, process CPU ms per step (mean, p50, p99, max) and the same for the three together; the
 * near pass's phase of the steps above the 99th percentile. A/B: run it from two worktrees in
 * alternation. `npx tsx bench/tiers-frame.ts [steps]` (default 600); `TF_DUMP=file` writes per-step
 * [near phase, building, tiering, select, behavior, physics] CPU ms.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { PHASES } from '../src/core/phases.js';
import { populateNpcs } from '../src/world/populate.js';
import { nextRange } from '../src/world/prng.js';
import { createSimWorld, spawnPlayer } from '../src/world/sim-world.js';
import { runStep } from '../src/world/step.js';
import { timePhasesCpu } from './phase-cpu.js';

const NPCS = 100_000;
const PLAYERS = 1_000;
const SIZE = Math.round(Math.sqrt((NPCS * 2000 * 2000) / 10_000));
const steps = Number(process.argv[2] ?? 600);
const world = createSimWorld({
  id: 'tiers-frame',
  capacity: NPCS + PLAYERS + 16,
  seed: 7,
  size: SIZE,
  physics: false,
  config: { simulation: { tickIntervalSeconds: 1 / 60 } },
});
populateNpcs(world, { count: NPCS });
for (let i = 0; i < PLAYERS; i++) {
  const p = spawnPlayer(world, nextRange(world.rng, 0, SIZE), nextRange(world.rng, 0, SIZE));
  const a = nextRange(world.rng, 0, Math.PI * 2);
  world.stores.Velocity.x[p] = Math.cos(a) * 4;
  world.stores.Velocity.y[p] = Math.sin(a) * 4;
}
const WATCH = ['tiering', 'select', 'behavior', 'physics'] as const;
const idx = WATCH.map((p) => PHASES.indexOf(p));
const cpu = new Float64Array(PHASES.length);
timePhasesCpu(world, cpu);
for (let i = 0; i < 30; i++) runStep(world);
const rows: number[][] = [];
const load0 = os.loadavg();
for (let i = 0; i < steps; i++) {
  const near = world.npcSim.nearPhase,
    building = world.spatial.npcBuilding() ? 1 : 0;
  cpu.fill(0);
  runStep(world);
  rows.push([near, building, ...idx.map((k) => cpu[k])]);
}
const r2 = (x: number): number => Math.round(x * 100) / 100;
const stat = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  const q = (f: number): number => r2(s[Math.min(s.length - 1, Math.floor(f * s.length))]);
  return { mean: r2(a.reduce((x, y) => x + y, 0) / a.length), p50: q(0.5), p99: q(0.99), max: r2(s[s.length - 1]) };
};
const three = rows.map((r) => r[2] + r[3] + r[4]);
const p99 = stat(three).p99;
const out = {
  setup: `${NPCS} NPCs + ${PLAYERS} players, world ${SIZE}², 60 Hz, physics off, no replication; ${steps} steps; process CPU ms per step`,
  phases: Object.fromEntries(WATCH.map((p, k) => [p, stat(rows.map((r) => r[2 + k]))])),
  tieringSelectBehavior: stat(three),
  /** Near-pass phase (none, scan, place, caps, next, commit) of the steps above the 99th percentile. */
  tailNearPhases: rows.filter((_, i) => three[i] > p99).map((r) => r[0]),
  loadAvg: [load0.map(r2), os.loadavg().map(r2)],
};
console.log(JSON.stringify(out));
if (process.env.TF_DUMP) writeFileSync(process.env.TF_DUMP, JSON.stringify(rows));
process.exit(0);
