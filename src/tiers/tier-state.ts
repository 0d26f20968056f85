/**
 * Per-world state of the tiered NPC simulation that is not per-entity component data: the tier
 * member lists built by each tiering pass, the selection of the current step, scratch buffers,
 * the behavior tables and the published per-step statistics (`world.tierStats`).
 */
import { compileActivities, DEFAULT_ACTIVITIES, type ActivityDef, type ActivityTable } from '../behavior/activities.js';
import { compileChains, DEFAULT_CHAINS, type ChainDef, type ChainGrant, type ChainTable } from '../behavior/chains.js';
import { createTierPin, NO_PIN, type TierPin } from '../../components/tier.js';
import { createTierZones, type TierZones } from './tier-zones.js';
import { createTierQueries, type TierQueries } from './tier-queries.js';
import { createDueHeap, dueIndexBytes, type DueIndex } from './due-heap.js';
import { createNpcNearestScratch, NPC_NEAREST_MIN_LAMBDA, npcNearestBytes, type NpcNearestScratch } from './npc-nearest-scratch.js';

/** Internal state of the tiered simulation (one per world, `world.npcSim`). */
export interface NpcSimState extends DueIndex {
  /** The live entity lists tier code reads every step, resolved once (src/tiers/tier-queries.ts). */
  queries: TierQueries;
  /**
   * Members of each tier (entity ids), valid `tierCount[t]` entries; rebuilt by tiering passes.
   * The dormant list holds every NPC; the other three start small and grow on demand
   * ({@link growTierList}): after caps they hold at most the tier's `maxNpcs`.
   */
  tierList: Int32Array[];
  tierCount: Int32Array;
  /** Distances parallel to `tierList` during a tiering pass (detailed, active, ambient: the capped tiers), grown with them. */
  listKey: Float32Array[];
  /** Scratch of the selection: due NPCs popped from the heaps, per tier (grown on demand). */
  dueScratch: Int32Array;
  /** Scratch of the cap step: histogram, ids and keys (`tmpKeys` grown to the largest capped list). */
  hist: Int32Array;
  tmpKeys: Float32Array;
  /** Scratch of the selection: due NPCs and quotas per tier (this step). */
  dueCount: Int32Array;
  quota: Int32Array;
  /**
   * NPCs selected this step, highest tier first (most overdue first within a tier);
   * `selectedCount` valid; `selectedTier` parallel (both grown on demand: {@link growSelected}; the
   * tier caps borrow `selected` as scratch). (`selected`, `selectedCount` and
   * `selectedPending` come from {@link DueIndex}: the due-time heaps, src/tiers/due-heap.ts.)
   */
  selectedTier: Uint8Array;
  /**
   * Scratch of the tiering pass, per NPC-grid slot: squared distance to and id of the nearest
   * player (float32: distances are compared, never accumulated; the dormant cap's rotation keys,
   * integers < 2^24, are exact).
   */
  best2: Float32Array;
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
  /** Candidates placed so far by the running near pass (`cand[0..candCount)`). */
  candCount: number;
  /** The next near set being built (`near[0..nearNext)`) and its NPCs with a finite distance. */
  nearNext: number;
  nearFinite: number;
  /**
   * The near pass spread over steps (src/tiers/near-slices.ts): phase (0 none running), cursor
   * within the phase, and how many steps each sliced phase takes (scan players, place
   * candidates, build the next near set). Wall ms spent so far (operational stat).
   */
  nearPhase: number;
  nearCursor: number;
  /** The players a sliced pass scans (`scanList[0..nearTotal)` during its scan phase), taken at its start. */
  scanList: Int32Array;
  nearTotal: number;
  nearPassMs: number;
  nearScanParts: number;
  /**
   * Candidate checks a scan slice aims at (src/tiers/near-slices.ts `scanParts`: dense discs take
   * up to 2 × `nearScanParts` steps) and tier-list entries from which the caps take two steps
   * (`NEAR_SCAN_CHECKS_PER_SLICE`, `NEAR_CAPS_SPLIT_MIN` by default; tests lower them).
   */
  nearScanChecks: number;
  /**
   * Fewest expected players per NPC disc (radius R) for NPC-centric nearest-player search
   * (src/tiers/npc-nearest.ts `NPC_NEAREST_MIN_LAMBDA`; +Infinity: always player-centric, 0: always NPC-centric).
   */
  npcNearestMinLambda: number;
  /** Scratch of the NPC-centric search (player grid, candidates). */
  nearestScratch: NpcNearestScratch;
  nearCapsSplitMin: number;
  nearPlaceParts: number;
  nearNextParts: number;
  /**
   * Coarse movement (src/tiers/coarse-movement.ts): per entity, the step stamp ((clock step + 1)
   * mod 2^16: lags are at most a few dozen steps) through which it was integrated; the NPCs of tiers 0..2 at the last commit
   * (`upper[0..upperCount)`); the rotating slice's cursor; steps between two moves of a dormant
   * NPC; fewest NPCs for coarse movement (below it every NPC moves every step).
   */
  movedStep: Uint16Array;
  upper: Int32Array;
  upperCount: number;
  /** Scratch of the upper list's radix sort (`upperTmp` as long as `upper`, `radixCount` 2048 digits). */
  upperTmp: Int32Array;
  radixCount: Int32Array;
  moveCursor: number;
  dormantMoveSteps: number;
  coarseMoveMinNpcs: number;
  /** Slices of an NPC grid rebuild, a third per sliced phase (src/tiers/grid-build.ts: count, scatter, finish; + 1 for the row starts). */
  gridBuildParts: number;
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
  /** Entities with a floor this pass (`floorCount` valid; grown on demand), reset at the next pass. */
  floored: Int32Array;
  floorCount: number;
  /** Bumped by every pin / unpin; with `zones.version`, what the last pass saw. */
  pinVersion: number;
  lastFloorsVersion: number;
  /** Earliest world time (seconds) a pin expires; a tiering pass runs then. Infinity = none. */
  nextPinExpiry: number;
}

