/**
 * The built-in NPC life simulation as a module a game opts into: tiers by proximity to players,
 * fair per-tier selection, behaviour (activities, needs), interaction chains, NPC intents sent
 * to players as events, and scene generation jobs. It brings the full pipeline of
 * `systems/index.ts` (so a life-sim world steps exactly as the embedded default world always
 * has: same state hashes), populates `setup.npcs` NPCs, and enables scenes when served.
 */
import { enableScenes, type SceneJobOptions } from '../content/scene-job.js';
import { DEFAULT_SYSTEMS } from '../../systems/index.js';
import { populateNpcs } from '../world/populate.js';
import type { GameModule } from './definition.js';

/** Options of {@link lifeSim}. */
export interface LifeSimOptions {
  /** Fraction (0..1) of populated NPCs that wander. Default 0.5. */
  movingFraction?: number;
  /** Top wander speed (world units per simulation second). Default 1.5. */
  maxSpeed?: number;
  /** NPC archetypes (kind codes 0..kinds-1). Default 8. */
  kinds?: number;
  /** Scene generation jobs when a runtime serves the world: options, or false for none. Default on. */
  scenes?: SceneJobOptions | false;
}

/**
 * Names of the life-sim pipeline's systems, in order (anchors for a game's `before` / `after`):
 * ingest, time, tiering, select, behavior, interaction, scene-request, movement, jobs, periodic,
 * replicate, control.
 */
export const LIFE_SIM_SYSTEMS: readonly string[] = DEFAULT_SYSTEMS.map((s) => s.name);

/** The NPC life-simulation module (`defineGame({ modules: [lifeSim()] })`). */
export const lifeSim = (opts: LifeSimOptions = {}): GameModule => ({
  name: 'life-sim',
  pipeline: DEFAULT_SYSTEMS,
  populateInSlices: true, // populateNpcs draws each NPC in turn from the world's seed
  populate: (world, setup) => {
    if (setup.npcs > 0)
      populateNpcs(world, { count: setup.npcs, movingFraction: opts.movingFraction, maxSpeed: opts.maxSpeed, kinds: opts.kinds });
  },
  attach: (world, env) => {
    if (env.scenePool && opts.scenes !== false && world.scenes === null) enableScenes(world, env.scenePool, opts.scenes || {});
  },
});
