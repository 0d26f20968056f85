/**
 * Suite `overload`: a world at 1×, 2× and 4× the NPC load its frame budget fits, with and
 * without the adaptive controller. Direct `runStep` calls (no timers); the load is the real
 * pipeline (tiering, select, behavior + interactions, movement, replicate, control) plus a
 * bench-local perception system in the behavior phase: each ticked NPC queries its neighbours
 * within 120 units through the world's spatial grid (the typical dominant AI cost).
 *
 * Load: k× = k·6,000 NPCs and k·16 players on k× the area (same density, so the same work
 * per NPC tick: k× the NPC load means k× the AI work, not more per tick). Budget:
 * calibrated per load from a 1× world without controller (its mean step cost = 70 % of the
 * budget), so "1×" is the load the budget fits on this machine at that moment. The off and on
 * worlds of a load are measured in alternating blocks with a full GC before each block.
 *
 * Figures: step cost p50/p95/p99/max vs budget, NPC ticks per step (per tier), AI CPU time
 * (behavior-phase wall ms), detailed-tier ticks and detailed backlog (due but unticked:
 * must be 0), controller mode occupancy. The machine is shared (2 cores): wall
 * timings are noisy; compare ratios within one run.
 */
import { query } from 'bitecs';
import v8 from 'node:v8';
import vm from 'node:vm';
import { getControllerStatus } from '../src/controller/controller-status.js';
import { createPrng, nextFloat } from '../src/world/prng.js';
import { updateWorldConfig, type SimWorld } from '../src/world/sim-world.js';
import { runStep } from '../src/world/step.js';
import { DEFAULT_SYSTEMS, PhaseIndex, type System, type SystemEntry } from '../systems/index.js';
import { genWorld } from './gendata.js';
import type { Suite } from './harness.js';

const N1 = 6000;
const PLAYERS = 16;
const SIZE = 2000;
const PERCEPTION_RADIUS = 120;

const scratch: number[] = [];
/** Bench-local AI: per ticked NPC, a neighbour query and a crowd-mood update. */
const perceptionSystem: System = (world) => {
  const s = world.npcSim;
  const { Position, Behavior } = world.stores;
  for (let i = 0; i < s.selectedCount; i++) {
    const e = s.selected[i];
    const n = world.spatial.queryRadius(Position.x[e], Position.y[e], PERCEPTION_RADIUS, scratch);
    const m = Behavior.mood[e] + 0.0005 * (n - 6);
    Behavior.mood[e] = m < 0 ? 0 : m > 1 ? 1 : m;
  }
};

const SYSTEMS: SystemEntry[] = [];
for (const s of DEFAULT_SYSTEMS) {
  SYSTEMS.push(s);
  if (s.name === 'behavior') SYSTEMS.push({ name: 'perception', phase: 'behavior', run: perceptionSystem });
}

const config = (budgetMs: number, controller: boolean) => ({
  simulation: {
    maxNpcTicksPerStep: 10_000,
    detailedReserve: 0.05, // floor 500 = the detailed tier's cap: every detailed NPC, every step
    tiers: { detailed: { maxNpcs: 500 }, active: { tickSeconds: 3 }, ambient: { tickSeconds: 15 }, dormant: { tickSeconds: 60 } },
  },
  controller: { enabled: controller, frameBudgetMs: budgetMs },
});

