/**
 * Engine pipeline types for the game side. The engine types live in the core (src/core/phases.ts,
 * generic over the world type); here `System` / `SystemEntry` are fixed to {@link GameWorld}, the
 * world the default pipeline runs on. Each system in this folder is typed on the slice it reads.
 */
import type { World } from 'bitecs';
import type { System as CoreSystem, SystemEntry as CoreSystemEntry } from '../src/core/phases.js';
import type { WorldCore } from '../src/core/world-core.js';
import type { ScenesSlot } from '../src/content/scene-job.js';
import type { ControllerSlot } from '../src/controller/controller.js';
import type { IngestSlot } from '../src/ingest/ingest-buffers.js';
import type { IntentsSlot } from '../src/intents/intent-queue.js';
import type { JobsSlot } from '../src/jobs/job-queue.js';
import type { LedgerSlot } from '../src/ledger/world-ledger.js';
import type { NetSlot } from '../src/net/world-net.js';
import type { PeriodicSlot } from '../src/periodic/world-periodic.js';
import type { TiersSlot } from '../src/tiers/tiers-slot.js';
import type { GameSlot } from '../src/game/slot.js';
import type { RecordSlot } from '../src/replay/record-slot.js';
import type { PhysicsSlot } from '../src/physics/physics-world.js';

export { PHASES, PHASE_COUNT, PhaseIndex, type PhaseName } from '../src/core/phases.js';
export type { StepContext } from '../src/core/world-core.js';

/** The world the default pipeline runs on: the core and every slot its systems read. */
export type GameWorld = World<
  WorldCore &
    IngestSlot &
    ControllerSlot &
    JobsSlot &
    ScenesSlot &
    PeriodicSlot &
    NetSlot &
    TiersSlot &
    IntentsSlot &
    GameSlot &
    LedgerSlot &
    RecordSlot &
    PhysicsSlot
>;

/** A system of the game pipeline. */
export type System = CoreSystem<GameWorld>;

/** One entry of the game pipeline. */
export type SystemEntry = CoreSystemEntry<GameWorld>;
