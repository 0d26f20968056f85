import { f32, u16 } from './alloc.js';

/**
 * NPC identity: `kind` is an archetype code (content-defined), `homeX/homeY` where its routine
 * is anchored (world units).
 */
export const createNpc = (n: number) => ({ kind: u16(n), homeX: f32(n), homeY: f32(n) });
export type Npc = ReturnType<typeof createNpc>;
