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
 */
import { planRows } from '../src/physics/grid-build.js';
import { beginStep, commitStep, partitionIds, partitionStepRows } from '../src/physics/physics-state.js';
import { MAX_ID_PARTS } from '../src/physics/physics-types.js';
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

/** Per-phase wall ms per step for 1 and 2 shards (pools[0], pools[1]) and main + 1 shard; interleaved rounds. */
export const shardPhaseProfile = (ps: ShardedPhysics['state'], pools: ShardPool[], rounds: number, firstStep: number) => {
  const modes: Array<[string, ShardedPhysics, number]> = [
    ['1 shard', createShardedPhysics(ps, pools[0], { mode: 'shards' }), 0],
    ['2 shards', createShardedPhysics(ps, pools[1], { mode: 'shards' }), 0],
    ['main + 1 shard', createShardedPhysics(ps, pools[0], { mode: 'shards', partitions: 2, mainRuns: true }), 1],
  ];
  let step = firstStep;
  for (const [, sp] of modes) for (let i = 0; i < 4; i++) runPhysicsStep(sp, step++, 0.05);
  const acc = modes.map(() => new Float64Array(PHASES.length));
  const own = modes.map(() => new Float64Array(PHASES.length));
  const bands = modes.map(() => new Float64Array(PHASES.length * MAX_BANDS));
  const cpu = new Float64Array(modes.length);
  const per = 4;
  for (let round = 0; round < rounds; round++) {
    modes.forEach(([, sp, local], m) => {
      const c0 = process.cpuUsage();
      for (let k = 0; k < per; k++) timedStep(sp, step++, acc[m], own[m], local, bands[m]);
      const c = process.cpuUsage(c0);
      cpu[m] += (c.user + c.system) / 1000;
    });
  }
  const n = rounds * per;
  const out: Record<string, unknown> = {};
  modes.forEach(([name, sp, local], m) => {
    const wall = Object.fromEntries(PHASES.map((p, i) => [p, r(acc[m][i] / n)]));
    out[name] = {
      wallMs: wall,
      totalMs: r(acc[m].reduce((a, b) => a + b, 0) / n),
      cpuMs: r(cpu[m] / n),
      ...(local ? { mainBandMs: Object.fromEntries(PHASES.slice(1).map((p, i) => [p, r(own[m][i + 1] / n)])) } : {}),
      bandMs: Object.fromEntries(
        PHASES.slice(1).map((p, i) => [
          p,
          Array.from(bands[m].subarray(i * MAX_BANDS, i * MAX_BANDS + Math.min(sp.partitions, MAX_BANDS)), (x) => r(x / n)),
        ]),
      ),
    };
  });
  const w1 = acc[0],
    w2 = acc[1];
  out.phaseSpeedup2vs1 = Object.fromEntries(PHASES.slice(1).map((p, i) => [p, r(w1[i + 1] / w2[i + 1])]));
  return { profile: out, step };
};
