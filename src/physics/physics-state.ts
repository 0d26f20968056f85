/**
 * Main-thread side of the physics step: the shared buffers, the anomaly guard, the grid build,
 * the work-balanced partition of grid rows, and the commit of results.
 *
 *   prepareStep   sanitise bodies (NaN/Infinity position → quarantined for the step and put
 *                 back at its last good position; absurd speed → clamped; far outside the world
 *                 → clamped; each counted), counting-sort them into the grid by id ascending,
 *                 and estimate each row's work
 *   partitionRows split the rows into P bands of about equal work
 *   stepRows      (collide-kernel.ts) per band, inline or on a shard worker
 *   commitStep    copy out* back into Position/Velocity, sum the counters
 */
import type { Obstacles, ObstacleRect } from './obstacles.js';
import { buildObstacles } from './obstacles.js';
import { commitIds } from './collide-kernel.js';
import { buildRows, STAGE_STRIDE, stageBodies } from './grid-build.js';
import { resolvePhysicsConfig, type PhysicsConfig, type PhysicsOptions } from './physics-config.js';
import { BodyKind, C, MAX_PARTITIONS, P, type Bounds, type PhysicsShared } from './physics-types.js';

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
}

/** Physics of one world. Plain data plus typed arrays; see module doc for the step order. */
export interface PhysicsState {
  readonly config: PhysicsConfig;
  readonly bounds: Bounds;
  readonly capacity: number;
  /** Collision grid side (cells per row). */
  readonly side: number;
  readonly shared: PhysicsShared;
  readonly obstacles: Obstacles;
  /** Work estimate per grid row (last prepared step; the same array as `shared.rowWork`). */
  readonly rowWork: Float64Array;
  /** Scratch: bodies per grid row, then the staging cursor. */
  readonly rowCount: Int32Array;
  /** Scratch: grid-build cost per row ({@link partitionBuildRows}). */
  readonly buildWork: Float64Array;
  readonly cellOf: Int32Array;
  /** Highest entity id that may be a body (callers keep it up to date). */
  maxEid: number;
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

/** Create the physics state of a world. Throws `WT_ERR_OPTION_INVALID` on bad options. */
export const createPhysics = (opts: CreatePhysicsOptions): PhysicsState => {
  const config = resolvePhysicsConfig(opts.physics);
  const b = opts.bounds;
  const side = Math.max(1, Math.ceil(Math.max(b.maxX - b.minX, b.maxY - b.minY) / config.cellSize));
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
  const shared: PhysicsShared = {
    params,
    px: opts.stores.Position.x,
    py: opts.stores.Position.y,
    vx: opts.stores.Velocity.x,
    vy: opts.stores.Velocity.y,
    tier: opts.stores.Tier.tier,
    kind: new Uint8Array(new SharedArrayBuffer(n)),
    out: f32(4 * n),
    slotOf: i32(n, -1),
    lastX: f32(n).fill(NaN),
    lastY: f32(n).fill(NaN),
    cellStart: i32(side * side + 1),
    cellItems: i32(n),
    sorted: f32(4 * n),
    sortedFlags: new Uint8Array(new SharedArrayBuffer(n)),
    sortedCx: i32(n),
    rowMax: i32(side),
    rowWork,
    rowStart: i32(side + 1),
    stage: new Float32Array(stageBuf),
    stageI: new Int32Array(stageBuf),
    obsRects: obstacles.rects,
    obsStart: obstacles.obsStart,
    obsItems: obstacles.obsItems,
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
    shared,
    obstacles,
    rowWork,
    rowCount: new Int32Array(side),
    buildWork: new Float64Array(side),
    cellOf: new Int32Array(n),
    maxEid: opts.capacity,
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
    },
  };
};

/**
 * Prepare step `step` (0-based) of `dt` simulation seconds: guard anomalies, build the grid,
 * estimate row work. Bodies are the ids 1..maxEid whose `shared.kind` is not `none`.
 * = {@link prepareBodies} + `buildRows` over every row.
 */
export const prepareStep = (ps: PhysicsState, step: number, dt: number): void => {
  prepareBodies(ps, step, dt);
  buildRows(ps.shared, 0, ps.side);
};

/**
 * The serial part of the step's preparation (main thread): guard anomalies, count bodies per
 * grid row, and stage them in row order. The grid build of the rows (`buildRows`,
 * src/physics/grid-build.ts) follows, inline or split over the shards.
 */
