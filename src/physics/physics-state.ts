/**
 * The physics state of a world (the shared buffers, created once) and the inline step around the
 * kernels:
 *
 *   prepareStep   beginStep (the step's bodies: the caller's list in `shared.ids` — level of detail,
 *                 src/physics/physics-lod.ts — or else every id whose `kind` is set, walked as an
 *                 id range by the per-id phases), then the grid-build phases of
 *                 src/physics/grid-build.ts over every listed body / row: anomaly guard (NaN/Infinity position → quarantined for the step and
 *                 put back at its last good position by the copy-back; absurd speed → clamped;
 *                 far outside the world → clamped; each counted), staging in row order, the
 *                 counting sort into cells (ids ascending) and each row's work estimate
 *   partitionRows split the rows into P bands of about equal work (partitionBuildRows: for the build)
 *   stepRows      (collide-kernel.ts) per band, inline or on a shard worker
 *   commitStep    copy `out` back into Position/Velocity (commitRows), restore quarantined bodies,
 *                 sum the counters
 *
 * src/shards/sharded-physics.ts runs the same phases split over shard workers.
 */
import { configInvalid } from '../errors.js';
import type { Obstacles, ObstacleRect } from './obstacles.js';
import { buildObstacles } from './obstacles.js';
import { commitRows } from './copy-back.js';
import { buildRows, planRows } from './grid-build.js';
import { type GridScratch, gridScratch } from './grid-scratch.js';
import { GUARDED_STRIDE, guardStageIds, STAGE_STRIDE } from './guard-stage.js';
import { restoreQuarantined } from './quarantine.js';
import { physicsGridProblems, resolvePhysicsConfig, type PhysicsConfig, type PhysicsOptions } from './physics-config.js';
import { C, MAX_ID_PARTS, MAX_PARTITIONS, P, rowWords, type Bounds, type PhysicsShared } from './physics-types.js';

/** The stores physics reads and writes (the world's own SharedArrayBuffer views). */
export interface PhysicsStores {
  Position: { x: Float32Array; y: Float32Array };
  Velocity: { x: Float32Array; y: Float32Array };
  Tier: { tier: Uint8Array };
}

/** Monotonic counters (summed over steps) and the last step's figures. */
export interface PhysicsStats {
  steps: number;
  /** Bodies stepped (sum over steps). */
  bodies: number;
  /** Neighbour pairs examined. */
  pairs: number;
  /** Body-steps whose neighbour scan hit the per-cell cap (pile-ups). */
  cellCapped: number;
  obstaclePushes: number;
  /** Body-steps clamped at the world edge. */
  edgeStops: number;
  perceivers: number;
  perceptionTruncated: number;
  /** Body-steps quarantined: non-finite position (restored to the last good one, velocity zeroed). */
  quarantined: number;
  /** Body-steps whose velocity was non-finite or above `maxSpeed` (clamped). */
  velocityClamped: number;
  /** Body-steps whose position was outside the world (clamped in). */
  positionClamped: number;
  /** Bodies in the last step. */
  lastBodies: number;
  /**
   * Coarse catch-ups of bodies outside the step (level of detail, src/physics/physics-lod.ts):
   * a dormant NPC moved by the rotating slice, or an NPC catching up its lag as it rejoins.
   */
  coarseMoves: number;
  /**
   * Wall contacts of those coarse catch-ups (swept against the obstacles, src/physics/swept.ts:
   * stopped at the first wall on the path and turned away); also counted in `obstaclePushes`.
   */
  sweptContacts: number;
}

/** Physics of one world. Plain data plus typed arrays; see module doc for the step order. */
export interface PhysicsState {
  readonly config: PhysicsConfig;
  readonly bounds: Bounds;
  readonly capacity: number;
  /** Collision grid side (cells per row). */
  readonly side: number;
  /** The main thread's scratch of the inline guard/staging and grid build (no allocation per step). */
  readonly gridScratch: GridScratch;
  readonly shared: PhysicsShared;
  readonly obstacles: Obstacles;
  /** Work estimate per grid row (last prepared step; the same array as `shared.rowWork`). */
  readonly rowWork: Float64Array;
  /** Scratch: grid-build cost per row ({@link partitionBuildRows}). */
  readonly buildWork: Float64Array;
  /** Highest entity id that may be a body (callers keep it up to date). */
  maxEid: number;
  /**
   * Bodies of this step: `shared.ids[idStart..idCount)`, ids ascending, when listed (level of
   * detail); otherwise every id of [idStart = 1, idCount) whose `shared.kind` is not none, walked as
   * an id range by the per-id phases (`params[P.byRange]` 1: no serial listing pass).
   */
  idCount: number;
  idStart: number;
  /**
   * The caller listed this step's bodies itself ({@link setStepBodies}); otherwise the step lists
   * every id in 1..maxEid whose `shared.kind` is not `none`. Cleared by each {@link beginStep}.
   */
  idsListed: boolean;
  readonly stats: PhysicsStats;
}

