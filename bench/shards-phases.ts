/**
 * Part of suite `shards`: where the wall time of a sharded step goes. For 1 and 2 shards, the
 * wall ms of each phase of the step (dispatch to barrier), the serial main-thread work between
 * phases, and process CPU ms per step; and for main thread + 1 shard, the main thread's own band
 * vs the phase's wall (their gap is the imbalance: the time the main thread waits for the worker).
 * For every mode, each partition's own time per phase where it ran (`bandMs`: the worker's, or the
 * main thread's; shard-pool `lastBandUs`): max vs min is the imbalance, and the phase's wall minus
 * its slowest band is dispatch + wake-up + barrier.
 * A phase whose 2-shard wall is well above half its 1-shard wall while the bands are balanced
 * is limited by the cores themselves (shared caches / memory bandwidth / a busy second core).
 * Modes named "3 dispatches" run each phase as its own pool run (the main thread's barrier after
 * each); the others are fused steps (one dispatch per step, src/shards/fused-step.ts), timed as a
 * whole, with each party's own ms per phase. `overheadMs` per step: the step's sharded wall minus
 * the slowest band of each phase — dispatch, wake-ups, barriers (and waiting for a late party).
 */
import { chunkCount, idPartCount } from '../src/shards/chunk-claim.js';
import { planRows } from '../src/physics/grid-build.js';
import { beginStep, commitStep, partitionIds, partitionStepRows } from '../src/physics/physics-state.js';
import { MAX_ID_PARTS, P } from '../src/physics/physics-types.js';
import { ShardOp } from '../src/shards/barrier.js';
import { createShardedPhysics, runPhysicsStep, type ShardedPhysics } from '../src/shards/sharded-physics.js';
import type { ShardPool } from '../src/shards/shard-pool.js';

const PHASES = ['serial', 'guard+stage', 'build', 'kernel+commit'] as const;
const r = (x: number): number => Math.round(x * 100) / 100;
const MAX_BANDS = 4;

/** One sharded step as runPhysicsStep runs it, timed per phase into `acc` (ms); `own` gets the main thread's band time per phase. */
const timedStep = (sp: ShardedPhysics, step: number, acc: Float64Array, own: Float64Array, local: number, bands: Float64Array): void => {
  const ps = sp.state;
  const pool = sp.pool;
  if (!pool) return;
  let t = performance.now();
  const lap = (i: number): void => {
    const u = performance.now();
    acc[i] += u - t;
    t = u;
  };
  // Each partition's own ms of phase i (i >= 1) at bands[(i - 1) * MAX_BANDS + p].
  const band = (i: number, count: number): void => {
    const us = pool.lastBandUs(count);
    for (let p = 0; p < us.length && p < MAX_BANDS; p++) bands[(i - 1) * MAX_BANDS + p] += us[p] / 1000;
  };
  const mine =
    (i: number, f: (p: number, lo: number, hi: number) => void) =>
    (p: number, lo: number, hi: number): void => {
      const a = performance.now();
      f(p, lo, hi);
      own[i] += performance.now() - a;
    };
  beginStep(ps, step, 0.05);
  const idp = Math.min(sp.partitions, MAX_ID_PARTS);
  partitionIds(ps, idp, sp.idParts);
  lap(0);
  pool.run(sp.idParts, idp, mine(1, sp.inlineGuardStage), ShardOp.guardStage, local);
  lap(1);
  band(1, idp);
  ps.stats.lastBodies = planRows(ps.shared, idp);
  partitionStepRows(ps, sp.partitions, sp.parts);
  lap(0);
  pool.run(sp.parts, sp.partitions, mine(2, sp.inlineBuild), ShardOp.build, local);
  lap(2);
  band(2, sp.partitions);
  pool.run(sp.parts, sp.partitions, mine(3, sp.inlineStepCommit), ShardOp.stepCommit, local);
  lap(3);
  band(3, sp.partitions);
  commitStep(ps, sp.partitions, true);
  lap(0);
};

/** A fused step as runPhysicsStep runs it: serial ms into acc[0], the fused run into acc[1]; each party's own ms per phase into `bands`. */
const timedFused = (sp: ShardedPhysics, step: number, acc: Float64Array, local: number, bands: Float64Array): void => {
  const ps = sp.state;
  const pool = sp.pool;
  if (!pool) return;
  let t = performance.now();
  beginStep(ps, step, 0.05);
  const idp = idPartCount(sp.partitions, sp.idPartsPerParty);
  const chunks = chunkCount(sp.partitions, sp.chunksPerParty);
  partitionIds(ps, idp, sp.idParts);
  ps.shared.params[P.idParts] = idp;
  let u = performance.now();
  acc[0] += u - t;
  t = u;
  if (!pool.runFused(sp.idParts, idp, sp.partitions, local, sp.parts, chunks)) throw new Error('fused step: workers not READY');
  u = performance.now();
  acc[1] += u - t;
  t = u;
  for (let ph = 1; ph <= 3; ph++)
    for (let p = 0; p < sp.partitions && p < MAX_BANDS; p++) bands[(ph - 1) * MAX_BANDS + p] += pool.lastPartyUs(p, ph) / 1000;
  commitStep(ps, Math.max(sp.partitions, idp, chunks), true);
  acc[0] += performance.now() - t;
};

