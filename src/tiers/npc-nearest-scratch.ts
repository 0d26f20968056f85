/**
 * Constants and scratch of the NPC-centric nearest-player search (src/tiers/npc-nearest.ts), apart
 * from it so the tier state (src/tiers/tier-state.ts) can hold them without an import circle.
 */

/** Default `npcSim.npcNearestMinLambda`: expected players per NPC disc from which NPCs search. */
export const NPC_NEAREST_MIN_LAMBDA = 32;

/** Scratch of the NPC-centric search, grown on demand (one per world, `world.npcSim.nearestScratch`). */
export interface NpcNearestScratch {
  /** Cell starts (cols × rows + 1) and the players sorted by cell: rank (query order) and position. */
  cellStart: Int32Array;
  rank: Int32Array;
  x: Float64Array;
  y: Float64Array;
  /** Per sorted player: the squared distance it counts as at least (a spectator's floor, else 0). */
  f2: Float64Array;
  /** Per player: its cell (counting sort scratch). */
  cellOf: Int32Array;
  /** Players per coarse cell (side R): an NPC whose 3 × 3 coarse cells hold none has no player within R. */
  coarse: Int32Array;
  /** Candidates of one NPC's search: rank and squared distance. */
  candRank: Int32Array;
  candD2: Float64Array;
}

/** Empty scratch. */
export const createNpcNearestScratch = (): NpcNearestScratch => ({
  cellStart: new Int32Array(2),
  rank: new Int32Array(16),
  x: new Float64Array(16),
  y: new Float64Array(16),
  f2: new Float64Array(16),
  cellOf: new Int32Array(16),
  coarse: new Int32Array(1),
  candRank: new Int32Array(16),
  candD2: new Float64Array(16),
});

/** Bytes held by the scratch. */
export const npcNearestBytes = (s: NpcNearestScratch): number =>
  s.cellStart.byteLength +
  s.rank.byteLength +
  s.x.byteLength +
  s.y.byteLength +
  s.f2.byteLength +
  s.cellOf.byteLength +
  s.coarse.byteLength;