/** Options of {@link createPhysics}. */
export interface CreatePhysicsOptions {
  /** Highest entity id (stores are sized `capacity + 1`). */
  capacity: number;
  bounds: Bounds;
  stores: PhysicsStores;
  physics?: PhysicsOptions;
  /** Validated obstacles (src/physics/obstacles.ts `validateObstacles`). */
  obstacles?: readonly ObstacleRect[];
}

const f32 = (n: number): Float32Array => new Float32Array(new SharedArrayBuffer(n * 4));
const i32 = (n: number, fill = 0): Int32Array => {
  const a = new Int32Array(new SharedArrayBuffer(n * 4));
  if (fill) a.fill(fill);
  return a;
};

/**
 * Create the physics state of a world. Throws `WT_ERR_OPTION_INVALID` on bad options, `WT_ERR_CONFIG_INVALID` when a
 * cell size gives a collision grid or navigation raster over its bound for the world (`physicsGridProblems` in
 * physics-config.ts; checked before anything is allocated).
 */
export const createPhysics = (opts: CreatePhysicsOptions): PhysicsState => {
  const config = resolvePhysicsConfig(opts.physics);
  const b = opts.bounds;
  const extent = Math.max(b.maxX - b.minX, b.maxY - b.minY);
  // Before anything is allocated: a grid too large for the world is a coded refusal, not a RangeError.
  const tooLarge = physicsGridProblems(extent, config);
  if (tooLarge.length) throw configInvalid(tooLarge);
  const side = Math.max(1, Math.ceil(extent / config.cellSize));
  const n = opts.capacity + 1;
  const K = config.perceptionListSize;
  const obstacles = buildObstacles(
    opts.obstacles ?? [],
    b,
    config.cellSize,
    side,
    Math.max(config.npcRadius, config.playerRadius),
    config.navCellSize,
  );
  const params = new Float64Array(new SharedArrayBuffer(P.count * 8));
  const rowWork = new Float64Array(new SharedArrayBuffer(side * 8));
  const stageBuf = new SharedArrayBuffer(n * STAGE_STRIDE * 4);
  const guardedBuf = new SharedArrayBuffer(n * GUARDED_STRIDE * 4);
  params[P.minX] = b.minX;
  params[P.minY] = b.minY;
  params[P.maxX] = b.maxX;
  params[P.maxY] = b.maxY;
  params[P.cellSize] = config.cellSize;
  params[P.side] = side;
  params[P.npcRadius] = config.npcRadius;
  params[P.playerRadius] = config.playerRadius;
  params[P.maxPerCell] = config.maxPerCell;
  params[P.activeMaxPerCell] = config.activeMaxPerCell;
  params[P.ambientEvery] = config.ambientCollideEvery;
  params[P.perceptionRadius] = config.perceptionRadius;
  params[P.perceptionK] = K;
  params[P.maxSpeed] = config.maxSpeed;
  const shared: PhysicsShared = {
    params,
    px: opts.stores.Position.x,
    py: opts.stores.Position.y,
    vx: opts.stores.Velocity.x,
    vy: opts.stores.Velocity.y,
    tier: opts.stores.Tier.tier,
    kind: new Uint8Array(new SharedArrayBuffer(n)),
    ids: i32(n),
    out: f32(4 * n),
    lastX: f32(n).fill(NaN),
    lastY: f32(n).fill(NaN),
    cellItems: i32(n),
    cellStart: i32(side * side + 1),
    rowDense: new Uint8Array(new SharedArrayBuffer(side)),
    rowBits: new Uint32Array(new SharedArrayBuffer(side * rowWords(side) * 4)),
    sorted: f32(4 * n),
    sortedFlags: new Uint8Array(new SharedArrayBuffer(n)),
    sortedSteps: new Uint8Array(new SharedArrayBuffer(n)),
    sortedCx: i32(n),
    rowMax: i32(side),
    rowWork,
    rowStart: i32(side + 1),
    stage: new Float32Array(stageBuf),
    stageI: new Int32Array(stageBuf),
    rowOf: i32(n, -1),
    guardBits: new Uint8Array(new SharedArrayBuffer(n)),
    guarded: new Float32Array(guardedBuf),
    guardedI: new Int32Array(guardedBuf),
    rowCounts: i32(MAX_ID_PARTS * side),
    stageBase: i32(MAX_ID_PARTS * side),
    obsRects: obstacles.rects,
    obsStart: obstacles.obsStart,
    obsItems: obstacles.obsItems,
    obsBits: obstacles.obsBits,
    percTotal: i32(n),
    percPlayers: i32(n),
    percNpcs: i32(n),
    percNearest: i32(n, -1),
    percNearestDist: f32(n).fill(Infinity),
    percList: i32(Math.max(1, n * K), -1),
    percStep: new Float64Array(new SharedArrayBuffer(n * 8)),
    counters: new Float64Array(new SharedArrayBuffer(MAX_PARTITIONS * C.stride * 8)),
  };
  return {
    config,
    bounds: { ...b },
    capacity: opts.capacity,
    side,
    gridScratch: gridScratch(side),
    shared,
    obstacles,
    rowWork,
    buildWork: new Float64Array(side),
    maxEid: opts.capacity,
    idCount: 0,
    idStart: 0,
    idsListed: false,
    stats: {
      steps: 0,
      bodies: 0,
      pairs: 0,
      cellCapped: 0,
      obstaclePushes: 0,
      edgeStops: 0,
      perceivers: 0,
      perceptionTruncated: 0,
      quarantined: 0,
      velocityClamped: 0,
      positionClamped: 0,
      lastBodies: 0,
      coarseMoves: 0,
      sweptContacts: 0,
    },
  };
};

