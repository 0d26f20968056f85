/**
 * Engine pipeline types: the phases of one step, and the system entry. Generic over the world
 * type: a system is typed on the slice of the world it reads (`System<World<WorldCore & TiersSlot>>`),
 * and the assembled world (src/world/sim-world.ts) satisfies every slice.
 */
import type { StepContext } from './step-context.js';

/**
 * Phases of one step, in order (DESIGN.md "The world step"). Each phase's wall cost is measured
 * every step and reported to the controller.
 */
export const PHASES = ['ingest', 'time', 'tiering', 'select', 'behavior', 'physics', 'jobs', 'periodic', 'replicate', 'control'] as const;
export type PhaseName = (typeof PHASES)[number];
export const PHASE_COUNT = PHASES.length;
/** Index of each phase in {@link PHASES} (and in per-phase cost arrays). */
export const PhaseIndex = Object.fromEntries(PHASES.map((p, i) => [p, i])) as { readonly [K in PhaseName]: number };

/**
 * The index of `phase` when it is one of {@link PHASES}, else undefined — for a value from a game's code (a
 * JavaScript caller may pass anything): `PhaseIndex[x]` answered an inherited property for `'constructor'` or
 * `'toString'`, and threw a TypeError for an object whose `toString` is not a function.
 */
export const phaseIndexOf = (phase: unknown): number | undefined =>
  typeof phase === 'string' && Object.hasOwn(PhaseIndex, phase) ? PhaseIndex[phase as PhaseName] : undefined;

/** A system: a plain function of (world, step context). Holds no state of its own. */
export type System<W> = (world: W, ctx: StepContext) => void;

/** One entry of the ordered pipeline declared in `systems/index.ts`. */
export interface SystemEntry<W> {
  readonly name: string;
  readonly phase: PhaseName;
  readonly run: System<W>;
}
