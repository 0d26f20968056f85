/**
 * Suite `tiers`: the tiered NPC simulation at 100k and 10k NPCs with 1k moving players —
 * tier reassignment (grid rebuild + tiering pass), selection, a full step with every system,
 * interest queries — the tiering phase at 10k NPCs with 5,000 / 7,500 players (issue 12, old/new
 * alternating: bench/tiers-players.ts) — and the spatial-index alternatives for the moving set (rbush bulk reload,
 * rbush incremental update, typed-array grid), plus memory per NPC. The adaptive controller is
 * off so every step runs with the config's budgets (its job is to react to these costs).
 */
import RBush from 'rbush';
import { query } from 'bitecs';
import { storeBytes } from '../components/index.js';
import { HOUR } from '../src/behavior/activities.js';
import { selectDue } from '../src/tiers/select.js';
import { assignTiers, runTieringPass, scanNearestPlayers } from '../src/tiers/tier-assign.js';
import { npcSimStateBytes } from '../src/tiers/tier-state.js';
import type { SimWorld } from '../src/world/sim-world.js';
import { runStep } from '../src/world/step.js';
import { PHASES } from '../systems/types.js';
import { genWorld } from './gendata.js';
import type { Suite, SuiteContext } from './harness.js';
import { comparePlayers } from './tiers-players.js';

const BUDGET_MS = 16;

const makeWorld = (npcs: number, id: string): SimWorld => {
  const { world } = genWorld({ npcs, players: 1000, id, config: { controller: { enabled: false } } });
  world.clock.now = 10 * HOUR; // daytime: work/socialize chains and intents happen
  for (let i = 0; i < 40; i++) runStep(world); // warm: tiers assigned, JIT
  return world;
};

/** Steps one world `n` times, returning mean per-phase cost, mean, p99 and max step cost (wall ms). */
const phaseProfile = (world: SimWorld, n: number) => {
  const sum = new Float64Array(PHASES.length);
  const totals: number[] = [];
  for (let i = 0; i < n; i++) {
    runStep(world);
    for (let p = 0; p < PHASES.length; p++) sum[p] += world.stats.phaseMs[p];
    totals.push(world.stats.totalMs);
  }
  totals.sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 1000) / 1000;
  const phases: Record<string, number> = {};
  PHASES.forEach((p, i) => {
    if (sum[i] > 0) phases[p] = r(sum[i] / n);
  });
  const mean = totals.reduce((a, b) => a + b, 0) / n;
  return {
    steps: n,
    meanMs: r(mean),
    p50Ms: r(totals[Math.floor(n * 0.5)]),
    p99Ms: r(totals[Math.floor(n * 0.99)]),
    maxMs: r(totals[n - 1]),
    phaseMeanMs: phases,
  };
};