const pct = (sorted: Float64Array, q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
const r3 = (n: number): number => Math.round(n * 1000) / 1000;

interface RunFigures {
  load: string;
  controller: boolean;
  npcs: number;
  budgetMs: number;
  steps: number;
  stepMeanMs: number;
  stepP50Ms: number;
  stepP95Ms: number;
  stepP99Ms: number;
  stepMaxMs: number;
  p99OverBudget: number;
  /** Process CPU time per step (user + system, all threads incl. GC helpers): not inflated by being descheduled. */
  cpuP50Ms: number;
  cpuP99Ms: number;
  cpuP99OverBudget: number;
  aiMsMean: number;
  aiMsTotal: number;
  npcTicksPerStep: number;
  ticksPerStepByTier: number[];
  detailedNpcsMean: number;
  detailedTicksPerStep: number;
  /** Due detailed NPCs left unticked, summed over the measured steps (floor: must be 0). */
  detailedBacklogTotal: number;
  npcTickBudgetMean: number;
  /** Due NPCs of every tier left unticked, per step (mean). */
  backlogPerStep: number;
  /** Auto-budget: ticks granted above maxNpcTicksPerStep, per step (mean). */
  autoExtraMean: number;
  modeSteps: Record<string, number>;
  transitions: number;
}

/** Per-run accumulators (one per world). */
class Acc {
  readonly total: Float64Array;
  readonly cpu: Float64Array;
  ai = 0;
  ticks = 0;
  det = 0;
  detNpcs = 0;
  backlog = 0;
  backlogAll = 0;
  extra = 0;
  budget = 0;
  i = 0;
  t0 = 0;
  readonly tiers = [0, 0, 0, 0];
  readonly modes: Record<string, number> = { normal: 0, degraded: 0, emergency: 0 };
  constructor(
    readonly world: SimWorld,
    steps: number,
  ) {
    this.total = new Float64Array(steps);
    this.cpu = new Float64Array(steps);
  }
  step(): void {
    const w = this.world;
    this.budget += w.ctx.budgets.npcTicks;
    const c0 = process.cpuUsage();
    runStep(w);
    const c = process.cpuUsage(c0);
    this.cpu[this.i] = (c.user + c.system) / 1000;
    this.total[this.i++] = w.stats.totalMs;
    this.ai += w.stats.phaseMs[PhaseIndex.behavior];
    const ts = w.tierStats;
    for (let t = 0; t < 4; t++) {
      this.tiers[t] += ts.ticksPerTier[t];
      this.ticks += ts.ticksPerTier[t];
    }
    this.det += ts.ticksPerTier[0];
    this.detNpcs += ts.npcsPerTier[0];
    this.backlog += ts.overduePerTier[0];
    for (let t = 0; t < 4; t++) this.backlogAll += ts.overduePerTier[t];
    this.extra += w.controller.autoExtra;
    this.modes[w.controller.mode]++;
  }
  figures(label: string, budgetMs: number): RunFigures {
    const steps = this.i;
    const sorted = this.total.slice(0, steps).sort();
    let sum = 0;
    for (let i = 0; i < steps; i++) sum += sorted[i];
    const p99 = pct(sorted, 0.99);
    const cpuSorted = this.cpu.slice(0, steps).sort();
    return {
      load: label,
      controller: this.world.config.controller.enabled,
      npcs: 0,
      budgetMs: r3(budgetMs),
      steps,
      stepMeanMs: r3(sum / steps),
      stepP50Ms: r3(pct(sorted, 0.5)),
      stepP95Ms: r3(pct(sorted, 0.95)),
      stepP99Ms: r3(p99),
      stepMaxMs: r3(sorted[steps - 1]),
      p99OverBudget: r3(p99 / budgetMs),
      cpuP50Ms: r3(pct(cpuSorted, 0.5)),
      cpuP99Ms: r3(pct(cpuSorted, 0.99)),
      cpuP99OverBudget: r3(pct(cpuSorted, 0.99) / budgetMs),
      aiMsMean: r3(this.ai / steps),
      aiMsTotal: r3(this.ai),
      npcTicksPerStep: r3(this.ticks / steps),
      ticksPerStepByTier: this.tiers.map((t) => r3(t / steps)),
      detailedNpcsMean: r3(this.detNpcs / steps),
      detailedTicksPerStep: r3(this.det / steps),
      detailedBacklogTotal: this.backlog,
      npcTickBudgetMean: r3(this.budget / steps),
      backlogPerStep: r3(this.backlogAll / steps),
      autoExtraMean: r3(this.extra / steps),
      modeSteps: this.modes,
      transitions: this.world.controller.transitions - this.t0,
    };
  }
}

/** Run each world `n` steps, step by step in turn (warm-up; not measured). */
const warmUp = (worlds: SimWorld[], n: number): void => {
  for (let i = 0; i < n; i++) for (const w of worlds) runStep(w);
};

/** Mean step cost (wall ms) of `world` alone over `n` steps. */
const meanStepMs = (world: SimWorld, n: number): number => {
  collect();
  let sum = 0;
  for (let i = 0; i < n; i++) {
    runStep(world);
    sum += world.stats.totalMs;
  }
  return sum / n;
};

/**
 * Measure worlds in alternating blocks (A B, B A, A B, ...) with a full GC before each block:
 * slow drifts of the shared machine hit every world alike, and one world's garbage is not
 * collected inside another's steps (as it would be when interleaving step by step).
 */
const runBlocks = (worlds: SimWorld[], steps: number, blocks: number): Acc[] => {
  const accs = worlds.map((w) => new Acc(w, steps));
  for (const a of accs) a.t0 = a.world.controller.transitions;
  const per = Math.floor(steps / blocks);
  for (let b = 0; b < blocks; b++) {
    const order = b % 2 === 0 ? accs : [...accs].reverse();
    for (const a of order) {
      collect();
      const n = b === blocks - 1 ? steps - per * (blocks - 1) : per;
      for (let i = 0; i < n; i++) a.step();
    }
  }
  return accs;
};

/** Full GC between loads (the previous worlds' stores are large); no-op if unavailable. */
const collect = (() => {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    return () => gc();
  } catch {
    return () => {};
  }
})();

