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
import { TierCode } from '../../components/tier.js';
import type { Obstacles, ObstacleRect } from './obstacles.js';
import { buildObstacles } from './obstacles.js';
import { commitIds } from './collide-kernel.js';
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
  /** Work estimate per grid row (last prepared step). */
  readonly rowWork: Float64Array;
  readonly cellCount: Int32Array;
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
    rowMax: i32(side),
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
    rowWork: new Float64Array(side),
    cellCount: new Int32Array(side * side),
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
 */
export const prepareStep = (ps: PhysicsState, step: number, dt: number): void => {
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
    count = ps.cellCount;
  const side = ps.side,
    inv = 1 / cfg.cellSize,
    maxS = cfg.maxSpeed,
    maxS2 = maxS * maxS;
  const midX = (b.minX + b.maxX) / 2,
    midY = (b.minY + b.maxY) / 2;
  const st = ps.stats;
  count.fill(0);
  const top = Math.min(ps.maxEid, ps.capacity);
  for (let e = 1; e <= top; e++) {
    if (kind[e] === BodyKind.none) continue;
    slotOf[e] = -1;
    let x = px[e],
      y = py[e];
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      // Quarantine for this step: back to the last position physics wrote, at rest.
      const lx = s.lastX[e],
        ly = s.lastY[e];
      const good = Number.isFinite(lx) && Number.isFinite(ly) && lx >= b.minX && lx <= b.maxX && ly >= b.minY && ly <= b.maxY;
      px[e] = good ? lx : midX;
      py[e] = good ? ly : midY;
      vx[e] = 0;
      vy[e] = 0;
      cellOf[e] = -1;
      st.quarantined++;
      continue;
    }
    if (x < b.minX || x > b.maxX || y < b.minY || y > b.maxY) {
      x = x < b.minX ? b.minX : x > b.maxX ? b.maxX : x;
      y = y < b.minY ? b.minY : y > b.maxY ? b.maxY : y;
      px[e] = x;
      py[e] = y;
      st.positionClamped++;
    }
    const ux = vx[e],
      uy = vy[e];
    if (!Number.isFinite(ux) || !Number.isFinite(uy)) {
      vx[e] = 0;
      vy[e] = 0;
      st.velocityClamped++;
    } else {
      const v2 = ux * ux + uy * uy;
      if (v2 > maxS2) {
        const f = maxS / Math.sqrt(v2);
        vx[e] = ux * f;
        vy[e] = uy * f;
        st.velocityClamped++;
      }
    }
    let gx = Math.floor((x - b.minX) * inv),
      gy = Math.floor((y - b.minY) * inv);
    gx = gx >= side ? side - 1 : gx;
    gy = gy >= side ? side - 1 : gy;
    const c = gy * side + gx;
    cellOf[e] = c;
    count[c]++;
  }
  // Prefix sums; row work ≈ Σ bodies × (1 + neighbours examined in their own cell).
  // count[] becomes the scatter cursor.
  const cellStart = s.cellStart,
    rowWork = ps.rowWork,
    rowMax = s.rowMax,
    cap = cfg.maxPerCell;
  let acc = 0;
  for (let gy = 0; gy < side; gy++) {
    let w = 0,
      most = 0;
    for (let gx = 0; gx < side; gx++) {
      const c = gy * side + gx;
      const k = count[c];
      cellStart[c] = acc;
      count[c] = acc;
      acc += k;
      if (k > 0) {
        w += k * (1 + (k < cap ? k : cap));
        if (k > most) most = k;
      }
    }
    rowWork[gy] = w;
    rowMax[gy] = most;
  }
  cellStart[side * side] = acc;
  // Scatter ids ascending; each body's start-of-step state goes to its slot (what the kernel reads).
  const items = s.cellItems,
    srt = s.sorted,
    flags = s.sortedFlags,
    tier = s.tier;
  for (let e = 1; e <= top; e++) {
    const kd = kind[e];
    if (kd === BodyKind.none) continue;
    const c = cellOf[e];
    if (c < 0) continue;
    const k = count[c]++;
    items[k] = e;
    slotOf[e] = k;
    const q = k << 2;
    srt[q] = px[e];
    srt[q + 1] = py[e];
    srt[q + 2] = vx[e];
    srt[q + 3] = vy[e];
    // Level of detail: players are always full; an unknown tier code counts as dormant.
    const t = kd === BodyKind.player ? TierCode.detailed : tier[e] > TierCode.dormant ? TierCode.dormant : tier[e];
    flags[k] = kd | (t << 2);
  }
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
export const partitionRows = (ps: PhysicsState, parts: number, out: Int32Array): void => {
  const side = ps.side,
    w = ps.rowWork;
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
