import { f64, i16, i32, u8 } from './alloc.js';

/**
 * Interaction-chain state. `chain` is an index into the world's chain table (-1 = none),
 * `step` the current step of it, `waitUntil` the world time the current wait ends,
 * `cooldownUntil` the world time the NPC may start a new interaction, `lastInteractionAt`
 * the world time of its last interaction, `target` the entity it interacts with (-1 = none).
 * All times are world seconds (float64); never wall time.
 */
export const createInteraction = (n: number) => ({
  chain: i16(n, -1),
  step: u8(n),
  waitUntil: f64(n),
  cooldownUntil: f64(n),
  lastInteractionAt: f64(n, -1),
  target: i32(n, -1),
});
export type Interaction = ReturnType<typeof createInteraction>;
