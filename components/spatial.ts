import { f32 } from './alloc.js';

/** World-space position in world units (x east, y north). */
export const createPosition = (n: number) => ({ x: f32(n), y: f32(n) });
export type Position = ReturnType<typeof createPosition>;

/** Velocity in world units per simulation second (unscaled by timeScale; see docs/ARCHITECTURE.md). */
export const createVelocity = (n: number) => ({ x: f32(n), y: f32(n) });
export type Velocity = ReturnType<typeof createVelocity>;
