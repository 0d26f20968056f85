/**
 * Suite `shards`: physics of 100k colliding bodies (95% active-tier NPCs: full neighbour
 * collision; 5% detailed: collision + perception; 100 players; three walls) per step, inline
 * and on 1, 2 and 4 shard workers in the same run, plus the dispatch + barrier overhead of a
 * step with empty partitions, the inline cost of prepare and commit, and the kernel alone inline
 * vs on one worker (parity). Goal: 2 shards ≥ 1.8× 1 shard (the machine has 2 cores).
 * What the modes mean: "N shards" = N worker threads run the N bands while the main thread sleeps
 * from the dispatch to the last DONE (so "1 shard" is all the work on one worker, "2 shards" the
 * same work split over two workers); "main + 1 shard" = 2 bands, one run by the main thread itself,
 * one by a worker. By default a step is fused (one dispatch per step, the parties meeting at
 * barriers of their own: src/shards/fused-step.ts); modes ", 3 dispatches" run each of the three
 * phases as its own dispatch + main-thread barrier (the code before the fused step), for an A/B in
 * the same run. `WT_SHARDS_ONLY=kernel` skips the tinybench tasks and the full-pipeline frames
 * (quick iterations on the interleaved figures); `WT_SHARD_BARRIER_SPIN_US` sets the parties'
 * barrier spin (pool option `barrierSpinUs`), and a 2-worker pool with spin 0 is measured beside.
 * The machine is shared: load averages are recorded, and the ratios must be re-run on a quiet
 * machine before they are quoted as the figure.
 */
import { playerRow } from '../components/player-table.js';
import os from 'node:os';
import { TierCode } from '../components/tier.js';
import { commitStep, prepareStep } from '../src/physics/physics-state.js';
import { stepRows } from '../src/physics/collide-kernel.js';
import { ShardOp } from '../src/shards/barrier.js';
import { BodyKind } from '../src/physics/physics-types.js';
import { ShardPool } from '../src/shards/shard-pool.js';
import { createShardedPhysics, runPhysicsStep, type ShardedPhysics } from '../src/shards/sharded-physics.js';
import { createPhysics } from '../src/physics/physics-state.js';
import { validateObstacles } from '../src/physics/obstacles.js';
import { genWorld } from './gendata.js';
import type { Suite } from './harness.js';
import { fullPipelineFrames } from './full-frame.js';
import { shardPhaseProfile } from './shards-phases.js';

const N = 100_000;

/**
 * Dispatch + barrier overhead of a whole sharded step: `runPhysicsStep` over a world with no
 * bodies, one step of each mode per cycle (interleaved), median µs per step. Own pools over the
 * empty world's buffers (1 and 2 workers).
 */
const emptyStepOverhead = async (cycles: number): Promise<Record<string, number>> => {
  const sab = (n: number) => new Float32Array(new SharedArrayBuffer(n * 4));
  const cap = 16;
  const state = createPhysics({
    capacity: cap,
    bounds: { minX: 0, minY: 0, maxX: 64, maxY: 64 },
    stores: {
      Position: { x: sab(cap + 1), y: sab(cap + 1) },
      Velocity: { x: sab(cap + 1), y: sab(cap + 1) },
      Tier: { tier: new Uint8Array(new SharedArrayBuffer(cap + 1)) },
    },
  });
  const p1 = new ShardPool({ shared: state.shared, shards: 1, barrierTimeoutMs: 30_000 });
  const p2 = new ShardPool({ shared: state.shared, shards: 2, barrierTimeoutMs: 30_000 });
  await p1.start();
  await p2.start();
  const modes: Array<[string, ShardedPhysics]> = [
    ['inline', createShardedPhysics(state, null, { mode: 'inline' })],
    ['1 shard', createShardedPhysics(state, p1, { mode: 'shards' })],
    ['2 shards', createShardedPhysics(state, p2, { mode: 'shards' })],
    ['main + 1 shard', createShardedPhysics(state, p1, { mode: 'shards', partitions: 2, mainRuns: true })],
    ['1 shard, 3 dispatches', createShardedPhysics(state, p1, { mode: 'shards', fused: false })],
    ['2 shards, 3 dispatches', createShardedPhysics(state, p2, { mode: 'shards', fused: false })],
    ['main + 1 shard, 3 dispatches', createShardedPhysics(state, p1, { mode: 'shards', partitions: 2, mainRuns: true, fused: false })],
  ];
  const us = modes.map(() => new Float64Array(cycles));
  let step = 0;
  for (let c = 0; c < cycles; c++)
    modes.forEach(([, sp], m) => {
      const t0 = performance.now();
      runPhysicsStep(sp, step++, 0.05);
      us[m][c] = (performance.now() - t0) * 1000;
    });
  await p1.close();
  await p2.close();
  return Object.fromEntries(modes.map(([n], m) => [n, Math.round(us[m].sort()[cycles >> 1])]));
};

