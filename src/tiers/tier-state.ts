/**
 * Per-world state of the tiered NPC simulation that is not per-entity component data: the tier
 * member lists built by each tiering pass, the selection of the current step, scratch buffers,
 * the behavior tables and the published per-step statistics (`world.tierStats`).
 */
import { compileActivities, DEFAULT_ACTIVITIES, type ActivityDef, type ActivityTable } from '../behavior/activities.js';
import { compileChains, DEFAULT_CHAINS, type ChainDef, type ChainGrant, type ChainTable } from '../behavior/chains.js';
import { createTierPin, NO_PIN, type TierPin } from '../../components/tier.js';
import { createTierZones, type TierZones } from './tier-zones.js';
import { createDueHeap, dueIndexBytes, type DueIndex } from './due-heap.js';

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

/** Internal state of the tiered simulation (one per world, `world.npcSim`). */
export interface NpcSimState extends DueIndex {
  /** Members of each tier (entity ids), valid `tierCount[t]` entries; rebuilt by tiering passes. */
  tierList: Int32Array[];
  tierCount: Int32Array;
  /** Distances parallel to `tierList` during a tiering pass (detailed, active, ambient: the capped tiers). */
  listKey: Float32Array[];
  /** Scratch of the selection: due NPCs popped from the heaps, per tier (grown on demand). */
  dueScratch: Int32Array;
  /** Scratch of the cap step: histogram, ids and keys. */
  hist: Int32Array;
  tmpKeys: Float32Array;
  /** Scratch of the selection: due NPCs and quotas per tier (this step). */
  dueCount: Int32Array;
  quota: Int32Array;
  /**
   * NPCs selected this step, highest tier first (most overdue first within a tier);
   * `selectedCount` valid; `selectedTier` parallel. (`selected`, `selectedCount` and
   * `selectedPending` come from {@link DueIndex}: the due-time heaps, src/tiers/due-heap.ts.)
   */
  selectedTier: Uint8Array;
  /** Scratch of the tiering pass, per NPC-grid slot: squared distance to and id of the nearest player. */
  best2: Float64Array;
  slotNearest: Int32Array;
  /**
   * Incremental ("near") passes, src/tiers/tier-near.ts: the NPCs looked at by the last pass that
   * are not plain far dormant (`near[0..nearCount)`), valid when `nearBuilt`; candidate scratch;
   * `nearScratchClean`: `best2` is all Infinity and `slotNearest` all -1 (entity-indexed use).
   */
  near: Int32Array;
  nearCount: number;
  nearBuilt: boolean;
  cand: Int32Array;
  /** Grid slots a near pass's scans touched; per entity: 1 while it is a candidate of the running near pass. */
  touched: Int32Array;
  touchedCount: number;
  /** The pending pass (`passPending`) is a near pass (its part 2 is `finishNear`). */
  pendingNear: boolean;
  nearMark: Uint8Array;
  nearScratchClean: boolean;
  /** NPCs with a player within R at the last pass (-1: not known, counted from `Tier.dist`). */
  nearSize: number;
  /** Largest share of NPCs with a player within R for near passes (tier-near.ts `NEAR_MAX_SHARE`). */
  nearMaxShare: number;
  /** Fewest NPCs for near passes (src/tiers/tier-near.ts `NEAR_MIN_NPCS`; tests lower it). */
  nearMinNpcs: number;
  /** Step of the last tiering pass (-1 never), and what it saw (players' positions, counts). */
  lastPassStep: number;
  lastNpcCount: number;
  lastPlayerCount: number;
  lastConfigVersion: number;
  /** The NPC grid was rebuilt for a pass that runs next step. */
  passPending: boolean;
  /** Wall ms of the pending pass's scan part (operational stat). */
  pendingScanMs: number;
  playerX: Float64Array;
  playerY: Float64Array;
  /** Dormant rotation: entity id where the next window of in-rotation dormant NPCs starts. */
  rotationCursor: number;
  /** Where the window after the current one starts (set by each pass). */
  rotationNext: number;
  /** Dormant period index (floor(now / dormant period)) the current window belongs to. */
  rotationPeriod: number;
  activities: ActivityTable;
  chains: ChainTable;
  /** Chain rewards earned this step, for the ledger (bounded by {@link MAX_PENDING_GRANTS}). */
  grants: ChainGrant[];
  /** Grants dropped because the list was full (no ledger draining it). */
  grantsDropped: number;
  /** Gameplay pins (a bitecs component held here; see components/tier.ts `createTierPin`). */
  pin: TierPin;
  /** Tier zones (rbush of rectangles with a minimum tier); see src/tiers/tier-zones.ts. */
  zones: TierZones;
  /** Per entity: the tightest minimum tier (TierCode) from pins and zones this pass; NO_PIN = none. */
  floorTier: Uint8Array;
  /** Entities with a floor this pass (`floorCount` valid), reset at the next pass. */
  floored: Int32Array;
  floorCount: number;
  /** Bumped by every pin / unpin; with `zones.version`, what the last pass saw. */
  pinVersion: number;
  lastFloorsVersion: number;
  /** Earliest world time (seconds) a pin expires; a tiering pass runs then. Infinity = none. */
  nextPinExpiry: number;
}