const worldFigures = async (ctx: SuiteContext, npcs: number, label: string) => {
  const world = makeWorld(npcs, `w${label}`);
  const out: number[] = [];
  const size = world.bounds.maxX;
  let qi = 0;
  const tasks = await ctx.measure(
    [
      [
        `tier reassignment ${label} NPCs, 1k players (NPC grid rebuild + tiering pass)`,
        () => {
          world.spatial.rebuildNpcs(world, world.npcSim.activities.maxSpeed);
          world.spatial.rebuildPlayers(world, world.ctx.stepSeconds);
          runTieringPass(world);
        },
      ],
      [`NPC grid rebuild ${label} NPCs`, () => world.spatial.rebuildNpcs(world, world.npcSim.activities.maxSpeed)],
      [`tiering pass only ${label} NPCs, 1k players`, () => runTieringPass(world)],
      [
        `  pass part 1 (step A with the grid rebuild): nearest-player scans ${label}`,
        () => {
          scanNearestPlayers(world);
        },
      ],
      [`  pass part 2 (step B): tiers, caps, commit ${label}`, () => assignTiers(world)],
      [`selection ${label} NPCs (scan due + quotas + most-overdue quickselect)`, () => selectDue(world, world.ctx)],
      [
        `1,000 queryRadius(r=100) ${label} NPCs + 1k players`,
        () => {
          for (let i = 0; i < 1000; i++) {
            qi = (qi + 7919) % 1_000_003;
            world.spatial.queryRadius((qi * 13) % size, (qi * 29) % size, 100, out);
          }
        },
      ],
      [`full step ${label} NPCs, 1k moving players (all systems)`, () => runStep(world)],
    ],
    { timeMs: ctx.quick ? 300 : 2000 },
  );
  const profile = phaseProfile(world, ctx.quick ? 60 : 300);
  const st = world.tierStats;
  ctx.record(`step${label}`, {
    ...profile,
    fullStepTinybenchMeanMs: tasks[7].meanMs,
    budgetMs: BUDGET_MS,
    shareOfBudget: Math.round((profile.meanMs / BUDGET_MS) * 1000) / 1000,
    p99ShareOfBudget: Math.round((profile.p99Ms / BUDGET_MS) * 1000) / 1000,
    npcsPerTier: Array.from(st.npcsPerTier),
    frozen: st.frozen,
    ticksPerStepLast: Array.from(st.ticksPerTier),
    overdueLast: Array.from(st.overduePerTier),
    ticksTotalPerTier: Array.from(st.ticksTotalPerTier),
    chainsAdvancedTotal: st.chainsAdvancedTotal,
    intentsEmittedTotal: st.intentsEmittedTotal,
    lastTieringMs: Math.round(st.lastTieringMs * 1000) / 1000,
    tieringIntervalSteps: world.config.simulation.tieringIntervalSteps,
  });
  ctx.record(`reassignmentMs${label}`, tasks[0].meanMs);
  ctx.record(`selectionMs${label}`, tasks[5].meanMs);
  ctx.record(`passSplitMs${label}`, { gridRebuild: tasks[1].meanMs, scanPart: tasks[3].meanMs, assignPart: tasks[4].meanMs });
  ctx.record(`queryRadiusUsPerCall${label}`, Math.round(tasks[6].meanMs * 1000) / 1000);
  return world;
};

interface Pt {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
  eid: number;
}

/** The moving set's index alternatives over the same 100k world (positions as they are). */
const alternatives = async (ctx: SuiteContext, world: SimWorld) => {
  const { Position, Npc } = world.stores;
  const npcs = Array.from(query(world, [Position, Npc]));
  const pts: Pt[] = npcs.map((e) => ({ minX: Position.x[e], minY: Position.y[e], maxX: Position.x[e], maxY: Position.y[e], eid: e }));
  const loaded = new RBush<Pt>(16).load(pts);
  const size = world.bounds.maxX;
  const out: number[] = [];
  const moved = (frac: number) => pts.slice(0, Math.floor(pts.length * frac));
  const inc10 = moved(0.1);
  const incremental = new RBush<Pt>(16).load(pts);
  let flip = 1;
  const tasks = await ctx.measure(
    [
      [
        'rbush bulk reload 100k points',
        () => {
          new RBush<Pt>(16).load(pts);
        },
      ],
      [
        'rbush incremental update 10% of 100k (remove + move + insert)',
        () => {
          flip = -flip;
          for (const p of inc10) {
            incremental.remove(p);
            p.minX = p.maxX = p.minX + flip * 0.05;
            incremental.insert(p);
          }
        },
      ],
      ['typed-array grid rebuild 100k NPCs', () => world.spatial.rebuildNpcs(world, 1.2)],
      [
        'rbush 1,000 radius searches (box + exact filter) over 100k',
        () => {
          let q = 1;
          for (let i = 0; i < 1000; i++) {
            q = (q * 48271) % 2147483647;
            const x = q % size,
              y = (q >> 7) % size;
            const hits = loaded.search({ minX: x - 100, minY: y - 100, maxX: x + 100, maxY: y + 100 });
            out.length = 0;
            for (const h of hits) if ((h.minX - x) ** 2 + (h.minY - y) ** 2 <= 10_000) out.push(h.eid);
          }
        },
      ],
      [
        'grid 1,000 radius searches over 100k (+1k players)',
        () => {
          let q = 1;
          for (let i = 0; i < 1000; i++) {
            q = (q * 48271) % 2147483647;
            world.spatial.queryRadius(q % size, (q >> 7) % size, 100, out);
          }
        },
      ],
    ],
    { timeMs: ctx.quick ? 300 : 1500 },
  );
  const perStep = (ms: number) => Math.round(ms * 1000) / 1000;
  ctx.record('movingSetIndex100k', {
    rbushBulkReloadMs: perStep(tasks[0].meanMs),
    rbushIncremental10pctMs: perStep(tasks[1].meanMs),
    rbushIncremental50pctEstimateMs: perStep(tasks[1].meanMs * 5), // half the NPCs walk
    gridRebuildMs: perStep(tasks[2].meanMs),
    rbushOverGridRebuild: Math.round((tasks[0].meanMs / tasks[2].meanMs) * 10) / 10,
    rbush1000SearchesMs: perStep(tasks[3].meanMs),
    grid1000SearchesMs: perStep(tasks[4].meanMs),
    rbushOverGridSearch: Math.round((tasks[3].meanMs / tasks[4].meanMs) * 10) / 10,
    verdict: 'moving set in the typed-array grid (rebuilt on the tiering cadence); rbush for tier zones (few, rarely changing boxes)',
  });
};