/**
 * Prepare step `step` (0-based) of `dt` simulation seconds: guard anomalies, build the grid,
 * estimate row work. Bodies are the ids listed by {@link setStepBodies}, or else the ids 1..maxEid
 * whose `shared.kind` is not `none`.
 * = {@link prepareBodies} + `buildRows` over every row.
 */
export const prepareStep = (ps: PhysicsState, step: number, dt: number): void => {
  prepareBodies(ps, step, dt);
  buildRows(ps.shared, 0, ps.side, ps.gridScratch);
};

/**
 * The part of the step's preparation before the grid build, all inline: start the step (params,
 * counters), guard anomalies and fill the row-ordered stage (`guardStageIds`), plan the rows
 * (`planRows`). {@link runPhysicsStep} (src/shards/sharded-physics.ts) runs the same phases split
 * over the shards instead.
 */
export const prepareBodies = (ps: PhysicsState, step: number, dt: number): void => {
  beginStep(ps, step, dt);
  guardStageIds(ps.shared, ps.idStart, ps.idCount, 0, ps.gridScratch);
  ps.stats.lastBodies = planRows(ps.shared, 1);
};

/** Start step `step` of `dt` simulation seconds: params, counters, and the body list (unless given). */
export const beginStep = (ps: PhysicsState, step: number, dt: number): void => {
  const s = ps.shared;
  s.params[P.dt] = dt;
  s.params[P.step] = step;
  s.counters.fill(0);
  if (ps.idsListed) {
    ps.idStart = 0;
    s.params[P.byRange] = 0;
  } else {
    // Every id in 1..maxEid whose kind is set: the per-id phases walk the range themselves.
    ps.idStart = 1;
    ps.idCount = idEnd(ps);
    s.params[P.byRange] = 1;
  }
  ps.idsListed = false;
};

/**
 * The caller has written this step's bodies into `shared.ids[0..count)` — ids ascending, no
 * duplicates, each with its `shared.kind` set — for the next {@link beginStep} (level of detail:
 * the step then costs what its bodies cost, not the population).
 */
export const setStepBodies = (ps: PhysicsState, count: number): void => {
  ps.idCount = count;
  ps.idsListed = true;
};

/** One past the highest id that may be a body this step. */
export const idEnd = (ps: PhysicsState): number => Math.min(ps.maxEid, ps.capacity) + 1;

/**
 * Split the step's bodies (positions [idStart, idCount) of the list, or of the id range: after
 * {@link beginStep}) into `parts` ranges for the guard + staging phase, cut on multiples of 16. Writes
 * [lo0, hi0, lo1, hi1, ...] into `out`.
 */