/**
 * A k× world. NPC tick clocks are spread over the longest tier period (seeded), as in a world
 * that has been running: NPCs spawned together would otherwise fall due on the same steps.
 */
const build = (mult: number, budgetMs: number, controller: boolean): SimWorld => {
  const world = genWorld({
    npcs: N1 * mult,
    players: PLAYERS * mult,
    size: SIZE * Math.sqrt(mult),
    seed: 11,
    systems: SYSTEMS,
    config: config(budgetMs, controller),
    id: `ovl${mult}${controller ? 'c' : 'n'}`,
  }).world;
  const npcs = query(world, [world.stores.Npc]);
  const rng = createPrng(99);
  for (let i = 0; i < npcs.length; i++) world.stores.Tier.nextTickAt[npcs[i]] = nextFloat(rng) * 60;
  return world;
};

const suite: Suite = {
  name: 'overload',
  async run(ctx) {
    const warm = ctx.quick ? 80 : 200;
    const steps = ctx.quick ? 300 : 1500;
    const blocks = ctx.quick ? 2 : 6;
    // Each load is calibrated against a 1× controller-off reference world (for 1× the off world
    // itself): the budget the 1× load fits is the one its mean step cost, measured right before
    // the load runs, fills to 70% (the controller's calm zone), so it reflects the machine's
    // speed at that moment.
    ctx.record('setup', {
      npcsPer1x: N1,
      playersPer1x: PLAYERS,
      worldSize1x: SIZE,
      perceptionRadius: PERCEPTION_RADIUS,
      maxNpcTicksPerStep: 10_000,
      detailedFloor: 500,
      warmSteps: warm,
      settleSteps: warm,
      measuredSteps: steps,
      blocks,
      alternatingBlocks: true,
      budgetRule: 'mean1x / 0.7',
      autoBudget: 'controller.autoBudget defaults (on, maxFactor 4, headroomBelow 0.5, reserveShare 0.25) in every controller-on world',
    });
    const runs: RunFigures[] = [];
    const budgets: Record<string, number> = {};
    for (const mult of [1, 2, 4]) {
      collect();
      const off = build(mult, 1000, false);
      const on = build(mult, 1000, true);
      const ref = mult === 1 ? off : build(1, 1000, false);
      warmUp(mult === 1 ? [off, on] : [ref, off, on], warm);
      const budgetMs = Math.round((meanStepMs(ref, warm) / 0.7) * 100) / 100;
      budgets[`${mult}x`] = budgetMs;
      for (const w of [off, on]) updateWorldConfig(w, { controller: { frameBudgetMs: budgetMs } });
      warmUp([off, on], warm); // the controller settles on the new budget
      const accs = runBlocks([off, on], steps, blocks);
      for (const a of accs) {
        if (a.world === ref && mult !== 1) continue;
        const f = a.figures(`${mult}x`, budgetMs);
        f.npcs = N1 * mult;
        runs.push(f);
        const st = getControllerStatus(a.world);
        ctx.log(
          `  ${mult}x controller=${f.controller}: p50 ${f.stepP50Ms} p95 ${f.stepP95Ms} p99 ${f.stepP99Ms} ms (budget ${budgetMs}; cpu p99 ${f.cpuP99Ms}); AI ${f.aiMsMean} ms/step; ticks ${f.npcTicksPerStep}/step; detailed ${f.detailedTicksPerStep}/step backlog ${f.detailedBacklogTotal}; modes ${JSON.stringify(f.modeSteps)} now ${st.mode}`,
        );
      }
    }
    ctx.record('frameBudgetMsPerLoad', budgets);
    ctx.record('runs', runs);
    const summary: Record<string, unknown> = {};
    for (const mult of [1, 2, 4]) {
      const off = runs.find((r) => r.load === `${mult}x` && !r.controller)!;
      const on = runs.find((r) => r.load === `${mult}x` && r.controller)!;
      summary[`${mult}x`] = {
        p99OverBudgetOff: off.p99OverBudget,
        p99OverBudgetOn: on.p99OverBudget,
        p95OverBudgetOn: r3(on.stepP95Ms / on.budgetMs),
        cpuP99OverBudgetOff: off.cpuP99OverBudget,
        cpuP99OverBudgetOn: on.cpuP99OverBudget,
        aiTimeReduction: r3(1 - on.aiMsMean / off.aiMsMean),
        npcTicksOff: off.npcTicksPerStep,
        npcTicksOn: on.npcTicksPerStep,
        detailedTicksOff: off.detailedTicksPerStep,
        detailedTicksOn: on.detailedTicksPerStep,
        detailedBacklogOn: on.detailedBacklogTotal,
      };
    }
    ctx.record('summary', summary);
    const two = summary['2x'] as { p99OverBudgetOn: number; aiTimeReduction: number; detailedBacklogOn: number };
    ctx.record('goal2x', {
      p99WithinBudgetPlus10: two.p99OverBudgetOn <= 1.1,
      aiTimeDownAtLeast30pct: two.aiTimeReduction >= 0.3,
      detailedUntouched: two.detailedBacklogOn === 0,
    });
    ctx.record('autoBudget', headroom(budgets['1x'], warm, steps, blocks, ctx.log));
  },
};

