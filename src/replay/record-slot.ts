/**
 * The `record` slot: a hook run at the start of every step (first system of the ingest phase,
 * `systems/record-system.ts`). The recorder (recorder.ts) writes the step's frame there; the
 * replayer (replayer.ts) forces the recorded budgets and applies the recorded facts. Null (the
 * default) costs one check per step.
 */
import type { World } from 'bitecs';
import type { StepContext } from '../core/step-context.js';
import type { WorldCore } from '../core/world-core.js';
import type { IngestSlot } from '../ingest/ingest-buffers.js';

/** What the step-start hook may touch: the core and the ingest buffers. */
export type RecordWorld = World<WorldCore & IngestSlot & RecordSlot>;

/** A step-start hook (recorder or replayer). */
export interface StepHook {
  stepStart(world: RecordWorld, ctx: StepContext): void;
}

/** The slot recording adds to a world. */
export interface RecordSlot {
  record: StepHook | null;
}

/** A world's record slot: off. */
export const createRecordSlot = (): RecordSlot => ({ record: null });