/** Initial length of the arrays that grow on demand (tier lists 0..2, their keys, floors, upper). */
const SMALL = 1024;

/** Default `npcSim.dormantMoveSteps`: steps between two moves of a dormant NPC (src/tiers/coarse-movement.ts). */
export const DORMANT_MOVE_STEPS = 20;

/** Default `npcSim.coarseMoveMinNpcs`: below it every NPC is integrated every step. */
export const COARSE_MOVE_MIN_NPCS = 20_000;

/** Default `npcSim.gridBuildParts`. */
export const GRID_BUILD_PARTS = 120;

/** Default steps of a near pass's player scans, candidate placement and next-near-set build. */
export const NEAR_SCAN_PARTS = 7;
export const NEAR_PLACE_PARTS = 5;

/**
 * Candidate checks (an NPC-grid slot within R + margin of a scanned player: a position read by id
 * and a distance) one near-pass scan slice aims at: ≈ 1.5–2 ms on the bench machine (≈ 20–25 ns a
 * check, mostly the cache miss of the position read). Where the players' discs hold many NPCs the
 * scans take more steps than `nearScanParts` (src/tiers/near-slices.ts `scanParts`).
 */
export const NEAR_SCAN_CHECKS_PER_SLICE = 75_000;

/**
 * Entries in the tier lists 0..2 from which a sliced near pass caps tiers 0–1 and tier 2 in two
 * steps (the caps walk each list about three times: at 100k NPCs + 1k players the lists hold ≈ 100k
 * entries, ≈ 3.5–5 ms in one step; tiers 0–1 and tier 2 are then about half each).
 */
export const NEAR_CAPS_SPLIT_MIN = 50_000;
export const NEAR_NEXT_PARTS = 3;

const growLen = (len: number, need: number): number => Math.max(need, Math.ceil(len * 1.5), SMALL);

/** Make `tierList[t]` (and `listKey[t]` for t < 3) hold at least `need` entries, keeping their content. */
export const growTierList = (s: NpcSimState, t: number, need: number): void => {
  const l = s.tierList[t];
  if (l !== undefined && l.length < need) {
    const b = new Int32Array(growLen(l.length, need));
    b.set(l);
    s.tierList[t] = b;
  }
  const k = s.listKey[t];
  if (k !== undefined && k.length < need) {
    const b = new Float32Array(growLen(k.length, need));
    b.set(k);
    s.listKey[t] = b;
  }
};

/** Make `selected` and `selectedTier` hold at least `need` entries, keeping their content. */
export const growSelected = (s: NpcSimState, need: number): void => {
  if (s.selected.length >= need) return;
  const len = growLen(s.selected.length, need);
  const a = new Int32Array(len),
    b = new Uint8Array(len);
  a.set(s.selected);
  b.set(s.selectedTier);
  s.selected = a;
  s.selectedTier = b;
};

