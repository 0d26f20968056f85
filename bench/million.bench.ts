/**
 * Suite `million`: one world of 1,000,000 NPCs and 1,000 moving players, full pipeline (every
 * default system; no physics engine, so the physics phase is `movement`: coarse for dormant NPCs), adaptive controller off so every step
 * runs with the config's budgets. Records step mean / p50 / p95 / p99 / max, the mean per phase,
 * and bytes per NPC (component stores, grids, tier state, intent ring; plus process RSS).
 * `--quick` runs 100k NPCs instead (smoke). A full run also records and prints the figures before
 * this suite's tiering/movement rework (`before`, fixed) next to this run (`after`) and their ratios.
 * Then the same world WITH the physics engine (`withPhysics`, bench/million-physics.ts: level of
 * detail on, inline, a lattice of thin walls): step mean / p95 / p99 and the physics phase's parts.
 */
import { storeBytes } from '../components/index.js';
import { HOUR } from '../src/behavior/activities.js';
import { PHASES } from '../src/core/phases.js';
import { npcSimStateBytes } from '../src/tiers/tier-state.js';
import { runStep } from '../src/world/step.js';
import { genWorld } from './gendata.js';
import { runMillionPhysics } from './million-physics.js';
import { destroySimWorld } from '../src/world/sim-world.js';
import os from 'node:os';
import type { Suite } from './harness.js';

const BUDGET_MS = 16;

/**
 * "Before" figures, for the before/after the issue asks for: the same suite at commit ab1ee22
 * (whole near passes every 5 steps in two halves, every NPC integrated every step, float64
 * scratch and full-size lists), run on 2026-11-30T07:56Z at load 0.75 → 1.18 (quiet machine).
 */
