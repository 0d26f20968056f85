import { f32, f64, u8 } from './alloc.js';

/**
 * What an NPC is doing and how it feels. Times are world seconds (float64).
 * `activity` is an index into the world's activity table; needs are 0..1.
 * `cooldownActivity` is the last activity that ended (255 = none) and `activityCooldownUntil`
 * the world time until which it may not be chosen again (its `cooldownSeconds`).
 */
export const createBehavior = (n: number) => ({
  activity: u8(n),
  activityStartedAt: f64(n),
  nextDecisionAt: f64(n),
  energy: f32(n, 1),
  hunger: f32(n),
  mood: f32(n, 0.5),
  cooldownActivity: u8(n, 255),
  activityCooldownUntil: f64(n),
});
export type Behavior = ReturnType<typeof createBehavior>;
