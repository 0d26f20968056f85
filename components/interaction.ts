import { i16, i32, u32, u8 } from './alloc.js';

/**
 * Interaction-chain state every NPC has. `chain` is an index into the world's chain table
 * (-1 = none), `step` the current step of it, `target` the entity it interacts with (-1 = none),
 * `lastInteractionAt` the world time of its last interaction (a chain step that acted; a
 * world-time tick, components/world-time.ts; TICK_PAST = never or at least an epoch ago), and
 * `timerRow` its row in the chain-timer table (0 = none): the current step's wait, the gap after
 * any chain and the per-chain cooldowns live there (components/chain-timers.ts), because only
 * NPCs that interact need them. All times are world time, never wall time.
 */
export const createInteraction = (n: number) => ({
  chain: i16(n, -1),
  step: u8(n),
  target: i32(n, -1),
  lastInteractionAt: u32(n),
  timerRow: u32(n),
});
export type Interaction = ReturnType<typeof createInteraction>;