const suite: Suite = {
  name: 'tiers',
  async run(ctx) {
    await worldFigures(ctx, 10_000, '10k');
    const w100k = await worldFigures(ctx, 100_000, '100k');
    // Memory at 100k: every component store (all fields, full capacity) + spatial index + tier
    // lists/selection/scratch + intent ring, divided by the NPC count.
    const stores = storeBytes(w100k.stores);
    const spatial = w100k.spatial.bytes();
    const sim = npcSimStateBytes(w100k.npcSim);
    const intents = w100k.intents.bytes();
    const total = stores + spatial + sim + intents;
    ctx.record('memory100k', {
      storesBytes: stores,
      spatialIndexBytes: spatial,
      tierStateBytes: sim,
      intentQueueBytes: intents,
      totalBytes: total,
      bytesPerNpc: Math.round(total / 100_000),
      storesBytesPerNpc: Math.round(stores / 100_000),
      indexAndStateBytesPerNpc: Math.round((spatial + sim + intents) / 100_000),
      note: 'capacity = 101,016 entity rows (100k NPCs + 1k players + 16); bytes of typed arrays, not JS heap',
    });
    await alternatives(ctx, w100k);
    // Issue 12: tiering at many players (10k NPCs, 2000 × 2000, 20 Hz): player-centric scans
    // (old, forced) and the count-picked side (new) alternating in this sitting.
    const cmp = comparePlayers(ctx.quick ? 100 : 300, 2, (line) => console.log(`  ${line}`));
    const mean = (xs: number[]) => Math.round((xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)) * 1000) / 1000;
    const summary: Record<string, unknown> = {};
    for (const [label, c] of Object.entries(cmp)) {
      summary[label] = {
        oldTieringMeanMs: mean(c.old.map((r) => r.meanMs)),
        newTieringMeanMs: mean(c.new.map((r) => r.meanMs)),
        oldTieringP99Ms: mean(c.old.map((r) => r.p99Ms)),
        newTieringP99Ms: mean(c.new.map((r) => r.p99Ms)),
        oldMsPerPass: mean(c.old.map((r) => r.msPerPass ?? 0)),
        newMsPerPass: mean(c.new.map((r) => r.msPerPass ?? 0)),
        runs: c,
      };
    }
    ctx.record('tieringManyPlayers', {
      note: 'tiering phase wall ms per step (mean, p99 of each run, averaged over the alternating runs) and per tiering pass; old = player-centric disc scans forced (npcSim.npcNearestMinLambda = Infinity)',
      ...summary,
    });
    ctx.record('note', '2 shared cores: timings are noisy (2-3x run to run; see machine.loadAvgStart/End); compare ratios within a run');
  },
};
export default suite;
