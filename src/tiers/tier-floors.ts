/**
 * Gameplay control of tiers: pins (an NPC held at a minimum tier for a while, or until unpinned)
 * and tier zones (rectangles with a minimum tier). The original design's tiers are "detailed =
 * critical to the current scene" and "active = relevant to the current session or story arcs";
 * distance to players is only one way to know that, so game code (and operators, through the
 * admin API) can say it directly.
 *
 * Both give a *floor*: the tiering pass computes each NPC's tier by distance (with hysteresis)
 * and takes the tighter of that and its floor. Floored NPCs are kept first when a tier is over
 * its cap, so a pin loses its tier only when more NPCs are floored into a tier than its
 * `maxNpcs` (the cap is a cost bound and always holds). Expiry is in world seconds.
 *
 *   pins ──┐                               floorTier[e] (NO_PIN = none)
 *          ├── collectFloors (each pass) ──► floored[0..floorCount)      ──► assignTiers
 *   zones ─┘   rbush search × grid cells under each zone
 */
import { addComponent, entityExists, hasComponent, query, removeComponent } from 'bitecs';
import { NO_PIN, TIER_NAMES, type TierName } from '../../components/tier.js';
import { ErrorCode, WorldtickError } from '../errors.js';
import type { TiersWorld } from './tiers-slot.js';
import { FLOOR_TIERS, floorTierOf } from './tier-zones.js';
import { growFloored, type NpcSimState } from './tier-state.js';
import { pinnedOf } from './tier-queries.js';

/** A pin as reported. `until` is world seconds (null: until unpinned). */
export interface PinView {
  eid: number;
  /** The minimum tier. */
  tier: TierName;
  until: number | null;
  /** The NPC's tier now (as of the last tiering pass). */
  currentTier: TierName;
  /** World seconds of the NPC's last tick. */
  lastTickedAt: number;
}

/** Longest pin duration (world seconds). */
export const MAX_PIN_SECONDS = 1e9;

const npcNotFound = (eid: unknown): WorldtickError =>
  new WorldtickError(ErrorCode.NPC_NOT_FOUND, `entity ${String(eid).slice(0, 32)} is not a live NPC`, {
    details: { eid: typeof eid === 'number' ? eid : String(eid).slice(0, 32) },
  });

const pinInvalid = (problems: readonly string[]): WorldtickError =>
  new WorldtickError(ErrorCode.TIER_PIN_INVALID, `invalid pin: ${problems.join('; ')}`, { details: { problems: [...problems] } });

/** Throw `WT_ERR_NPC_NOT_FOUND` unless `eid` is a live NPC of `world`. */
export const checkNpc = (world: TiersWorld, eid: unknown): number => {
  const { Npc, Tier } = world.stores;
  if (typeof eid !== 'number' || !Number.isInteger(eid) || eid < 1 || eid > world.capacity || !entityExists(world, eid))
    throw npcNotFound(eid);
  if (!hasComponent(world, eid, Npc) || !hasComponent(world, eid, Tier)) throw npcNotFound(eid);
  return eid;
};

const viewOf = (world: TiersWorld, e: number): PinView => {
  const pin = world.npcSim.pin;
  const until = pin.until[e];
  return {
    eid: e,
    tier: TIER_NAMES[pin.tier[e]],
    until: until === Infinity ? null : until,
    currentTier: TIER_NAMES[world.stores.Tier.tier[e]],
    lastTickedAt: world.stores.Tier.lastTickedAt[e],
  };
};

/**
 * Pin NPC `eid` to minimum tier `tier` (name or TierCode: detailed, active or ambient) for
 * `seconds` world seconds from now (omitted/null: until unpinned). Re-pinning replaces the pin.
 * Takes effect at the next step's tiering pass (a pin change forces one). Throws
 * `WT_ERR_NPC_NOT_FOUND` or `WT_ERR_TIER_PIN_INVALID`; on error nothing changes.
 */
export const pinNpc = (world: TiersWorld, eid: unknown, tier: unknown, seconds?: unknown): PinView => {
  const e = checkNpc(world, eid);
  const problems: string[] = [];
  const t = floorTierOf(tier);
  if (t < 0) problems.push(`tier must be one of ${FLOOR_TIERS.join(', ')}`);
  if (
    seconds !== undefined &&
    seconds !== null &&
    !(typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 && seconds <= MAX_PIN_SECONDS)
  )
    problems.push(`seconds must be a number > 0 and <= ${MAX_PIN_SECONDS} (world seconds), or omitted for a pin until unpinned`);
  if (problems.length) throw pinInvalid(problems);
  const s = world.npcSim;
  s.pin.tier[e] = t;
  s.pin.until[e] = typeof seconds === 'number' ? world.clock.now + seconds : Infinity;
  addComponent(world, e, s.pin);
  s.pinVersion++;
  return viewOf(world, e);
};

/** Remove NPC `eid`'s pin; returns whether it had one. Throws `WT_ERR_NPC_NOT_FOUND`. */
export const unpinNpc = (world: TiersWorld, eid: unknown): boolean => {
  const e = checkNpc(world, eid);
  const s = world.npcSim;
  if (!hasComponent(world, e, s.pin)) return false;
  removeComponent(world, e, s.pin);
  s.pin.tier[e] = NO_PIN;
  s.pin.until[e] = Infinity;
  s.pinVersion++;
  return true;
};

