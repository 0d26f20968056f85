import { SCENE_JOB, sceneInputOf, sceneJobUser } from '../src/content/scene-job.js';
import { SceneState } from '../components/npc.js';
import type { System } from '../src/core/phases.js';
import type { World } from 'bitecs';
import type { WorldCore } from '../src/core/world-core.js';
import type { ScenesSlot } from '../src/content/scene-job.js';
import type { JobsSlot } from '../src/jobs/job-queue.js';
import type { TiersSlot } from '../src/tiers/tiers-slot.js';

/**
 * Scene requests (behavior phase, after behavior and interactions): for the detailed-tier NPCs
 * selected this step whose scene is `none`, in selection order, submit a `scene` job with
 * `world.jobs.trySubmit`, counted against the NPC's nearest player (`sceneJobUser`) — at most `world.scenes.maxRequestsPerStep` per step. While the job
 * queue is saturated `trySubmit` returns -1: the NPC stays `none` and is asked again on a later
 * tick (counted in `world.scenes.deferred` and the queue's `deferred`); the rest of the step's
 * requests are skipped. Does nothing in a world without scenes (`world.scenes === null`).
 */
export const sceneRequestSystem: System<World<WorldCore & ScenesSlot & JobsSlot & TiersSlot>> = (world) => {
  const scenes = world.scenes;
  if (scenes === null) return;
  const s = world.npcSim;
  const { sceneState } = world.stores.Npc;
  let budget = scenes.maxRequestsPerStep;
  for (let i = 0; i < s.selectedCount && budget > 0; i++) {
    if (s.selectedTier[i] !== 0) continue;
    const e = s.selected[i];
    if (sceneState[e] !== SceneState.none) continue;
    const id = world.jobs.trySubmit(SCENE_JOB, sceneInputOf(world, e, scenes), { user: sceneJobUser(world, e), key: e });
    if (id < 0) {
      scenes.deferred++;
      return;
    }
    sceneState[e] = SceneState.requested;
    scenes.requested++;
    budget--;
  }
};
