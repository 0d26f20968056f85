/** Per-step tier statistics of a world (`world.tierStats`). */

/**
 * Per-step tier statistics, published on `world.tierStats` (read by the controller, admin API
 * and metrics). Indexed by TierCode (detailed 0 … dormant 3). "Last step" fields are rewritten
 * every step; `*Total*` fields only grow.
 */
export interface TierStats {
  /** NPCs in each tier after the last tiering pass (frozen NPCs are not counted in dormant). */
  npcsPerTier: Int32Array;
  /** Dormant-eligible NPCs beyond the dormant cap, not ticked (see docs/TIERS.md). */
  frozen: number;
  /** NPC ticks per tier in the last step. */
  ticksPerTier: Int32Array;
  /** NPC ticks per tier since the world was created. */
  ticksTotalPerTier: Float64Array;
  /** Due NPCs per tier left unticked by the last step's selection (backlog). */
  overduePerTier: Int32Array;
  /** Interaction-chain steps that acted in the last step / since creation. */
  chainsAdvanced: number;
  chainsAdvancedTotal: number;
  /** Intents enqueued in the last step / since creation. */
  intentsEmitted: number;
  intentsEmittedTotal: number;
  /** Wall milliseconds of the last tiering pass (operational figure). */
  lastTieringMs: number;
  /** Tiering passes run since creation. */
  tieringPasses: number;
  /** NPCs whose tier changed in the last tiering pass. */
  lastTierChanges: number;
  /** The effective per-step tick ceiling the last selection used (after controller and floor). */
  lastBudget: number;
  /** Pinned NPCs at the last tiering pass. */
  pinned: number;
  /** NPCs inside at least one tier zone at the last tiering pass. */
  zoned: number;
}

/** Create zeroed tier statistics. */
export const createTierStats = (): TierStats => ({
  npcsPerTier: new Int32Array(4),
  frozen: 0,
  ticksPerTier: new Int32Array(4),
  ticksTotalPerTier: new Float64Array(4),
  overduePerTier: new Int32Array(4),
  chainsAdvanced: 0,
  chainsAdvancedTotal: 0,
  intentsEmitted: 0,
  intentsEmittedTotal: 0,
  lastTieringMs: 0,
  tieringPasses: 0,
  lastTierChanges: 0,
  lastBudget: 0,
  pinned: 0,
  zoned: 0,
});
