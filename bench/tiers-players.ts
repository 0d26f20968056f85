/**
 * Tiering phase at many players (issue 12): 10k NPCs in a 2000 × 2000 world (the net e2e bench's
 * default world, 20 Hz) with 5,000 or 7,500 walking players spread over it, or crowded into a
 * quarter of it. Old (player-centric disc scans, forced) and new (the pass picks the cheaper side
 * by counts: src/tiers/npc-nearest.ts) alternate in one sitting; figures are the tiering phase's
 * wall ms per step (mean, p99) and per full pass. Runnable alone: `npx tsx bench/tiers-players.ts`.
 */
import { populateNpcs } from '../src/world/populate.js';
import { nextRange } from '../src/world/prng.js';
import { createSimWorld, spawnPlayer, type SimWorld } from '../src/world/sim-world.js';
import { runStep } from '../src/world/step.js';
import { PHASES } from '../systems/types.js';
import { HOUR } from '../src/behavior/activities.js';
import { loadavg } from 'node:os';
import { writeFileSync } from 'node:fs';

const TIERING = PHASES.indexOf('tiering');

/** The world of one case; `old` forces player-centric scans (the behaviour before issue 12). */
export const playersWorld = (players: number, crowded: boolean, old: boolean): SimWorld => {
  const size = 2000;
  const world = createSimWorld({
    id: 'tp',
    capacity: 10_000 + players + 16,
    size,
    seed: 1,
    config: { simulation: { tickIntervalSeconds: 0.05 }, controller: { enabled: false } },
  });
  populateNpcs(world, { count: 10_000 });
  const span = crowded ? size / 2 : size;
  for (let i = 0; i < players; i++) {
    const p = spawnPlayer(world, nextRange(world.rng, 0, span), nextRange(world.rng, 0, span));
    const a = nextRange(world.rng, 0, Math.PI * 2);
    world.stores.Velocity.x[p] = Math.cos(a) * 4;
    world.stores.Velocity.y[p] = Math.sin(a) * 4;
  }
  if (old) world.npcSim.npcNearestMinLambda = Number.POSITIVE_INFINITY;
  world.clock.now = 10 * HOUR;
  return world;
};

/** Tiering-phase ms per step over `steps` steps (after a warm-up): mean, p99, max, and mean per pass. */
export const tieringProfile = (world: SimWorld, steps: number) => {
  for (let i = 0; i < 20; i++) runStep(world);
  const ms: number[] = [];
  const passes0 = world.tierStats.tieringPasses;
  for (let i = 0; i < steps; i++) {
    runStep(world);
    ms.push(world.stats.phaseMs[TIERING]);
  }
  const passes = world.tierStats.tieringPasses - passes0;
  const sum = ms.reduce((a, b) => a + b, 0);
  ms.sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return {
    steps,
    passes,
    meanMs: r(sum / steps),
    p99Ms: r(ms[Math.min(steps - 1, Math.floor(steps * 0.99))] ?? 0),
    maxMs: r(ms[steps - 1] ?? 0),
    msPerPass: passes > 0 ? r(sum / passes) : null,
  };
};

/** Cases: label, players, crowded. */
export const PLAYER_CASES: ReadonlyArray<readonly [string, number, boolean]> = [
  ['10k NPCs + 7,500 players', 7500, false],
  ['10k NPCs + 5,000 players', 5000, false],
  ['10k NPCs + 7,500 players crowded (quarter of the world)', 7500, true],
];

/** Alternate old/new `rounds` times per case; returns per case the runs of each side. */
export const comparePlayers = (steps: number, rounds: number, log: (s: string) => void = () => {}) => {
  const out: Record<string, { old: ReturnType<typeof tieringProfile>[]; new: ReturnType<typeof tieringProfile>[] }> = {};
  for (const [label, players, crowded] of PLAYER_CASES) {
    const c = { old: [] as ReturnType<typeof tieringProfile>[], new: [] as ReturnType<typeof tieringProfile>[] };
    for (let r = 0; r < rounds; r++) {
      for (const old of r % 2 === 0 ? [true, false] : [false, true]) {
        const res = tieringProfile(playersWorld(players, crowded, old), steps);
        (old ? c.old : c.new).push(res);
        log(`${label} ${old ? 'old' : 'new'}: ${JSON.stringify(res)}`);
      }
    }
    out[label] = c;
  }
  return out;
};

if (process.argv[1]?.endsWith('tiers-players.ts')) {
  const steps = Number(process.argv[2] ?? 200);
  const rounds = Number(process.argv[3] ?? 2);
  const loadAvgStart = loadavg();
  console.log('load', loadAvgStart);
  const runs = comparePlayers(steps, rounds, console.log);
  const loadAvgEnd = loadavg();
  console.log('load', loadAvgEnd);

  const file = new URL('./results/tiers-players.json', import.meta.url);
  writeFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), steps, rounds, loadAvgStart, loadAvgEnd, runs }, null, 1)}\n`);
}
