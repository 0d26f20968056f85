import { f64, i16, i32, u8 } from './alloc.js';

/**
 * Interaction-chain state. `chain` is an index into the world's chain table (-1 = none),
 * `step` the current step of it, `waitUntil` the world time the current step acts,
 * `cooldownUntil` the world time the NPC may start any new interaction, `lastInteractionAt`
 * the world time of its last interaction (a chain step that acted), `target` the entity it
 * interacts with (-1 = none), `cooldown0..3` per-chain cooldowns (world time until which chain
 * slot k may not start again; chain code c uses slot c & 3). All times are world seconds
 * (float64); never wall time.
 */
export const createInteraction = (n: number) => ({
  chain: i16(n, -1),
  step: u8(n),
  waitUntil: f64(n),
  cooldownUntil: f64(n),
  lastInteractionAt: f64(n, -1),
  target: i32(n, -1),
  cooldown0: f64(n),
  cooldown1: f64(n),
  cooldown2: f64(n),
  cooldown3: f64(n),
});
export type Interaction = ReturnType<typeof createInteraction>;