const suite: Suite = {
  name: 'shards',
  async run(ctx) {
    const { world } = genWorld({ npcs: N, players: 100, size: 1200, id: 'shards' });
    const state = createPhysics({
      capacity: world.capacity,
      bounds: world.bounds,
      stores: world.stores,
      obstacles: validateObstacles([
        { minX: 200, minY: 200, maxX: 260, maxY: 900 },
        { minX: 600, minY: 100, maxX: 1000, maxY: 140 },
        { minX: 700, minY: 700, maxX: 800, maxY: 800 },
      ]),
    });
    const s = state.shared;
    let top = 0;
    for (let e = 1; e <= world.capacity; e++) {
      const row = playerRow(world.stores, e);
      if (row !== 0 && world.stores.Player.session[row] === -1 && world.stores.Player.interestRadius[row] > 0) s.kind[e] = BodyKind.player;
      else if (e <= N) {
        s.kind[e] = BodyKind.npc;
        world.stores.Tier.tier[e] = e % 20 === 0 ? TierCode.detailed : TierCode.active;
      } else continue;
      top = e;
    }
    state.maxEid = top;
    const pools: ShardPool[] = [];
    const kernelOnly = process.env.WT_SHARDS_ONLY === 'kernel';
    // `WT_SHARD_SPIN_US`: the workers' spin after a command before sleeping (pool option `spinUs`; default 0).
    const spinEnv = process.env.WT_SHARD_SPIN_US;
    const spinUs = spinEnv === undefined ? undefined : Number(spinEnv);
    const bspinEnv = process.env.WT_SHARD_BARRIER_SPIN_US;
    const barrierSpinUs = bspinEnv === undefined ? undefined : Number(bspinEnv);
    ctx.record('spinUs', spinUs ?? 'default');
    ctx.record('barrierSpinUs', barrierSpinUs ?? 'default');
    // pools[3]: 2 workers whose parties sleep at a fused step's barriers at once (barrierSpinUs 0).
    for (const [shards, bs] of [
      [1, barrierSpinUs],
      [2, barrierSpinUs],
      [4, barrierSpinUs],
      [2, 0],
    ] as const) {
      const p = new ShardPool({
        shared: s,
        shards,
        barrierTimeoutMs: 30_000,
        ...(spinUs === undefined ? {} : { spinUs }),
        ...(bs === undefined ? {} : { barrierSpinUs: bs }),
      });
      await p.start();
      pools.push(p);
    }
    const inline = createShardedPhysics(state, null, { mode: 'inline' });
    // `WT_SHARD_CHUNKS_PER_PARTY` / `WT_SHARD_ID_PARTS_PER_PARTY`: the fused step's units per party (defaults 8 / 4).
    const units = {
      ...(process.env.WT_SHARD_CHUNKS_PER_PARTY ? { chunksPerParty: Number(process.env.WT_SHARD_CHUNKS_PER_PARTY) } : {}),
      ...(process.env.WT_SHARD_ID_PARTS_PER_PARTY ? { idPartsPerParty: Number(process.env.WT_SHARD_ID_PARTS_PER_PARTY) } : {}),
    };
    ctx.record('unitsPerParty', units);
    const sharded: ShardedPhysics[] = pools.map((p) => createShardedPhysics(state, p, { mode: 'shards', ...units }));
    // 2 partitions, one run by the main thread itself (instead of idling at the barrier) + 1 worker.
    const mainPlus1 = createShardedPhysics(state, pools[0], { mode: 'shards', partitions: 2, mainRuns: true, ...units });
    // The same with 3 dispatches per step (each phase behind the main thread's barrier).
    const one3 = createShardedPhysics(state, pools[0], { mode: 'shards', fused: false });
    const two3 = createShardedPhysics(state, pools[1], { mode: 'shards', fused: false });
    const mainPlus1x3 = createShardedPhysics(state, pools[0], { mode: 'shards', partitions: 2, mainRuns: true, fused: false });
    // Fused with one unit per party (one id part, one row chunk: the static split of before work
    // stealing, src/shards/chunk-claim.ts), on the same pools: the in-run A/B of the chunking.
    const unit1 = { mode: 'shards', chunksPerParty: 1, idPartsPerParty: 1 } as const;
    const one1u = createShardedPhysics(state, pools[0], unit1);
    const two1u = createShardedPhysics(state, pools[1], unit1);
    let step = 0;
    const stepWith = (sp: ShardedPhysics) => () => runPhysicsStep(sp, step++, 0.05);
    for (let i = 0; i < 20; i++) stepWith(inline)(); // warm: JIT, pile-ups resolved
    for (const sp of [...sharded, mainPlus1, one3, two3, mainPlus1x3, one1u, two1u]) for (let i = 0; i < 5; i++) stepWith(sp)();
    const r = (x: number) => Math.round(x * 100) / 100;
    // The phases of a step run inline (sharded, each of them is split over the shards).
    if (!kernelOnly) {
      const serial = await ctx.measure([
        [`prepare inline (guard + stage + grid build) ${N / 1000}k bodies`, () => prepareStep(state, step, 0.05)],
        [`commit inline ${N / 1000}k bodies`, () => commitStep(state, 1)],
      ]);
      const tasks = await ctx.measure(
        [
          [`physics step ${N / 1000}k bodies, inline (0 shards)`, stepWith(inline)],
          [`physics step ${N / 1000}k bodies, 1 shard`, stepWith(sharded[0])],
          [`physics step ${N / 1000}k bodies, 2 shards`, stepWith(sharded[1])],
          [`physics step ${N / 1000}k bodies, 4 shards`, stepWith(sharded[2])],
          [`physics step ${N / 1000}k bodies, 2 partitions: main thread + 1 shard`, stepWith(mainPlus1)],
        ],
        { timeMs: ctx.quick ? 300 : 3000, warmupMs: ctx.quick ? 50 : 300 },
      );
      const [t0, t1, t2, t4] = tasks.map((t) => t.meanMs) as [number, number, number, number];
      ctx.record('inlinePhaseMs', { prepare: serial[0].meanMs, commit: serial[1].meanMs });
      // Worker parity: the same kernel over the same rows, inline vs on one worker (the main thread
      // waits at the barrier), interleaved; wall ms per call (median of rounds).
      prepareStep(state, step, 0.05);
      const allRows = new Int32Array([0, state.side]);
      const noInline = () => {
        throw new Error('the worker was not READY');
      };
      const kIn: number[] = [],
        kW: number[] = [];
      for (let round = 0; round < (ctx.quick ? 3 : 10); round++) {
        let w0 = performance.now();
        for (let k = 0; k < 3; k++) stepRows(s, 0, state.side, 0);
        kIn.push((performance.now() - w0) / 3);
        w0 = performance.now();
        for (let k = 0; k < 3; k++) pools[0].run(allRows, 1, noInline, ShardOp.step);
        kW.push((performance.now() - w0) / 3);
      }
      const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
      ctx.record('kernelParity', {
        inlineMs: r(med(kIn)),
        oneWorkerMs: r(med(kW)),
        workerOverInline: r(med(kW) / med(kIn)),
        goal: 'worker within ~10 % of inline',
      });
      ctx.record('tinybenchSpeedup', { '2vs1': r(t1 / t2), '4vs1': r(t1 / t4), '2vsInline': r(t0 / t2) });
    }
    // Interleaved rounds (modes alternate every few steps, so a load change on the shared
    // machine hits every mode alike): median wall ms per step, and process CPU ms per step
    // (all threads) — CPU shows the work each mode costs whatever the load does to wall time.
    const modes: Array<[string, ShardedPhysics]> = [
      ['inline', inline],
      ['1 shard', sharded[0]],
      ['2 shards', sharded[1]],
      ['4 shards', sharded[2]],
      ['main + 1 shard', mainPlus1],
      ['1 shard, 3 dispatches', one3],
      ['2 shards, 3 dispatches', two3],
      ['main + 1 shard, 3 dispatches', mainPlus1x3],
      ['2 shards, barrier spin 0', sharded[3]],
      ['1 shard, 1 unit per party', one1u],
      ['2 shards, 1 unit per party', two1u],
    ];
    const wall = new Map<string, number[]>(),
      cpu = new Map<string, number[]>();
    const rounds = ctx.quick ? 3 : 16;
    for (let round = 0; round < rounds; round++) {
      for (const [name, sp] of modes) {
        const c0 = process.cpuUsage(),
          w0 = performance.now();
        for (let k = 0; k < 4; k++) runPhysicsStep(sp, step++, 0.05);
        const c = process.cpuUsage(c0);
        (wall.get(name) ?? wall.set(name, []).get(name)!).push((performance.now() - w0) / 4);
        (cpu.get(name) ?? cpu.set(name, []).get(name)!).push((c.user + c.system) / 1000 / 4);
      }
    }
    const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
    const wallMs = Object.fromEntries(modes.map(([n]) => [n, r(median(wall.get(n)!))]));
    const cpuMs = Object.fromEntries(modes.map(([n]) => [n, r(median(cpu.get(n)!))]));
    ctx.record('interleavedWallMsPerStep', wallMs);
    ctx.record('interleavedCpuMsPerStep', cpuMs);
    ctx.record('speedup2vs1', r(wallMs['1 shard'] / wallMs['2 shards']));
    ctx.record('speedup4vs1', r(wallMs['1 shard'] / wallMs['4 shards']));
    ctx.record('speedup2vsInline', r(wallMs.inline! / wallMs['2 shards']));
    ctx.record('speedupMainPlus1vs1', r(wallMs['1 shard'] / wallMs['main + 1 shard']));
    ctx.record('speedup2vs1ThreeDispatches', r(wallMs['1 shard, 3 dispatches'] / wallMs['2 shards, 3 dispatches']));
    ctx.record('speedup2vs1BarrierSpin0', r(wallMs['1 shard'] / wallMs['2 shards, barrier spin 0']));
    ctx.record('speedup2vs1OneUnitPerParty', r(wallMs['1 shard, 1 unit per party'] / wallMs['2 shards, 1 unit per party']));
    // Per round (4 steps each mode): the spread of the ratio, fused and with 3 dispatches.
    const perRound = (a: string, b: string) => {
      const den = wall.get(b) ?? [];
      return (wall.get(a) ?? []).map((x, i) => r(x / (den.at(i) ?? Number.NaN)));
    };
    ctx.record('speedup2vs1PerRound', {
      fused: perRound('1 shard', '2 shards'),
      threeDispatches: perRound('1 shard, 3 dispatches', '2 shards, 3 dispatches'),
      oneUnitPerParty: perRound('1 shard, 1 unit per party', '2 shards, 1 unit per party'),
    });
    // CPU cost of 2 shards relative to 1 (1.0 = splitting adds no work: the wall-time speedup is
    // then bounded only by free cores).
    ctx.record('cpuCost2vs1', r(cpuMs['2 shards'] / cpuMs['1 shard']));
    ctx.record('goal', '2 shards >= 1.8x 1 shard (limit: 2 cores)');
    // Paired: one step of each mode in turn, the ratio taken within each cycle (a few tens of ms
    // apart, so a load change on the shared host hits both sides of a ratio alike): median, quartiles
    // and the share of cycles at ≥ 1.8×.
    const cycles = ctx.quick ? 10 : 80;
    const pairModes: ShardedPhysics[] = [sharded[0], sharded[1], one3, two3, mainPlus1, one1u, two1u];
    const pw = pairModes.map(() => new Float64Array(cycles));
    for (let c = 0; c < cycles; c++)
      pairModes.forEach((sp, m) => {
        const w0 = performance.now();
        runPhysicsStep(sp, step++, 0.05);
        pw[m][c] = performance.now() - w0;
      });
    const q = (a: Float64Array, f: number) => Float64Array.from(a).sort()[Math.min(a.length - 1, Math.floor(a.length * f))];
    const paired = (one: number, two: number) => {
      const rs = pw[one].map((x, i) => x / pw[two][i]);
      let hits = 0;
      for (const x of rs) if (x >= 1.8) hits++;
      return { median: r(q(rs, 0.5)), p25: r(q(rs, 0.25)), p75: r(q(rs, 0.75)), shareAtLeast1_8: r(hits / rs.length) };
    };
    const names = [
      '1 shard',
      '2 shards',
      '1 shard, 3 dispatches',
      '2 shards, 3 dispatches',
      'main + 1 shard',
      '1 shard, 1 unit per party',
      '2 shards, 1 unit per party',
    ];
    ctx.record('pairedSpeedup2vs1', {
      cycles,
      fused: paired(0, 1),
      threeDispatches: paired(2, 3),
      mainPlus1Fused: paired(0, 4),
      oneUnitPerParty: paired(5, 6),
      medianStepMs: Object.fromEntries(names.map((n, i) => [n, r(q(pw[i], 0.5))])),
    });
    // Work stealing head to head on the same 2-worker pool: the default units per party against one
    // unit per party (the static split), one step each per cycle (order alternating); the gain is in
    // the tail (a preempted party holds the others up by one unit, not a band), so the step time's
    // mean and high quantiles are reported beside the median.
    const hCycles = ctx.quick ? 20 : 300;
    const ht = [new Float64Array(hCycles), new Float64Array(hCycles)];
    const hModes = [sharded[1], two1u];
    for (let c = 0; c < hCycles; c++)
      for (const m of c & 1 ? [1, 0] : [0, 1]) {
        const w0 = performance.now();
        runPhysicsStep(hModes[m], step++, 0.05);
        ht[m][c] = performance.now() - w0;
      }
    const stepQ = (a: Float64Array) => ({
      mean: r(a.reduce((x, y) => x + y, 0) / a.length),
      p50: r(q(a, 0.5)),
      p90: r(q(a, 0.9)),
      p99: r(q(a, 0.99)),
    });
    ctx.record('stealHeadToHead2Shards', { cycles: hCycles, stealing: stepQ(ht[0]), oneUnitPerParty: stepQ(ht[1]) });
    // Where the wall time of a sharded step goes: per phase, 1 vs 2 shards, and main + 1 shard's own band.
    const prof = shardPhaseProfile(state, pools, ctx.quick ? 2 : 8, step);
    step = prof.step;
    ctx.record('phaseProfile', prof.profile);
    // Dispatch + barrier overhead: a step whose partitions hold no rows.
    const empty = new Int32Array(8);
    const noop = () => {};
    const over = await ctx.measure([
      ['dispatch + barrier, 1 shard, empty partition', () => pools[0].run(empty, 1, noop)],
      ['dispatch + barrier, 2 shards, empty partitions', () => pools[1].run(empty, 2, noop)],
      ['dispatch + barrier, 4 shards, empty partitions', () => pools[2].run(empty, 4, noop)],
    ]);
    ctx.record('barrierOverheadUs', Object.fromEntries(over.map((o, i) => [[1, 2, 4][i], r(o.meanMs * 1000)])));
    ctx.record('emptyStepUs', await emptyStepOverhead(ctx.quick ? 200 : 2000));
    ctx.record('bodies', state.stats.lastBodies);
    ctx.record('pairsPerStep', Math.round(state.stats.pairs / state.stats.steps));
    ctx.record('cores', os.availableParallelism());
    ctx.record(
      'loadAvgAfter',
      os.loadavg().map((l) => r(l)),
    );
    ctx.record(
      'note',
      'shared machine (8 engineers on 2 cores): compare ratios within this run; re-run on a quiet machine for the quoted figure',
    );
    for (const p of pools) await p.close();
    // The whole step, not just physics: share of 16 ms frames at 100k NPCs + 1k players.
    if (!kernelOnly) await fullPipelineFrames(ctx);
  },
};

export default suite;
