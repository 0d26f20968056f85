import type { SimWorld, StepContext } from '../src/world/sim-world.js';

export type { SimWorld, StepContext };

/**
 * Phases of one step, in order (DESIGN.md "The world step"). Each phase's wall cost is measured
 * every step and reported to the controller.
 */
export const PHASES = [
  'ingest',
  'time',
  'tiering',
  'select',
  'behavior',
  'physics',
  'jobs',
  'periodic',
  'replicate',
  'control',
] as const;
export type PhaseName = (typeof PHASES)[number];
export const PHASE_COUNT = PHASES.length;
/** Index of each phase in {@link PHASES} (and in per-phase cost arrays). */
export const PhaseIndex = Object.fromEntries(PHASES.map((p, i) => [p, i])) as { readonly [K in PhaseName]: number };

/** A system: a plain function of (world, step context). Holds no state of its own. */
export type System = (world: SimWorld, ctx: StepContext) => void;

/** One entry of the ordered pipeline declared in `systems/index.ts`. */
export interface SystemEntry {
  readonly name: string;
  readonly phase: PhaseName;
  readonly run: System;
}