/** Most chain grants kept between drains. */
export const MAX_PENDING_GRANTS = 4096;

/** Create the simulation state for a world of `capacity` entities with the default behavior tables. */
export const createNpcSimState = (capacity: number): NpcSimState => {
  const n = capacity + 1;
  const chains = compileChains(DEFAULT_CHAINS);
  return {
    tierList: [new Int32Array(n), new Int32Array(n), new Int32Array(n), new Int32Array(n)],
    tierCount: new Int32Array(4),
    listKey: [new Float32Array(n), new Float32Array(n), new Float32Array(n)],
    dueScratch: new Int32Array(1024),
    dueHeap: [createDueHeap(), createDueHeap(), createDueHeap(), createDueHeap()],
    rescheduled: new Int32Array(64),
    rescheduledCount: 0,
    selectedPending: false,
    heapsBuilt: false,
    hist: new Int32Array(1024),
    tmpKeys: new Float32Array(n),
    dueCount: new Int32Array(4),
    quota: new Int32Array(4),
    selected: new Int32Array(n),
    selectedTier: new Uint8Array(n),
    selectedCount: 0,
    best2: new Float64Array(n),
    slotNearest: new Int32Array(n),
    near: new Int32Array(1024),
    nearCount: 0,
    nearBuilt: false,
    cand: new Int32Array(1024),
    touched: new Int32Array(1024),
    touchedCount: 0,
    pendingNear: false,
    nearMark: new Uint8Array(n),
    nearScratchClean: false,
    nearMinNpcs: 20_000,
    nearSize: -1,
    nearMaxShare: 0.25,
    lastPassStep: -1,
    lastNpcCount: -1,
    lastPlayerCount: -1,
    lastConfigVersion: -1,
    passPending: false,
    pendingScanMs: 0,
    playerX: new Float64Array(0),
    playerY: new Float64Array(0),
    rotationCursor: 1,
    rotationNext: 1,
    rotationPeriod: -1,
    activities: compileActivities(DEFAULT_ACTIVITIES, chains.codes),
    chains,
    grants: [],
    grantsDropped: 0,
    pin: createTierPin(n),
    zones: createTierZones(),
    floorTier: new Uint8Array(n).fill(NO_PIN),
    floored: new Int32Array(n),
    floorCount: 0,
    pinVersion: 0,
    lastFloorsVersion: 0,
    nextPinExpiry: Infinity,
  };
};

/**
 * Replace a world's activity and chain definitions (validated together; on error nothing
 * changes). NPCs whose activity or chain code no longer exists are reset at their next tick.
 * Throws `WT_ERR_BEHAVIOR_INVALID` listing every problem.
 */
export const setBehaviorDefinitions = (state: NpcSimState, activities: readonly ActivityDef[], chains: readonly ChainDef[]): void => {
  const c = compileChains(chains);
  const a = compileActivities(activities, c.codes);
  state.chains = c;
  state.activities = a;
};

/** Bytes of the state's typed arrays. */
export const npcSimStateBytes = (s: NpcSimState): number => {
  let b =
    s.hist.byteLength +
    s.tmpKeys.byteLength +
    s.selected.byteLength +
    s.selectedTier.byteLength +
    s.slotNearest.byteLength +
    s.best2.byteLength;
  for (let t = 0; t < 4; t++) b += s.tierList[t].byteLength + (s.listKey[t]?.byteLength ?? 0);
  b += s.dueScratch.byteLength + dueIndexBytes(s) + s.near.byteLength + s.cand.byteLength + s.touched.byteLength + s.nearMark.byteLength;
  b += s.floorTier.byteLength + s.floored.byteLength + s.pin.tier.byteLength + s.pin.until.byteLength;
  return b + s.playerX.byteLength + s.playerY.byteLength;
};
