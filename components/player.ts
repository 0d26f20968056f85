import { f32, i32, u32 } from './alloc.js';

/**
 * A connected (or parked) player. `session` is the owning session id (-1 when parked),
 * `lastInputSeq` the last input sequence number applied by the step, `interestRadius` the
 * radius (world units) of the player's area of interest.
 */
export const createPlayer = (n: number) => ({
  session: i32(n, -1),
  lastInputSeq: u32(n),
  interestRadius: f32(n),
});
export type Player = ReturnType<typeof createPlayer>;
