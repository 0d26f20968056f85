/**
 * The ordered system pipeline: the one place that declares what runs in a step and in which
 * order. Entries must be in phase order (checked when a world is created).
 */
import { controlSystem } from './control-system.js';
import { crowdMovementSystem } from './crowd-movement-system.js';
import { ingestSystem } from './ingest-system.js';
import { recordSystem } from './record-system.js';
import { jobsSystem } from './jobs-system.js';
import { chainRewardSystem } from './chain-reward-system.js';
import { movementSystem } from './movement-system.js';
import { periodicSystem } from './periodic-system.js';
import { replicateSystem } from './replicate-system.js';
import { timeSystem } from './time-system.js';
import { tieringSystem } from './tiering-system.js';
import { selectSystem } from './select-system.js';
import { behaviorSystem } from './behavior-system.js';
import { interactionSystem } from './interaction-system.js';
import { sceneRequestSystem } from './scene-request-system.js';
import type { SystemEntry } from './types.js';

export * from './types.js';

export const DEFAULT_SYSTEMS: readonly SystemEntry[] = [
  { name: 'record', phase: 'ingest', run: recordSystem },
  { name: 'ingest', phase: 'ingest', run: ingestSystem },
  { name: 'time', phase: 'time', run: timeSystem },
  { name: 'tiering', phase: 'tiering', run: tieringSystem },
  { name: 'select', phase: 'select', run: selectSystem },
  { name: 'behavior', phase: 'behavior', run: behaviorSystem },
  { name: 'interaction', phase: 'behavior', run: interactionSystem },
  { name: 'scene-request', phase: 'behavior', run: sceneRequestSystem },
  { name: 'movement', phase: 'physics', run: movementSystem },
  { name: 'jobs', phase: 'jobs', run: jobsSystem },
  { name: 'chain-rewards', phase: 'jobs', run: chainRewardSystem },
  { name: 'periodic', phase: 'periodic', run: periodicSystem },
  { name: 'replicate', phase: 'replicate', run: replicateSystem },
  { name: 'control', phase: 'control', run: controlSystem },
];

/**
 * The crowd scenario's pipeline (src/scenarios/crowd.ts, docs/SCENARIOS.md): no tiers, no
 * behaviour — it measures replication.
 */
export const CROWD_SYSTEMS: readonly SystemEntry[] = [
  { name: 'ingest', phase: 'ingest', run: ingestSystem },
  { name: 'time', phase: 'time', run: timeSystem },
  { name: 'crowd-movement', phase: 'physics', run: crowdMovementSystem },
  { name: 'replicate', phase: 'replicate', run: replicateSystem },
  { name: 'control', phase: 'control', run: controlSystem },
];
