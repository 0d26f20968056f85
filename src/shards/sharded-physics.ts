/**
 * One physics step, inline or on shards, chosen by measurement.
 *
 * Sharded, by default a fused step (src/shards/fused-step.ts): one dispatch per step, each
 * partition runs the three phases below in a row and the partitions meet at barriers of their own
 * (with `mainRuns` the main thread is partition 0); it falls back to the three dispatches below
 * when not every partition has a READY worker (`fused: false` forces them):
 *
 *   main:   beginStep ─ dispatch ──────────┐ planRows ─ dispatch ┐ dispatch ────────────┐ counters
 *   shards:        guardStageIds(ids) ─────┘           buildRows ┘ stepCommitRows      ┘
 *   (guard and staging are one phase: each id range stages into its own region of `stage`, so it
 *   needs no other range's counts; the build reads a row range by range)
 *   (the kernel reads only the grid's staged copy, never the stores, so each band copies its own
 *   results back as it goes, a few rows at a time, on hot caches and without a barrier of its own)
 *   (each ┘ is an Atomics barrier; with `mainRuns` the main thread runs partition 0 of each
 *   phase itself instead of waiting; see docs/ARCHITECTURE.md "Shards")
 *
 * Mode `auto` starts inline and probes the other mode in windows compared with the window just
 * before them, with a margin and a confirmation (src/shards/auto-mode.ts); the sample is the wall
 * time of the whole physics phase. With one core or no pool it is always inline.
 * The result is bit-identical either way, so switching never changes the state hash.
 */
import os from 'node:os';
import { optionInvalid } from '../errors.js';
import { stepCommitRows, stepRows } from '../physics/collide-kernel.js';
import { commitRows } from '../physics/copy-back.js';
import { buildRows, planRows } from '../physics/grid-build.js';
import { guardStageIds } from '../physics/guard-stage.js';
import { beginStep, commitStep, type PhysicsState, partitionIds, partitionStepRows, prepareStep } from '../physics/physics-state.js';
import { C, MAX_ID_PARTS, MAX_PARTITIONS, P } from '../physics/physics-types.js';
import { type AutoState, autoNext, autoRecord, createAutoState } from './auto-mode.js';
import { ShardOp } from './barrier.js';
import { CHUNKS_PER_PARTY, chunkCount, ID_PARTS_PER_PARTY, idPartCount } from './chunk-claim.js';
import type { InlineRunner, ShardPool } from './shard-pool.js';

/** How a step's physics runs. */
export type ShardMode = 'inline' | 'shards' | 'auto';

/** Physics plus its (optional) shard pool and the measured choice between them. */
export interface ShardedPhysics {
  readonly state: PhysicsState;
  readonly pool: ShardPool | null;
  mode: ShardMode;
  /** Partitions when sharded (default: the pool's worker count). */
  readonly partitions: number;
  /** Cores available (read once at creation: `auto` stays inline on one core). */
  readonly cores: number;
  /** When true the main thread runs partition 0 itself instead of idling at the barrier. */
  readonly mainRuns: boolean;
  /** One dispatch per step, the parties meeting at barriers of their own between phases (src/shards/fused-step.ts). */
  readonly fused: boolean;
  /** Fused: row chunks (build, kernel) and id parts (guard + stage) per party, claimed as the parties go (src/shards/chunk-claim.ts). */
  readonly chunksPerParty: number;
  readonly idPartsPerParty: number;
  /** `auto`: steps between probes of the mode not in use. */
  readonly probeEvery: number;
  /** The `auto` choice (windows, probes, hysteresis). */
  readonly auto: AutoState;
  /** Moving averages (wall ms) of a whole physics step each way, for stats; NaN until measured. */
  inlineMs: number;
  shardMs: number;
  /** Steps measured each way. */
  inlineSamples: number;
  shardSamples: number;
  /** What the last step used. */
  lastSharded: boolean;
  readonly parts: Int32Array;
  readonly idParts: Int32Array;
  readonly inline: InlineRunner;
  /** Kernel then copy-back of the same band (the sharded step's fused last phase). */
  readonly inlineStepCommit: InlineRunner;
  readonly inlineCommit: InlineRunner;
  readonly inlineBuild: InlineRunner;
  /** Anomaly guard + staging of a range of the body list (the sharded step's first phase). */
  readonly inlineGuardStage: InlineRunner;
}

