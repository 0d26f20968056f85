import { i16, i32, u32, u8 } from './alloc.js';

/**
 * Interaction-chain state. `chain` is an index into the world's chain table (-1 = none),
 * `step` the current step of it, `waitUntil` the world time the current step acts,
 * `cooldownUntil` the world time the NPC may start any new interaction, `lastInteractionAt`
 * the world time of its last interaction (a chain step that acted; TICK_PAST = never or at least
 * an epoch ago), `target` the entity it interacts with (-1 = none), `cooldown0..3` per-chain
 * cooldowns (world time until which chain slot k may not start again; chain code c uses slot c & 3).
 *
 * All times are world time (never wall time) as Uint32 ticks of 1/256 world second from the
 * world's time base (components/world-time.ts): deadlines round up, the stamp rounds down.
 */
export const createInteraction = (n: number) => ({
  chain: i16(n, -1),
  step: u8(n),
  waitUntil: u32(n),
  cooldownUntil: u32(n),
  lastInteractionAt: u32(n),
  target: i32(n, -1),
  cooldown0: u32(n),
  cooldown1: u32(n),
  cooldown2: u32(n),
  cooldown3: u32(n),
});
export type Interaction = ReturnType<typeof createInteraction>;