const BEFORE = {
  commit: 'ab1ee22',
  date: '2026-11-30T07:56:16Z',
  loadAvg1m: [0.75, 1.18],
  step: { meanMs: 23.066, p50Ms: 12.717, p95Ms: 47.854, p99Ms: 55.275, maxMs: 59.832 },
  phaseMeanMs: { tiering: 12.074, select: 1.821, behavior: 0.72, physics: 8.372 },
  stepWithoutPhysicsPhase: { meanMs: 14.695, p50Ms: 3.119, p95Ms: 38.86, p99Ms: 45.754, maxMs: 48.108 },
  tierStateBytesPerNpc: 82,
  spatialBytesPerNpc: 22,
  storesBytesPerNpc: 220,
  tieringPasses: 68,
} as const;

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
    const perPhase: number[][] = PHASES.map(() => []);
    const totals: number[] = [];
    const noPhysics: number[] = [];
    const physicsIdx = PHASES.indexOf('physics');
    const tieringIdx = PHASES.indexOf('tiering');
    // Per slice kind: which near-pass slice (phase#index) and whether a grid-build slice ran.
    const kinds = new Map<string, { steps: number; tiering: number[]; total: number[] }>();
    const phaseName = ['none', 'scan', 'place', 'caps', 'next', 'commit']; // by NearPhase value
    let lastPhase = -1,
      sliceIdx = 0;
    for (let i = 0; i < n; i++) {
      const ph0 = world.npcSim.nearPhase;
      const build0 = world.spatial.npcBuilding();
      runStep(world);
      const ph = ph0 === 0 && world.npcSim.nearPhase !== 0 ? 1 : ph0;
      sliceIdx = ph === lastPhase && ph !== 0 ? sliceIdx + 1 : 0;
      lastPhase = ph;
      const build1 = world.spatial.npcBuilding();
      const grid = build0 && build1 ? '+grid' : build1 ? '+gridBegin' : build0 ? '+gridSwap' : '';
      const label = `${phaseName[ph]}${ph === 0 ? '' : `#${sliceIdx}`}${grid}`;
      const k = kinds.get(label) ?? { steps: 0, tiering: [], total: [] };
      k.steps++;
      k.tiering.push(world.stats.phaseMs[tieringIdx]);
      k.total.push(world.stats.totalMs);
      kinds.set(label, k);
      for (let p = 0; p < PHASES.length; p++) {
        sum[p] += world.stats.phaseMs[p];
        perPhase[p].push(world.stats.phaseMs[p]);
      }
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
    const phaseP99: Record<string, number> = {};
    PHASES.forEach((p, i) => {
      const v = perPhase[i].sort((a, b) => a - b);
      if (sum[i] > 0) phaseP99[p] = r(v[Math.min(n - 1, Math.floor(n * 0.99))]);
    });
    const sliceKinds: Record<
      string,
      { steps: number; tieringMeanMs: number; tieringMaxMs: number; stepMeanMs: number; stepMaxMs: number }
    > = {};
    for (const [label, k] of [...kinds.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
      const avg = (a: number[]) => r(a.reduce((x, y) => x + y, 0) / a.length);
      sliceKinds[label] = {
        steps: k.steps,
        tieringMeanMs: avg(k.tiering),
        tieringMaxMs: r(Math.max(...k.tiering)),
        stepMeanMs: avg(k.total),
        stepMaxMs: r(Math.max(...k.total)),
      };
    }
    // The steps at or above the p99: which slice kinds they ran.
    const p99 = totals[Math.min(n - 1, Math.floor(n * 0.99))];
    const tail: Record<string, number> = {};
    for (const [label, k] of kinds) for (const t of k.total) if (t >= p99) tail[label] = (tail[label] ?? 0) + 1;
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
      'default world systems: no physics engine (createSimWorld without physics), the physics phase is movement (upper tiers and players every step, dormant NPCs in a rotating slice: src/tiers/coarse-movement.ts)',
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
      phaseP99Ms: phaseP99,
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
    const s = world.npcSim;
    ctx.record('tiering', {
      passes:
        'near passes spread over steps: player scans / candidate placement / commit / next near set, ' +
        `${s.nearScanParts} + ${s.nearPlaceParts} + 1 + 1 + ${s.nearNextParts} slices (caps, then commit; scans up to 2x nearScanParts where discs are dense, caps in two steps from ${s.nearCapsSplitMin} tier-list entries); the NPC grid is rebuilt in ${s.gridBuildParts} + 1 slices (src/tiers/grid-build.ts: count, row starts, scatter into rows, per-row column sort) from 0.2 cells of margin, whole only past half a cell`,
      movement: `coarse dormant movement: upper tiers every step, a 1/${s.dormantMoveSteps} slice of all NPCs per step catching up its lag`,
      gridMarginEnd: r(world.spatial.margin()),
      // A sliced NPC-grid build's second slot arrays are in memory.spatialIndexBytes while it runs.
      gridBuildRunningAtEnd: world.spatial.npcBuilding(),
      // Per slice kind (phase#slice index; +grid: a grid build runs, +gridBegin / +gridSwap: it starts / is swapped in): tiering
      // phase and whole-step ms; p99Kinds: the slice kinds of the steps at or above the step p99.
      sliceKinds,
      p99Kinds: tail,
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
    const after = {
      step: { meanMs: r(mean), p50Ms: q(0.5), p95Ms: q(0.95), p99Ms: q(0.99), maxMs: r(totals[n - 1]) },
      phaseMeanMs: { tiering: phases.tiering, select: phases.select, behavior: phases.behavior, physics: phases.physics },
      tierStateBytesPerNpc: Math.round(sim / npcs),
      spatialBytesPerNpc: Math.round(spatial / npcs),
      storesBytesPerNpc: Math.round(stores / npcs),
      tieringPasses: st.tieringPasses,
    };
    if (!ctx.quick) {
      ctx.record('before', BEFORE);
      ctx.record('after', after);
      ctx.record('afterOverBefore', {
        stepMean: r(after.step.meanMs / BEFORE.step.meanMs),
        stepP50: r(after.step.p50Ms / BEFORE.step.p50Ms),
        stepP99: r(after.step.p99Ms / BEFORE.step.p99Ms),
        tieringMean: r((after.phaseMeanMs.tiering ?? 0) / BEFORE.phaseMeanMs.tiering),
        physicsMean: r((after.phaseMeanMs.physics ?? 0) / BEFORE.phaseMeanMs.physics),
        tierStateBytes: r(after.tierStateBytesPerNpc / BEFORE.tierStateBytesPerNpc),
      });
      ctx.log(
        `million before (${BEFORE.commit}, load ${BEFORE.loadAvg1m.join('→')}): step mean ${BEFORE.step.meanMs} p50 ${BEFORE.step.p50Ms} p99 ${BEFORE.step.p99Ms} ms, tiering ${BEFORE.phaseMeanMs.tiering} physics ${BEFORE.phaseMeanMs.physics} ms, tier state ${BEFORE.tierStateBytesPerNpc} B/NPC`,
      );
      ctx.log(
        `million after: step mean ${after.step.meanMs} p50 ${after.step.p50Ms} p99 ${after.step.p99Ms} ms, tiering ${after.phaseMeanMs.tiering} physics ${after.phaseMeanMs.physics} ms, tier state ${after.tierStateBytesPerNpc} B/NPC`,
      );
    }
    ctx.log(`million slice kinds (tiering mean/max, step mean/max ms): ${JSON.stringify(sliceKinds)}; p99 steps: ${JSON.stringify(tail)}`);
    destroySimWorld(world);
    // The same world with the physics engine on (a fresh build; the first world is gone).
    const load0 = os.loadavg();
    const wp = await runMillionPhysics(npcs, ctx.quick ? 60 : 300);
    ctx.record('withPhysics', {
      ...wp,
      mode: 'inline (0 shards): physics system in place of movement, level of detail on; see bench/million-physics.ts',
      loadAvgStart: load0.map(r),
      loadAvgEnd: os.loadavg().map(r),
    });
    ctx.log(
      `million WITH physics (inline, LOD on, ${wp.walls} walls): step mean ${wp.step.meanMs} p95 ${wp.step.p95Ms} p99 ${wp.step.p99Ms} ms; physics phase mean ${wp.physics.phase.meanMs} p99 ${wp.physics.phase.p99Ms} = list ${wp.physics.list.meanMs} + dormant slice ${wp.physics.slice.meanMs} + nav ${wp.physics.nav.meanMs} + step ${wp.physics.step.meanMs} ms; ${wp.physics.bodiesPerStep} bodies + ${wp.physics.coarsePerStep} catch-ups per step`,
    );
    // Again with the shard workers of `shards: auto` (cores − 1) and `mode: auto` (sharded or inline by measurement).
    const load1 = os.loadavg();
    const wa = await runMillionPhysics(npcs, ctx.quick ? 60 : 300, { shards: 'auto' });
    ctx.record('withPhysicsShardsAuto', { ...wa, loadAvgStart: load1.map(r), loadAvgEnd: os.loadavg().map(r) });
    ctx.log(
      `million WITH physics (${wa.shards}): step mean ${wa.step.meanMs} p95 ${wa.step.p95Ms} p99 ${wa.step.p99Ms} ms; physics phase mean ${wa.physics.phase.meanMs} p99 ${wa.physics.phase.p99Ms} = list ${wa.physics.list.meanMs} + dormant slice ${wa.physics.slice.meanMs} + nav ${wa.physics.nav.meanMs} + step ${wa.physics.step.meanMs} ms`,
    );
    ctx.log(
      `million: ${npcs} NPCs step mean ${r(mean)} p95 ${q(0.95)} p99 ${q(0.99)} ms (without the physics phase: p99 ${qn(0.99)}); ${Math.round(total / npcs)} B/NPC typed arrays; RSS ${Math.round(rss / 2 ** 20)} MiB; phases ${JSON.stringify(phases)}`,
    );
  },
};
export default suite;