export const prepareBodies = (ps: PhysicsState, step: number, dt: number): void => {
  const s = ps.shared,
    cfg = ps.config,
    b = ps.bounds;
  s.params[P.dt] = dt;
  s.params[P.step] = step;
  s.counters.fill(0);
  const px = s.px,
    py = s.py,
    vx = s.vx,
    vy = s.vy,
    kind = s.kind,
    cellOf = ps.cellOf,
    slotOf = s.slotOf,
    count = ps.rowCount;
  const side = ps.side,
    inv = 1 / cfg.cellSize,
    maxS = cfg.maxSpeed,
    maxS2 = maxS * maxS;
  const minX = b.minX,
    minY = b.minY,
    maxX = b.maxX,
    maxY = b.maxY;
  const midX = (minX + maxX) / 2,
    midY = (minY + maxY) / 2;
  const st = ps.stats;
  let quarantined = 0,
    positionClamped = 0,
    velocityClamped = 0;
  count.fill(0);
  const top = Math.min(ps.maxEid, ps.capacity);
  for (let e = 1; e <= top; e++) {
    if (kind[e] === BodyKind.none) continue;
    slotOf[e] = -1;
    let x = px[e],
      y = py[e];
    // x - x is 0 for a finite x and NaN for NaN/±Infinity: one test for both coordinates.
    if (x - x + (y - y) !== 0) {
      // Quarantine for this step: back to the last position physics wrote, at rest.
      const lx = s.lastX[e],
        ly = s.lastY[e];
      const good = Number.isFinite(lx) && Number.isFinite(ly) && lx >= minX && lx <= maxX && ly >= minY && ly <= maxY;
      px[e] = good ? lx : midX;
      py[e] = good ? ly : midY;
      vx[e] = 0;
      vy[e] = 0;
      cellOf[e] = -1;
      quarantined++;
      continue;
    }
    if (x < minX || x > maxX || y < minY || y > maxY) {
      x = x < minX ? minX : x > maxX ? maxX : x;
      y = y < minY ? minY : y > maxY ? maxY : y;
      px[e] = x;
      py[e] = y;
      positionClamped++;
    }
    const ux = vx[e],
      uy = vy[e];
    const v2 = ux * ux + uy * uy;
    // NaN/Infinity fail `v2 <= maxS2` too: one test on the common path.
    if (!(v2 <= maxS2)) {
      if (ux - ux + (uy - uy) !== 0) {
        vx[e] = 0;
        vy[e] = 0;
      } else {
        const f = maxS / Math.sqrt(v2);
        vx[e] = ux * f;
        vy[e] = uy * f;
      }
      velocityClamped++;
    }
    let gx = Math.floor((x - minX) * inv),
      gy = Math.floor((y - minY) * inv);
    gx = gx >= side ? side - 1 : gx;
    gy = gy >= side ? side - 1 : gy;
    cellOf[e] = gy * side + gx;
    count[gy]++;
  }
  st.quarantined += quarantined;
  st.positionClamped += positionClamped;
  st.velocityClamped += velocityClamped;
  // Row prefix; then the bodies into row order.
  const rowStart = s.rowStart;
  let acc = 0;
  for (let gy = 0; gy < side; gy++) {
    rowStart[gy] = acc;
    acc += count[gy];
  }
  rowStart[side] = acc;
  s.cellStart[side * side] = acc;
  stageBodies(s, cellOf, top, count);
  st.lastBodies = acc;
};

/**
 * Split the ids 1..maxEid into `parts` ranges for the copy-back phase, cut on multiples of 16
 * (one cache line of float32). Writes [lo0, hi0, lo1, hi1, ...] into `out`.
 */
export const partitionIds = (ps: PhysicsState, parts: number, out: Int32Array): void => {
  const end = Math.min(ps.maxEid, ps.capacity) + 1;
  for (let p = 0; p < parts; p++) {
    const lo = p === 0 ? 1 : Math.min(end, (Math.floor((end * p) / parts) + 15) & ~15);
    const hi = p === parts - 1 ? end : Math.min(end, (Math.floor((end * (p + 1)) / parts) + 15) & ~15);
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
 * `commitIds`) and sum the partition counters (after the barrier).
 */
export const commitStep = (ps: PhysicsState, partitions: number, copied = false): void => {
  if (!copied) copyBack(ps);
  sumCounters(ps, partitions);
};

const copyBack = (ps: PhysicsState): void => {
  commitIds(ps.shared, 1, Math.min(ps.maxEid, ps.capacity) + 1);
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
  }
  st.steps++;
};