/** Options of {@link createShardedPhysics}. */
export interface ShardedPhysicsOptions {
  mode?: ShardMode;
  partitions?: number;
  probeEvery?: number;
  /** `auto`: relative margin the other mode must win a probe by (default 0.1). */
  autoMargin?: number;
  /** Main thread runs partition 0 itself (default false: it waits at the barrier). */
  mainRuns?: boolean;
  /**
   * One dispatch per step (default true): the parties run guard + stage, build and kernel in a row,
   * meeting at barriers of their own; false: three dispatches per step, each phase behind a barrier
   * of the main thread's (the step falls back to that by itself when workers are not READY).
   */
  fused?: boolean;
  /**
   * Fused: row chunks of build and kernel per party (default 8), and id parts of guard + stage per
   * party (default 4), each party claiming the next until none is left (src/shards/chunk-claim.ts):
   * a preempted party holds the others up by at most the unit it holds. 1 and 1: one unit per party.
   */
  chunksPerParty?: number;
  idPartsPerParty?: number;
}

/** Wrap a physics state and an optional (started) pool. Throws `WT_ERR_OPTION_INVALID` on bad options. */
export const createShardedPhysics = (state: PhysicsState, pool: ShardPool | null, opts: ShardedPhysicsOptions = {}): ShardedPhysics => {
  const mode = opts.mode ?? (pool ? 'auto' : 'inline');
  const partitions = opts.partitions ?? pool?.shards ?? 1;
  const probeEvery = opts.probeEvery ?? 64;
  const p: string[] = [];
  if (mode !== 'inline' && mode !== 'shards' && mode !== 'auto') p.push('shards.mode must be inline, shards or auto');
  if (mode !== 'inline' && !pool) p.push(`shards.mode ${mode} needs a shard pool`);
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS)
    p.push(`shards.partitions must be an integer between 1 and ${MAX_PARTITIONS}`);
  if (!Number.isInteger(probeEvery) || probeEvery < 2) p.push('shards.probeEvery must be an integer >= 2');
  const chunksPerParty = opts.chunksPerParty ?? CHUNKS_PER_PARTY,
    idPartsPerParty = opts.idPartsPerParty ?? ID_PARTS_PER_PARTY;
  if (!Number.isInteger(chunksPerParty) || chunksPerParty < 1 || chunksPerParty > MAX_PARTITIONS)
    p.push(`shards.chunksPerParty must be an integer between 1 and ${MAX_PARTITIONS}`);
  if (!Number.isInteger(idPartsPerParty) || idPartsPerParty < 1 || idPartsPerParty > MAX_ID_PARTS)
    p.push(`shards.idPartsPerParty must be an integer between 1 and ${MAX_ID_PARTS}`);
  const margin = opts.autoMargin ?? 0.1;
  if (!(margin >= 0 && margin < 1)) p.push('shards.autoMargin must be a number in [0, 1)');
  if (p.length) throw optionInvalid(p);
  const shared = state.shared;
  // A window holds whole ambient collision periods (so both windows hold the same mix of steps).
  const ambientEvery = Math.max(1, state.config.ambientCollideEvery);
  const windowSteps = ambientEvery * Math.ceil(4 / ambientEvery);
  const inline: InlineRunner = (part, rowStart, rowEnd) => {
    // A partly-run partition (dead worker) may have counted already: its kernel counters restart
    // (the guard's counters of the same slot, C.quarantined.., are the guard phase's).
    shared.counters.fill(0, part * C.stride, part * C.stride + C.quarantined);
    stepRows(shared, rowStart, rowEnd, part, undefined, state.gridScratch.kernel);
  };
  const inlineCommit: InlineRunner = (_part, rowLo, rowHi) => commitRows(shared, rowLo, rowHi);
  const inlineStepCommit: InlineRunner = (part, rowLo, rowHi) => {
    shared.counters.fill(0, part * C.stride, part * C.stride + C.quarantined);
    stepCommitRows(shared, rowLo, rowHi, part, undefined, state.gridScratch.kernel);
  };
  const inlineBuild: InlineRunner = (_part, rowLo, rowHi) => buildRows(shared, rowLo, rowHi, state.gridScratch);
  const inlineGuardStage: InlineRunner = (part, idLo, idHi) => guardStageIds(shared, idLo, idHi, part, state.gridScratch);
  return {
    state,
    pool,
    mode,
    partitions,
    cores: os.availableParallelism(),
    mainRuns: opts.mainRuns ?? false,
    fused: opts.fused ?? true,
    chunksPerParty,
    idPartsPerParty,
    probeEvery,
    auto: createAutoState(windowSteps, probeEvery, margin),
    inlineMs: NaN,
    shardMs: NaN,
    inlineSamples: 0,
    shardSamples: 0,
    lastSharded: false,
    parts: new Int32Array(2 * partitions),
    idParts: new Int32Array(2 * MAX_ID_PARTS),
    inline,
    inlineStepCommit,
    inlineCommit,
    inlineBuild,
    inlineGuardStage,
  };
};

