/**
 * Thread-local scratch of the physics step's guard/staging, grid build and kernel.
 */
import { rowWords } from './physics-types.js';

/**
 * Per-thread scratch of `buildRows` (src/physics/grid-build.ts), `guardStageIds`
 * (src/physics/guard-stage.ts) and the collision kernel, sized for a grid of `side` rows and
 * columns: reused by every call of its thread instead of allocating per call (a sharded step calls
 * them once per unit). Cleared by each call before use.
 */
export interface GridScratch {
  side: number;
  /** buildRows: per-column counters, then cursors. */
  count: Int32Array;
  /** buildRows: the row's occupancy bits. */
  occ: Int32Array;
  /** guardStageIds: per-row counts, then cursors. */
  counts: Int32Array;
  /** guardStageIds: one body's guarded state. */
  o: Float64Array;
  /** The kernel's (src/physics/collide-kernel.ts `stepCommitRows`). */
  kernel: KernelScratch;
}

/** Scratch of the collision kernel: row cursors and the obstacle in/out rows. */
export interface KernelScratch {
  spanLo: Int32Array;
  spanHi: Int32Array;
  ob: Float64Array;
  sw: Float64Array;
}

/** A kernel scratch. */
export const kernelScratch = (): KernelScratch => ({
  spanLo: new Int32Array(3),
  spanHi: new Int32Array(3),
  ob: new Float64Array(4),
  sw: new Float64Array(4),
});

/** Scratch for a grid of `side` rows and columns. */
export const gridScratch = (side: number): GridScratch => ({
  side,
  count: new Int32Array(side),
  occ: new Int32Array(rowWords(side)),
  counts: new Int32Array(side),
  o: new Float64Array(4),
  kernel: kernelScratch(),
});

/** `sc` when it fits a grid of `side`, else a new scratch (a caller without one: tests, one-off calls). */
export const fitGridScratch = (sc: GridScratch | undefined, side: number): GridScratch =>
  sc !== undefined && sc.side === side ? sc : gridScratch(side);
