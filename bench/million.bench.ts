/**
 * Suite `million`: one world of 1,000,000 NPCs and 1,000 moving players, full pipeline (every
 * default system; no physics engine, so the physics phase is `movement` integrating every NPC), adaptive controller off so every step
 * runs with the config's budgets. Records step mean / p50 / p95 / p99 / max, the mean per phase,
 * and bytes per NPC (component stores, grids, tier state, intent ring; plus process RSS).
 * `--quick` runs 100k NPCs instead (smoke).
 */
import { storeBytes } from '../components/index.js';
import { HOUR } from '../src/behavior/activities.js';
import { PHASES } from '../src/core/phases.js';
import { npcSimStateBytes } from '../src/tiers/tier-state.js';
import { runStep } from '../src/world/step.js';
import { genWorld } from './gendata.js';
import type { Suite } from './harness.js';

const BUDGET_MS = 16;

const suite: Suite = {
  name: 'million',
  async run(ctx) {
    const npcs = ctx.quick ? 100_000 : 1_000_000;
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    const { world } = genWorld({ npcs, players: 1000, id: 'million', config: { controller: { enabled: false } } });
    world.clock.now = 10 * HOUR;
    const buildMs = performance.now() - t0;
    for (let i = 0; i < 40; i++) runStep(world); // tiers assigned, JIT warm
    const n = ctx.quick ? 60 : 300;
    const sum = new Float64Array(PHASES.length);
    const totals: number[] = [];
    const noPhysics: number[] = [];
    const physicsIdx = PHASES.indexOf('physics');
    for (let i = 0; i < n; i++) {
      runStep(world);
      for (let p = 0; p < PHASES.length; p++) sum[p] += world.stats.phaseMs[p];
      totals.push(world.stats.totalMs);
      noPhysics.push(world.stats.totalMs - world.stats.phaseMs[physicsIdx]);
    }
    totals.sort((a, b) => a - b);
    noPhysics.sort((a, b) => a - b);
    const r = (x: number) => Math.round(x * 1000) / 1000;
    const q = (f: number) => r(totals[Math.min(n - 1, Math.floor(n * f))]);
    const qn = (f: number) => r(noPhysics[Math.min(n - 1, Math.floor(n * f))]);
    const phases: Record<string, number> = {};
    PHASES.forEach((p, i) => {
      if (sum[i] > 0) phases[p] = r(sum[i] / n);
    });
    const mean = totals.reduce((a, b) => a + b, 0) / n;
    const stores = storeBytes(world.stores);
    const spatial = world.spatial.bytes();
    const sim = npcSimStateBytes(world.npcSim);
    const intents = world.intents.bytes();
    const total = stores + spatial + sim + intents;
    const rss = process.memoryUsage().rss;
    const st = world.tierStats;
    ctx.record('npcs', npcs);
    ctx.record('players', 1000);
    ctx.record(
      'physics',
      'default world systems: no physics engine (createSimWorld without physics), the physics phase runs movement + crowd-movement over every NPC',
    );
    ctx.record('buildMs', r(buildMs));
    ctx.record('step', {
      steps: n,
      meanMs: r(mean),
      p50Ms: q(0.5),
      p95Ms: q(0.95),
      p99Ms: q(0.99),
      maxMs: r(totals[n - 1]),
      budgetMs: BUDGET_MS,
      phaseMeanMs: phases,
    });
    // The same steps without the physics phase (default world: \`movement\` integrates every NPC
    // each step, O(N); moving 1M bodies is separate work): what tiering + selection + the rest cost.
    ctx.record('stepWithoutPhysicsPhase', {
      meanMs: r(noPhysics.reduce((a, b) => a + b, 0) / n),
      p50Ms: qn(0.5),
      p95Ms: qn(0.95),
      p99Ms: qn(0.99),
      maxMs: r(noPhysics[n - 1]),
    });
    ctx.record('tiers', {
      npcsPerTier: Array.from(st.npcsPerTier),
      frozen: st.frozen,
      ticksPerStepLast: Array.from(st.ticksPerTier),
      overdueLast: Array.from(st.overduePerTier),
      ticksTotalPerTier: Array.from(st.ticksTotalPerTier),
      tieringPasses: st.tieringPasses,
      tieringIntervalSteps: world.config.simulation.tieringIntervalSteps,
    });
    ctx.record('memory', {
      storesBytes: stores,
      spatialIndexBytes: spatial,
      tierStateBytes: sim,
      intentQueueBytes: intents,
      totalBytes: total,
      bytesPerNpc: Math.round(total / npcs),
      storesBytesPerNpc: Math.round(stores / npcs),
      spatialBytesPerNpc: Math.round(spatial / npcs),
      tierStateBytesPerNpc: Math.round(sim / npcs),
      rssBytes: rss,
      rssBytesPerNpc: Math.round(rss / npcs),
      rssGrowthBytesPerNpc: Math.round((rss - rss0) / npcs),
    });
    ctx.log(
      `million: ${npcs} NPCs step mean ${r(mean)} p95 ${q(0.95)} p99 ${q(0.99)} ms (without the physics phase: p99 ${qn(0.99)}); ${Math.round(total / npcs)} B/NPC typed arrays; RSS ${Math.round(rss / 2 ** 20)} MiB; phases ${JSON.stringify(phases)}`,
    );
  },
};
export default suite;
