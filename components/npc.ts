import { f32, u16, u32, u8 } from './alloc.js';

/** Scene states of an NPC (`Npc.sceneState`); see src/content/scene-job.ts. */
export const SceneState = { none: 0, requested: 1, ready: 2, failed: 3 } as const;

/**
 * NPC identity: `kind` is an archetype code (content-defined), `homeX/homeY` where its routine
 * is anchored (world units). Scene (src/content/scene-job.ts): `sceneState` ({@link SceneState}),
 * and once ready the worker-generated `sceneHash` (uint32) and `sceneProps` (prop count).
 */
export const createNpc = (n: number) => ({
  kind: u16(n),
  homeX: f32(n),
  homeY: f32(n),
  sceneState: u8(n),
  sceneHash: u32(n),
  sceneProps: u16(n),
});
export type Npc = ReturnType<typeof createNpc>;
