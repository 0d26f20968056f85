/**
 * Shared layout of the physics step: every array a kernel reads or writes, on
 * SharedArrayBuffer, as one plain object that can be posted to a shard worker once.
 *
 * Read-old / write-new: kernels read `px, py, vx, vy` (the world's Position/Velocity stores as
 * they were when the step began) and write only `out*` and `perc*` rows of the bodies they own.
 * The main thread copies `out*` back after the barrier, so no body ever sees a neighbour's
 * new value within a step, whatever the partitioning.
 */

/** Axis-aligned world bounds (world units). */
export interface Bounds {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

/** Body kinds in {@link PhysicsShared.kind} (its low 2 bits). 0 = not a body this step. */
export const BodyKind = { none: 0, npc: 1, player: 2 } as const;

/**
 * `kind[e] >> KIND_STEPS_SHIFT`: the steps of simulated time body `e` integrates in this step (0
 * means 1): an NPC rejoining the step after steps outside it (level of detail,
 * src/physics/physics-lod.ts) catches up its lag in the kernel's integration. At most
 * {@link MAX_BODY_STEPS}.
 */
export const KIND_STEPS_SHIFT = 2;
export const MAX_BODY_STEPS = 63;

/** Indices into {@link PhysicsShared.params} (float64; written by the main thread before dispatch). */
export const P = {
  dt: 0,
  minX: 1,
  minY: 2,
  maxX: 3,
  maxY: 4,
  cellSize: 5,
  side: 6,
  npcRadius: 7,
  playerRadius: 8,
  maxPerCell: 9,
  activeMaxPerCell: 10,
  ambientEvery: 11,
  perceptionRadius: 12,
  perceptionK: 13,
  step: 14,
  maxSpeed: 15,
  /** Id partitions of this step's guard + staging (written by `planRows`; the build reads a row's runs from each). */
  idParts: 16,
  /**
   * 1: this step's bodies are every id of [1, idCount) whose `kind` is not none, and the per-id
   * phases walk that id range itself (positions = ids) instead of the list `ids` (no serial
   * listing pass on the main thread); 0: they walk `ids` (level of detail lists them).
   */
  byRange: 17,
  count: 18,
} as const;

/** Per-partition counters (float64, `counters[slot * C.stride + C.x]`). */
export const C = {
  bodies: 0,
  pairs: 1,
  cellCapped: 2,
  obstaclePushes: 3,
  edgeStops: 4,
  perceivers: 5,
  perceptionTruncated: 6,
  /** Anomaly guard (src/physics/grid-build.ts `guardStageIds`). */
  quarantined: 7,
  velocityClamped: 8,
  positionClamped: 9,
  count: 10,
  /** Slots are 16 float64 apart (128 bytes): two workers never write the same cache line. */
  stride: 16,
} as const;

/** Most partitions of one step (counter slots). */
export const MAX_PARTITIONS = 64;

/** Most partitions of the id-range phase of the grid build (guard + stage): per-row counters each. */
export const MAX_ID_PARTS = 16;

/** Words per grid row of {@link PhysicsShared.rowBits}. */
export const rowWords = (side: number): number => (side + 31) >> 5;

/** Whether grid row `ny` has a body in columns [xLo, xHi] (its occupancy bits, {@link PhysicsShared.rowBits}). */
export const rowHasAny = (bits: Uint32Array, words: number, ny: number, xLo: number, xHi: number): boolean => {
  const base = ny * words,
    w0 = xLo >> 5,
    w1 = xHi >> 5;
  for (let w = w0; w <= w1; w++) {
    let v = bits[base + w];
    if (w === w0) v &= -1 << (xLo & 31);
    if (w === w1 && (xHi & 31) < 31) v &= (1 << ((xHi & 31) + 1)) - 1;
    if (v !== 0) return true;
  }
  return false;
};

/** Everything a physics kernel touches (see module doc). Indexed by entity id unless noted. */
export interface PhysicsShared {
  params: Float64Array;
  /** World stores (read-old). */
  px: Float32Array;
  py: Float32Array;
  vx: Float32Array;
  vy: Float32Array;
  /** World tier store (`Tier.tier`): level of detail of NPC bodies. */
  tier: Uint8Array;
  /**
   * {@link BodyKind} | (steps << {@link KIND_STEPS_SHIFT}) per entity, set by the caller before each
   * step (read only for the ids in `ids`).
   */
  kind: Uint8Array;
  /**
   * This step's bodies, ids ascending, at [0, idCount) (PhysicsState.idCount): the per-id phases
   * (guard, stage, quarantine restore) walk this list, not the id range, so their cost follows the
   * bodies in the step (with level of detail: players and non-dormant NPCs), not the population.
   */
  ids: Int32Array;
  /**
   * New position/velocity, indexed by grid slot k (cell order, like `cellItems`), not by id, four
   * float32 per slot: `out[4k] = x, [4k+1] = y, [4k+2] = vx, [4k+3] = vy`. A band of rows writes one
   * contiguous range (two workers never share a cache line), and the copy-back of one body reads
   * one cache line instead of four.
   */
  out: Float32Array;
  /** Position each body had after the last committed step (quarantine restores it). */
  lastX: Float32Array;
  lastY: Float32Array;
  /**
   * Uniform grid, sorted by row then column (ids ascending inside a cell): row r holds slots
   * rowStart[r] .. rowStart[r+1]. A dense row (`rowDense[r]` 1: more than side / 8 bodies) also
   * has its cells' first slots in `cellStart` (cell c holds cellItems[cellStart[c] .. cellStart[c+1]));
   * a sparse row's cells are found by column (`sortedCx`), so the millions of empty cells of a
   * sparse world are never written. `cellStart` entries of sparse rows are stale.
   */
  cellItems: Int32Array;
  cellStart: Int32Array;
  rowDense: Uint8Array;
  /**
   * Start-of-step state of `cellItems[k]` at slot k, four float32 per slot like `out`
   * (x, y, vx, vy): the kernel reads only slot-ordered memory (the neighbour scans, and its own
   * body), never a store indexed by a random id.
   */
  sorted: Float32Array;
  /** {@link BodyKind} | (level-of-detail tier << 2) of `cellItems[k]` at slot k (players: tier detailed). */
  sortedFlags: Uint8Array;
  /** Steps of simulated time `cellItems[k]` integrates this step (0 or 1 = one; see {@link KIND_STEPS_SHIFT}). */
  sortedSteps: Uint8Array;
  /** Grid column of `cellItems[k]` at slot k (the kernel walks a row's slots, not its cells). */
  sortedCx: Int32Array;
  /**
   * Occupancy: one bit per cell, set when the cell holds a body this step; each row starts on a
   * word (`rowWords(side)` words per row, so two bands never write one word). Written by the grid
   * build, read by the kernel to skip the neighbour scan of a body alone in its 3×3 cells.
   */
  rowBits: Uint32Array;
  /** Most bodies in one cell of each grid row (the kernel scans a row's cells as one span when no cell is over the cap). */
  rowMax: Int32Array;
  /** Work estimate per grid row (written by the grid build; the kernel partition balances on it). */
  rowWork: Float64Array;
  /** First slot of each grid row (`side + 1` entries; the last = bodies in the grid). */
  rowStart: Int32Array;
  /**
   * Bodies in row order between the two grid-build passes (src/physics/grid-build.ts): id partition
   * p's region is slots [its first list position, its last), its rows in order; two views of one buffer.
   */
  stage: Float32Array;
  stageI: Int32Array;
  /** Grid row of each body of this step by list position (-1: quarantined or not a body), written by the guard. */
  rowOf: Int32Array;
  /** What the guard found wrong with each body this step (0 = nothing; bits of guard-stage.ts `QUARANTINED`...). */
  guardBits: Uint8Array;
  /**
   * The guard's result per list position (id with `P.byRange`), `GUARDED_STRIDE` words each: the
   * sanitised x, y, vx, vy (`guarded`) and the slot's flag bits (`guardedI` word 4: kind, tier,
   * steps) — so the staging pass reads in sequence what the guard pass read at ids spread over the
   * stores. Two views of one buffer.
   */
  guarded: Float32Array;
  guardedI: Int32Array;
  /** Bodies per (id partition p, row r) at `p * side + r`, and each partition's first stage slot per row (both by `guardStageIds`). */
  rowCounts: Int32Array;
  stageBase: Int32Array;
  /** Obstacles (src/physics/obstacles.ts). */
  obsRects: Float64Array;
  obsStart: Int32Array;
  obsItems: Int32Array;
  /** One bit per collision cell: set when the cell lists a rect (`obsStart[c] < obsStart[c + 1]`); 1/32 of `obsStart`, stays in cache. */
  obsBits: Uint32Array;
  /** Perception results of detailed NPCs (rows of other bodies untouched this step). */
  percTotal: Int32Array;
  percPlayers: Int32Array;
  percNpcs: Int32Array;
  percNearest: Int32Array;
  percNearestDist: Float32Array;
  /** Up to `perceptionListSize` neighbour ids per body at [eid * K ..]. */
  percList: Int32Array;
  /** Step stamp (params.step + 1) of the last perception written for a body; 0 = never. */
  percStep: Float64Array;
  counters: Float64Array;
}
