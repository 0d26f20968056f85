/**
 * The header of a world checkpoint (world-snapshot.ts writes it, world-restore.ts reads it): its
 * schema number, its JSON shape and the tiered simulation's scalars it carries.
 */
import type { SchedulerConfig } from '../config/scheduler-config.js';
import type { EntityHeader } from './entity-state.js';
import type { PhysicsCheckpointHeader } from '../physics/physics-checkpoint.js';
import type { SavedTimers } from '../game/timer-state.js';
import type { SavedFactsHeader } from './fact-sections.js';
import type { SavedWorldDataHeader } from './world-data-section.js';

/** Scalars of the tiered simulation state restored as they were. */
export const NPC_SIM_SCALARS = [
  'selectedCount',
  'lastPassStep',
  'lastNpcCount',
  'lastPlayerCount',
  'lastConfigVersion',
  'passPending',
  'pendingScanMs',
  'rotationCursor',
  'rotationNext',
  'rotationPeriod',
] as const;

/**
 * Schema of the world snapshot header and sections (inside container format
 * {@link SNAPSHOT_FORMAT_VERSION}: changes of the schema are additive, so a build reads older
 * checkpoints of its container format; an incompatible change bumps the container format instead).
 * A build refuses a checkpoint of a newer schema or format with `WT_ERR_CHECKPOINT_TOO_NEW` before
 * anything of it is applied: reading only what it knows would silently drop the rest (builds up to
 * schema 5 without this check did read newer ones that way).
 * What each schema added (1 to 8): docs/DURABILITY.md "Format versions". Absent = 1.
 */
export const WORLD_SNAPSHOT_SCHEMA = 8;

/** The JSON header of a world snapshot. */
export interface WorldSnapshotHeader {
  /** {@link WORLD_SNAPSHOT_SCHEMA} of the writer (absent: 1). */
  schema?: number;
  worldId: string;
  capacity: number;
  seed: number;
  size: number;
  clock: { now: number; step: number; paused: boolean; originNow?: number; originStep?: number; originDt?: number };
  counters: { steps: number; droppedSteps: number; droppedSeconds: number; faults: number };
  config: SchedulerConfig;
  configVersion: number;
  entities: EntityHeader;
  npcSim: Record<string, number | boolean>;
  tierStats: Record<string, number | number[]>;
  spatial: { playerCapacity: number; speed: number; margin: number; playerMargin: number; bound: boolean };
  /** The game whose world this is (`defineGame({ name, version })`; absent: no game, or written before it was stored). */
  game?: { name: string; version: number };
  /** Store fields written, as `store.field`. */
  fields: string[];
  /** The game's component fields written (schema 2), as `Component.field`: section `gfield.Component.field`. */
  gameFields?: string[];
  /** The game's timers (schema 3; src/game/timer-state.ts; schema 4: pending ones in `timers.*` sections): absent when the game has none. */
  gameTimers?: SavedTimers;
  /** The game's facts waiting for a step (schema 5; rows of the `facts.*` sections): absent when none wait. */
  gameFacts?: SavedFactsHeader;
  /** The game's world data (schema 8; section `gameData.json`): absent when it is null. */
  gameData?: SavedWorldDataHeader;
  /**
   * A world with physics (src/physics/physics-checkpoint.ts): whether its last step ran with level
   * of detail (the step that turns it off catches lagging NPCs up); sections `physics.*` and `nav.*`
   * hold its bodies' last good positions and its navigation, `config` (schema 7) its physics block. Absent
   * (older checkpoints): the flag is taken as whether the restored world would run with level of detail now.
   */
  physics?: PhysicsCheckpointHeader;
}
