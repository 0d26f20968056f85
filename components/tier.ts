import { f32, f64, i32, u8 } from './alloc.js';

/** Simulation tiers, nearest first. Numeric codes are stable (used on the wire and in stats). */
export const TierCode = { detailed: 0, active: 1, ambient: 2, dormant: 3 } as const;
export type TierName = keyof typeof TierCode;
/** Tier names indexed by code. */
export const TIER_NAMES: readonly TierName[] = ['detailed', 'active', 'ambient', 'dormant'];
export const TIER_COUNT = 4;

/**
 * Tier membership is a store field, not a tag component: changing a component on thousands of
 * NPCs per step costs ~0.5 µs each in bitecs (LIBRARY-FACTS.md). `nextTickAt`/`lastTickedAt`
 * are world seconds. `nearest` is the nearest player entity at the last tiering pass (-1 none
 * within the ambient radius + hysteresis) and `dist` its distance in world units (Infinity when
 * none). `frozen` is 1 for a dormant NPC beyond the dormant tier's cap (not ticked until it
 * rotates back in or a player comes near; see docs/TIERS.md).
 */
export const createTier = (n: number) => ({
  tier: u8(n, TierCode.dormant),
  nextTickAt: f64(n),
  lastTickedAt: f64(n),
  nearest: i32(n, -1),
  dist: f32(n, Infinity),
  frozen: u8(n),
});
export type Tier = ReturnType<typeof createTier>;

/** `TierPin.tier` value of an NPC without a pin. */
export const NO_PIN = 255;

/**
 * A gameplay pin: the NPC's tier is never looser than `tier` (a TierCode, detailed..ambient)
 * until world time `until` (world seconds; Infinity = until unpinned). Used as a bitecs
 * component (present = pinned), so the tiering pass visits only pinned NPCs. `until` is float32
 * (4 B per entity instead of 8: a pin ends within float32 rounding of its time, ~4 ms at 10 world hours). It is held by the
 * world's tier state (`world.npcSim.pin`), not in `world.stores`: pins are few, and worlds
 * without pins keep exactly the state hash they had before pins existed. See docs/TIERS.md.
 */
export const createTierPin = (n: number) => ({
  tier: u8(n, NO_PIN),
  until: f32(n, Infinity),
});
export type TierPin = ReturnType<typeof createTierPin>;