/** NPC `eid`'s pin, or null. Throws `WT_ERR_NPC_NOT_FOUND`. */
export const pinOf = (world: TiersWorld, eid: unknown): PinView | null => {
  const e = checkNpc(world, eid);
  return hasComponent(world, e, world.npcSim.pin) ? viewOf(world, e) : null;
};

/** Every pin, by entity id. Allocates: admin and tests, not the step. */
export const listPins = (world: TiersWorld): PinView[] => {
  const ids = Array.from(query(world, [world.npcSim.pin])).sort((a, b) => a - b);
  return ids.map((e) => viewOf(world, e));
};

/** Has anything changed that the last tiering pass did not see (pin edits, zone edits, an expiry)? */
export const floorsChanged = (world: TiersWorld): boolean => {
  const s = world.npcSim;
  return s.pinVersion + s.zones.version !== s.lastFloorsVersion || world.clock.now >= s.nextPinExpiry;
};

const mark = (s: NpcSimState, n: number, e: number, t: number): number => {
  const floorTier = s.floorTier;
  const cur = floorTier[e];
  if (cur === NO_PIN) {
    floorTier[e] = t;
    growFloored(s, n + 1)[n++] = e;
  } else if (t < cur) floorTier[e] = t;
  return n;
};

/**
 * Tiering pass, floors: clear the last pass's floors, drop expired pins, then set
 * `npcSim.floorTier` for pinned NPCs and for NPCs of the NPC grid inside a zone (positions as of
 * the grid rebuild). Costs nothing beyond two checks in a world without pins or zones.
 */
export const collectFloors = (world: TiersWorld): void => {
  const s = world.npcSim;
  const { floorTier, floored } = s;
  for (let i = 0; i < s.floorCount; i++) floorTier[floored[i]] = NO_PIN;
  let n = 0;
  const st = world.tierStats;
  const pin = s.pin;
  let pinnedCount = 0;
  let next = Infinity;
  const pinned = pinnedOf(world);
  if (pinned.length > 0) {
    const now = world.clock.now;
    let expired: number[] | null = null;
    for (let i = 0; i < pinned.length; i++) {
      const e = pinned[i];
      const until = pin.until[e];
      if (until <= now) (expired ??= []).push(e);
      else {
        n = mark(s, n, e, pin.tier[e]);
        pinnedCount++;
        if (until < next) next = until;
      }
    }
    // Structural changes after the loop: bitecs swap-removes from the live query array.
    if (expired)
      for (const e of expired) {
        removeComponent(world, e, pin);
        pin.tier[e] = NO_PIN;
        pin.until[e] = Infinity;
      }
  }
  const nPinned = n;
  const zones = s.zones;
  if (zones.byId.size > 0) {
    const g = world.spatial.npcGrid;
    const { cols, rows, minX, minY, inv, cellStart, items, itemX, itemY } = g;
    for (const z of zones.byId.values()) z.npcs = 0;
    const hits = zones.tree.search({ minX, minY, maxX: minX + cols / inv, maxY: minY + rows / inv });
    for (let h = 0; h < hits.length; h++) {
      const z = hits[h];
      let cx0 = Math.floor((z.minX - minX) * inv),
        cx1 = Math.floor((z.maxX - minX) * inv);
      let cy0 = Math.floor((z.minY - minY) * inv),
        cy1 = Math.floor((z.maxY - minY) * inv);
      if (cx0 < 0) cx0 = 0;
      if (cy0 < 0) cy0 = 0;
      if (cx1 >= cols) cx1 = cols - 1;
      if (cy1 >= rows) cy1 = rows - 1;
      let count = 0;
      for (let cy = cy0; cy <= cy1; cy++) {
        for (let j = cellStart[cy * cols + cx0], end = cellStart[cy * cols + cx1 + 1]; j < end; j++) {
          const x = itemX[j],
            y = itemY[j];
          if (x < z.minX || x > z.maxX || y < z.minY || y > z.maxY) continue;
          n = mark(s, n, items[j], z.tier);
          count++;
        }
      }
      z.npcs = count;
    }
  }
  s.floorCount = n;
  s.nextPinExpiry = next;
  s.lastFloorsVersion = s.pinVersion + zones.version;
  st.pinned = pinnedCount;
  st.zoned = n - nPinned;
};

/**
 * Move the floored entries of `list[0..n)` (with parallel `keys`) to the front (a swap
 * partition: O(n), deterministic), and clamp their keys into [0, maxKey] (a pinned NPC far from every player has
 * an infinite distance). Returns how many were floored. Used by the tier caps.
 */
export const floorFirst = (list: Int32Array, keys: Float32Array, n: number, floorTier: Uint8Array, maxKey: number): number => {
  let f = 0;
  for (let j = 0; j < n; j++) {
    const e = list[j];
    if (floorTier[e] === NO_PIN) continue;
    const k = keys[j] < maxKey ? keys[j] : maxKey;
    list[j] = list[f];
    keys[j] = keys[f];
    list[f] = e;
    keys[f++] = k;
  }
  return f;
};