const isAuto = (sp: ShardedPhysics): boolean => sp.mode === 'auto' && sp.pool !== null && sp.cores >= 2;

const useShards = (sp: ShardedPhysics): boolean => {
  if (!sp.pool || sp.mode === 'inline') return false;
  if (sp.mode === 'shards') return true;
  return isAuto(sp) && autoNext(sp.auto);
};

/** Fold one wall-ms sample into a mode's average: the first (cold) is replaced by the second; a probe of the mode not in use weighs more. */
const fold = (avg: number, n: number, ms: number, probe: boolean): number => (n < 2 ? ms : avg + (ms - avg) * (probe ? 0.5 : 0.2));

/**
 * Run one physics step (step index `step`, `dt` simulation seconds) and commit it. Synchronous.
 * `phaseStart` (a `performance.now()` value): when the caller's physics phase began (the
 * physics system marks bodies and plans navigation first), so that `auto` compares whole phases.
 */
export const runPhysicsStep = (sp: ShardedPhysics, step: number, dt: number, phaseStart?: number): void => {
  const ps = sp.state;
  const sharded = useShards(sp);
  const t0 = phaseStart ?? performance.now();
  // Counter slots the step wrote (the fused step counts its kernel per row chunk).
  let counterSlots = sharded ? sp.partitions : 1;
  if (sharded && sp.pool) {
    const local = sp.mainRuns ? 1 : 0;
    // Three phases split over the shards, each behind the barrier: anomaly guard + staging in
    // row order (ids), grid build (rows), kernel + copy-back of the same rows. Serial between
    // them: the partitions, and the row starts (a prefix over rows × id partitions).
    beginStep(ps, step, dt);
    // Fused: a few id parts and row chunks per party, claimed as the parties go (src/shards/chunk-claim.ts).
    let idp = sp.fused ? idPartCount(sp.partitions, sp.idPartsPerParty) : Math.min(sp.partitions, MAX_ID_PARTS);
    partitionIds(ps, idp, sp.idParts);
    ps.shared.params[P.idParts] = idp;
    const chunks = chunkCount(sp.partitions, sp.chunksPerParty);
    if (sp.fused && sp.pool.runFused(sp.idParts, idp, sp.partitions, local, sp.parts, chunks)) {
      ps.stats.lastBodies = ps.shared.rowStart[ps.side];
      counterSlots = Math.max(sp.partitions, idp, chunks);
    } else {
      if (idp !== Math.min(sp.partitions, MAX_ID_PARTS)) {
        idp = Math.min(sp.partitions, MAX_ID_PARTS);
        partitionIds(ps, idp, sp.idParts);
        ps.shared.params[P.idParts] = idp;
      }
      sp.pool.run(sp.idParts, idp, sp.inlineGuardStage, ShardOp.guardStage, local);
      ps.stats.lastBodies = planRows(ps.shared, idp);
      partitionStepRows(ps, sp.partitions, sp.parts);
      sp.pool.run(sp.parts, sp.partitions, sp.inlineBuild, ShardOp.build, local);
      sp.pool.run(sp.parts, sp.partitions, sp.inlineStepCommit, ShardOp.stepCommit, local);
    }
  } else {
    prepareStep(ps, step, dt);
    sp.inline(0, 0, ps.side);
  }
  commitStep(ps, counterSlots, sharded);
  // The whole physics step both ways (the serial parts differ between them).
  const ms = performance.now() - t0;
  const probe = sharded !== sp.lastSharded;
  if (sharded) sp.shardMs = fold(sp.shardMs, sp.shardSamples++, ms, probe);
  else sp.inlineMs = fold(sp.inlineMs, sp.inlineSamples++, ms, probe);
  sp.lastSharded = sharded;
  if (isAuto(sp)) autoRecord(sp.auto, ms);
};