export const partitionIds = (ps: PhysicsState, parts: number, out: Int32Array): void => {
  const start = ps.idStart,
    end = ps.idCount;
  for (let p = 0; p < parts; p++) {
    const lo = p === 0 ? start : Math.max(start, Math.min(end, (Math.floor((end * p) / parts) + 15) & ~15));
    const hi = p === parts - 1 ? end : Math.max(start, Math.min(end, (Math.floor((end * (p + 1)) / parts) + 15) & ~15));
    out[2 * p] = lo;
    out[2 * p + 1] = Math.max(lo, hi);
  }
};

/**
 * Split the grid rows into `parts` bands of about equal estimated work. Writes row bounds into
 * `out` ([start0, end0, start1, end1, ...]); bands may be empty. Deterministic.
 */
export const partitionRows = (ps: PhysicsState, parts: number, out: Int32Array): void => splitRows(ps.rowWork, ps.side, parts, out);

/**
 * Split the grid rows into `parts` bands for the grid build (after {@link prepareBodies}):
 * a row costs a pass over its cells plus its bodies. Same output format as {@link partitionRows}.
 */
export const partitionBuildRows = (ps: PhysicsState, parts: number, out: Int32Array): void => {
  const side = ps.side,
    w = ps.buildWork,
    rs = ps.shared.rowStart;
  for (let r = 0; r < side; r++) w[r] = side + 16 * (rs[r + 1] - rs[r]);
  splitRows(w, side, parts, out);
};

/**
 * One split of the rows for both the grid build and the kernel of a sharded step, made before the
 * build: by the previous step's kernel work (`rowWork`, still holding it) plus each row's build
 * cost, so that the worker which builds a band's grid then steps the same band on warm caches.
 * Results never depend on the split (any partition gives the same arrays); only balance does.
 */
export const partitionStepRows = (ps: PhysicsState, parts: number, out: Int32Array): void => {
  const side = ps.side,
    w = ps.buildWork,
    rs = ps.shared.rowStart,
    rw = ps.rowWork;
  let prev = 0;
  for (let r = 0; r < side; r++) prev += rw[r];
  // Build cost: a pass over the row's cells plus its bodies; kernel cost: the last step's work,
  // weighed ×4 (a neighbour pair costs more than a scatter).
  for (let r = 0; r < side; r++) w[r] = (side >> 4) + (rs[r + 1] - rs[r]) + (prev > 0 ? 4 * rw[r] : 0);
  splitRows(w, side, parts, out);
};

const splitRows = (w: Float64Array, side: number, parts: number, out: Int32Array): void => {
  let total = 0;
  for (let r = 0; r < side; r++) total += w[r];
  let row = 0,
    acc = 0;
  for (let p = 0; p < parts; p++) {
    out[2 * p] = row;
    if (p === parts - 1) row = side;
    else {
      const target = (total * (p + 1)) / parts;
      while (row < side && acc + w[row] / 2 < target) acc += w[row++];
    }
    out[2 * p + 1] = row;
  }
};

/**
 * Copy results back into the world stores (unless `copied`: the shards did it with
 * `commitRows`), put quarantined bodies back (only in a step that had any), and sum the
 * partition counters (after the barrier).
 */
export const commitStep = (ps: PhysicsState, partitions: number, copied = false): void => {
  const s = ps.shared;
  if (!copied) commitRows(s, 0, ps.side);
  let quarantined = 0;
  for (let p = 0; p < Math.max(1, partitions); p++) quarantined += s.counters[p * C.stride + C.quarantined];
  if (quarantined > 0) restoreQuarantined(s, ps.idStart, ps.idCount);
  sumCounters(ps, partitions);
};

const sumCounters = (ps: PhysicsState, partitions: number): void => {
  const st = ps.stats,
    cnt = ps.shared.counters;
  for (let p = 0; p < Math.max(1, partitions); p++) {
    const o = p * C.stride;
    st.bodies += cnt[o + C.bodies];
    st.pairs += cnt[o + C.pairs];
    st.cellCapped += cnt[o + C.cellCapped];
    st.obstaclePushes += cnt[o + C.obstaclePushes];
    st.edgeStops += cnt[o + C.edgeStops];
    st.perceivers += cnt[o + C.perceivers];
    st.perceptionTruncated += cnt[o + C.perceptionTruncated];
    st.quarantined += cnt[o + C.quarantined];
    st.velocityClamped += cnt[o + C.velocityClamped];
    st.positionClamped += cnt[o + C.positionClamped];
  }
  st.steps++;
};