/** Sum over phases of the slowest band (ms, summed over steps) in `bands` for `parts` partitions. */
const slowest = (bands: Float64Array, parts: number): number => {
  let sum = 0;
  for (let ph = 0; ph < 3; ph++) {
    let m = 0;
    for (let p = 0; p < parts && p < MAX_BANDS; p++) m = Math.max(m, bands[ph * MAX_BANDS + p]);
    sum += m;
  }
  return sum;
};

/**
 * Per-phase ms per step for 1 and 2 shards (pools[0], pools[1]) and main + 1 shard, fused and with
 * 3 dispatches per step; interleaved rounds.
 */
export const shardPhaseProfile = (ps: ShardedPhysics['state'], pools: ShardPool[], rounds: number, firstStep: number) => {
  // [name, physics, main thread's partitions, fused]
  const modes: Array<[string, ShardedPhysics, number, boolean]> = [
    ['1 shard', createShardedPhysics(ps, pools[0], { mode: 'shards' }), 0, true],
    ['2 shards', createShardedPhysics(ps, pools[1], { mode: 'shards' }), 0, true],
    ['main + 1 shard', createShardedPhysics(ps, pools[0], { mode: 'shards', partitions: 2, mainRuns: true }), 1, true],
    ['1 shard, 3 dispatches', createShardedPhysics(ps, pools[0], { mode: 'shards', fused: false }), 0, false],
    ['2 shards, 3 dispatches', createShardedPhysics(ps, pools[1], { mode: 'shards', fused: false }), 0, false],
    [
      'main + 1 shard, 3 dispatches',
      createShardedPhysics(ps, pools[0], { mode: 'shards', partitions: 2, mainRuns: true, fused: false }),
      1,
      false,
    ],
  ];
  let step = firstStep;
  for (const [, sp] of modes) for (let i = 0; i < 4; i++) runPhysicsStep(sp, step++, 0.05);
  const acc = modes.map(() => new Float64Array(PHASES.length));
  const own = modes.map(() => new Float64Array(PHASES.length));
  const bands = modes.map(() => new Float64Array(PHASES.length * MAX_BANDS));
  const cpu = new Float64Array(modes.length);
  const per = 4;
  for (let round = 0; round < rounds; round++) {
    modes.forEach(([, sp, local, fused], m) => {
      const c0 = process.cpuUsage();
      for (let k = 0; k < per; k++)
        if (fused) timedFused(sp, step++, acc[m], local, bands[m]);
        else timedStep(sp, step++, acc[m], own[m], local, bands[m]);
      const c = process.cpuUsage(c0);
      cpu[m] += (c.user + c.system) / 1000;
    });
  }
  const n = rounds * per;
  const out: Record<string, unknown> = {};
  modes.forEach(([name, sp, local, fused], m) => {
    const wall = fused
      ? { serial: r(acc[m][0] / n), 'fused step': r(acc[m][1] / n) }
      : Object.fromEntries(PHASES.map((p, i) => [p, r(acc[m][i] / n)]));
    const shardedMs = acc[m].reduce((a, b) => a + b, 0) - acc[m][0];
    out[name] = {
      wallMs: wall,
      totalMs: r(acc[m].reduce((a, b) => a + b, 0) / n),
      cpuMs: r(cpu[m] / n),
      overheadMs: r((shardedMs - slowest(bands[m], sp.partitions)) / n),
      ...(local && !fused ? { mainBandMs: Object.fromEntries(PHASES.slice(1).map((p, i) => [p, r(own[m][i + 1] / n)])) } : {}),
      bandMs: Object.fromEntries(
        PHASES.slice(1).map((p, i) => [
          p,
          Array.from(bands[m].subarray(i * MAX_BANDS, i * MAX_BANDS + Math.min(sp.partitions, MAX_BANDS)), (x) => r(x / n)),
        ]),
      ),
    };
  });
  const w1 = acc[3],
    w2 = acc[4];
  out.phaseSpeedup2vs1ThreeDispatches = Object.fromEntries(PHASES.slice(1).map((p, i) => [p, r(w1[i + 1] / w2[i + 1])]));
  const tot = (m: number): number => acc[m].reduce((a, b) => a + b, 0);
  out.stepSpeedup2vs1 = { fused: r(tot(0) / tot(1)), threeDispatches: r(tot(3) / tot(4)) };
  return { profile: out, step };
};