/**
 * Auto-budget: a 1× world whose configured ceiling (HEADROOM_MAX ticks per step) is below its
 * demand (~2,000 due per step) while its steps cost far less than the 1× budget. With the
 * auto-budget the controller spends that headroom (more ticks, smaller backlog) and keeps the
 * reserve; without it the backlog stays. Both worlds run the controller.
 */
const HEADROOM_MAX = 800;
const headroom = (budgetMs: number, warm: number, steps: number, blocks: number, log: (m: string) => void) => {
  collect();
  const worlds = [false, true].map((auto) => {
    const w = build(1, budgetMs, true);
    updateWorldConfig(w, { simulation: { maxNpcTicksPerStep: HEADROOM_MAX }, controller: { autoBudget: { enabled: auto } } });
    return w;
  });
  warmUp(worlds, warm * 2);
  const [off, on] = runBlocks(worlds, steps, blocks).map((a) => a.figures('1x', budgetMs));
  const view = (f: RunFigures) => ({
    npcTicksPerStep: f.npcTicksPerStep,
    backlogPerStep: f.backlogPerStep,
    autoExtraMean: f.autoExtraMean,
    stepMeanMs: f.stepMeanMs,
    p99OverBudget: f.p99OverBudget,
    meanOverBudget: r3(f.stepMeanMs / budgetMs),
    detailedBacklogTotal: f.detailedBacklogTotal,
    modeSteps: f.modeSteps,
  });
  const r = {
    maxNpcTicksPerStep: HEADROOM_MAX,
    budgetMs,
    off: view(off!),
    on: view(on!),
    ticksGain: r3(on!.npcTicksPerStep / off!.npcTicksPerStep),
  };
  log(
    `  auto-budget (1x, maxNpcTicksPerStep ${HEADROOM_MAX}, budget ${budgetMs} ms): off ${off!.npcTicksPerStep} ticks/step backlog ${off!.backlogPerStep} mean ${off!.stepMeanMs} ms; on ${on!.npcTicksPerStep} ticks/step (+${on!.autoExtraMean}) backlog ${on!.backlogPerStep} mean ${on!.stepMeanMs} ms p99/budget ${on!.p99OverBudget}`,
  );
  return r;
};
export default suite;
