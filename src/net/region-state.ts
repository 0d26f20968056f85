/**
 * The state of the shared region frames of one world (net option `viewMode: 'regions'`): the
 * lattice, the frames encoded this replicate run and the counters. Logic in region-frames.ts; kept
 * apart so the world's net slot (world-net.ts) can name it without an import circle.
 */
import type { ByteWriter } from './snapshot-writer.js';

/** Region frames of one world: the lattice, this run's encoded frames and the counters. */
export interface RegionFrames {
  /** Lattice: origin, cell side (world units), columns and rows over the world's bounds. */
  minX: number;
  minY: number;
  size: number;
  cols: number;
  rows: number;
  /** Interest radius the frames of this run cover (world units: `interestRadius` × the run's radius scale) and the entity cap of one frame. */
  radius: number;
  cap: number;
  /** Replicate run the cached frames below belong to. */
  run: number;
  /** Cell → index of its frame this run (`off`/`len`/`players`), cleared per run. */
  byCell: Map<number, number>;
  /** Frame k: byte offset and length in `frames` (len −1 = dense, −2 = too few players: fall back to exact). */
  off: Int32Array;
  len: Int32Array;
  /** Frame k: its players' positions are `ppos`[2·pStart[k] .. 2·pEnd[k]) (crowd level of a session). */
  pStart: Int32Array;
  pEnd: Int32Array;
  ppos: Float32Array;
  nPlayers: number;
  /** Frames of this run, back to back. */
  frames: ByteWriter;
  /** Scratch: the entity entries and the acks of the frame being built. */
  body: ByteWriter;
  acks: ByteWriter;
  stats: RegionStats;
}

/** Counters of the region mode (cumulative). */
export interface RegionStats {
  /** Region frames sent (one per session-snapshot served by a shared frame). */
  framesSent: number;
  /** Frames encoded (one per cell and run that some session needed). */
  framesEncoded: number;
  /** Session-snapshots that fell back to the exact path because the cell was over the cap. */
  denseFallbacks: number;
  /** Cells found over the cap (per run). */
  denseCells: number;
  /** Session-snapshots that fell back to the exact path because the cell had fewer than `regionMinPlayers` players. */
  sparseFallbacks: number;
}
