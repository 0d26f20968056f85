/**
 * The `record` slot: a hook run at the start of every step (first system of the ingest phase,
 * `systems/record-system.ts`). The recorder (recorder.ts) writes the step's frame there; the
 * replayer (replayer.ts) checks the hash and forces the recorded budgets (its recorded facts apply
 * in the ingest system, where the live run applied them). Null (the
 * default) costs one check per step. The ledger also reports each wallet change to the hook
 * ({@link StepHook.walletApplied}) so the recorder can log the ledger's effect on the world.
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
  /**
   * A committed ledger entry was applied to player entity `eid`'s wallet (inside the step, from
   * the `tx` ingest fact being applied; src/ledger/world-ledger.ts): its seq, coin delta, the
   * inventory slot it changed (-1: none) and the quantity. The recorder keeps these in order so a
   * replay reproduces the wallets without a ledger store. Optional: the replayer has none.
   */
  walletApplied?(eid: number, seq: number, coinsDelta: number, slot: number, quantity: number): void;
  /**
   * Durable player id `playerId` was bound to player entity `eid` (inside the step, while the
   * player's join fact applies; src/ledger/world-ledger.ts `bindPlayer`). The recorder keeps it
   * with the join so a replay answers `playerIdOf` / `playerEntityOf` as the live world did.
   */
  playerBound?(eid: number, playerId: string): void;
}

/** The slot recording adds to a world. */
export interface RecordSlot {
  record: StepHook | null;
}

/** A world's record slot: off. */
export const createRecordSlot = (): RecordSlot => ({ record: null });
