import { f32, u32, u8 } from './alloc.js';

/**
 * What an NPC is doing and how it feels. `activity` is an index into the world's activity table;
 * needs are 0..1. `cooldownActivity` is the last activity that ended (255 = none) and
 * `activityCooldownUntil` the world time until which it may not be chosen again (its
 * `cooldownSeconds`).
 *
 * World times (`activityStartedAt` stamp, `nextDecisionAt` and `activityCooldownUntil` deadlines)
 * are Uint32 ticks of 1/256 world second from the world's time base (components/world-time.ts:
 * `tickTime(world.stores.Time, v)` reads one in world seconds; deadlines round up, stamps down).
 */
export const createBehavior = (n: number) => ({
  activity: u8(n),
  activityStartedAt: u32(n),
  nextDecisionAt: u32(n),
  energy: f32(n, 1),
  hunger: f32(n),
  mood: f32(n, 0.5),
  cooldownActivity: u8(n, 255),
  activityCooldownUntil: u32(n),
});
export type Behavior = ReturnType<typeof createBehavior>;