/** `a` if it holds `need` entries, else a longer copy of it (the tier state's growable id lists). */
export const growInt32 = (a: Int32Array, need: number): Int32Array => {
  if (need <= a.length) return a;
  const b = new Int32Array(growLen(a.length, need));
  b.set(a);
  return b;
};

/** Make `floored` hold at least `need` entries, keeping its content. */
export const growFloored = (s: NpcSimState, need: number): Int32Array => {
  s.floored = growInt32(s.floored, need);
  return s.floored;
};

/** Make `tmpKeys` hold at least `need` entries (scratch: content not kept). */
export const growTmpKeys = (s: NpcSimState, need: number): Float32Array => {
  if (s.tmpKeys.length < need) s.tmpKeys = new Float32Array(growLen(s.tmpKeys.length, need));
  return s.tmpKeys;
};

/** Most chain grants kept between drains. */
export const MAX_PENDING_GRANTS = 4096;

/** Create the simulation state for a world of `capacity` entities with the default behavior tables. */
export const createNpcSimState = (capacity: number): NpcSimState => {
  const n = capacity + 1;
  const chains = compileChains(DEFAULT_CHAINS);
  return {
    queries: createTierQueries(),
    tierList: [new Int32Array(SMALL), new Int32Array(SMALL), new Int32Array(SMALL), new Int32Array(n)],
    tierCount: new Int32Array(4),
    listKey: [new Float32Array(SMALL), new Float32Array(SMALL), new Float32Array(SMALL)],
    dueScratch: new Int32Array(1024),
    dueHeap: [createDueHeap(), createDueHeap(), createDueHeap(), createDueHeap()],
    rescheduled: new Int32Array(64),
    rescheduledCount: 0,
    selectedPending: false,
    heapsBuilt: false,
    dueMark: new Uint8Array(n),
    dueStack: new Int32Array(64),
    duePopped: new Uint8Array(4),
    hist: new Int32Array(1024),
    tmpKeys: new Float32Array(SMALL),
    dueCount: new Int32Array(4),
    quota: new Int32Array(4),
    selected: new Int32Array(SMALL),
    selectedTier: new Uint8Array(SMALL),
    selectedCount: 0,
    best2: new Float32Array(n),
    slotNearest: new Int32Array(n),
    near: new Int32Array(1024),
    nearCount: 0,
    nearBuilt: false,
    cand: new Int32Array(1024),
    candCount: 0,
    nearNext: 0,
    nearFinite: 0,
    nearPhase: 0,
    nearCursor: 0,
    scanList: new Int32Array(64),
    nearTotal: 0,
    nearPassMs: 0,
    nearScanParts: NEAR_SCAN_PARTS,
    nearScanChecks: NEAR_SCAN_CHECKS_PER_SLICE,
    npcNearestMinLambda: NPC_NEAREST_MIN_LAMBDA,
    nearestScratch: createNpcNearestScratch(),
    nearCapsSplitMin: NEAR_CAPS_SPLIT_MIN,
    nearPlaceParts: NEAR_PLACE_PARTS,
    nearNextParts: NEAR_NEXT_PARTS,
    movedStep: new Uint16Array(n),
    upper: new Int32Array(SMALL),
    upperCount: 0,
    upperTmp: new Int32Array(SMALL),
    radixCount: new Int32Array(2048),
    moveCursor: 0,
    dormantMoveSteps: DORMANT_MOVE_STEPS,
    coarseMoveMinNpcs: COARSE_MOVE_MIN_NPCS,
    gridBuildParts: GRID_BUILD_PARTS,
    touched: new Int32Array(1024),
    touchedCount: 0,
    pendingNear: false,
    nearMark: new Uint8Array(n),
    nearScratchClean: false,
    nearMinNpcs: 20_000,
    nearSize: -1,
    nearMaxShare: 1, // tier-near.ts NEAR_MAX_SHARE (not imported: tier-near imports this module)
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
    floored: new Int32Array(SMALL),
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
  b += s.movedStep.byteLength + s.upper.byteLength + s.upperTmp.byteLength + s.radixCount.byteLength;
  return b + s.playerX.byteLength + s.playerY.byteLength + npcNearestBytes(s.nearestScratch);
};
