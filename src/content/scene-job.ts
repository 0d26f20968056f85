/**
 * The `scene` job: content generation that leaves the step. The scene-request system
 * (systems/scene-request-system.ts) submits one job per detailed-tier NPC without a scene; the
 * handler runs {@link generateScene} on a worker thread ({@link WorkerPool}); `apply`, inside a
 * later jobs phase in job-id order, writes the result into the NPC's components:
 *
 *   Npc.sceneState 0 none ──request──► 1 requested ──apply──► 2 ready (sceneHash, sceneProps)
 *                    ▲ saturated: stays 0, asked again later       └─final failure──► 3 failed
 *
 * A result is applied only if the entity still is the NPC it was asked for (state 1, same kind
 * and home cell): ids are recycled, and a scene depends only on those inputs.
 */
import { entityExists, hasComponent } from 'bitecs';
import { WorkerPool, type WorkerPoolOptions } from '../jobs/worker-pool.js';
import { JOB_QUEUE_DEFAULTS } from '../jobs/job-queue-options.js';
import { optionInvalid } from '../errors.js';
import type { World } from 'bitecs';
import type { CoreWorld, WorldCore } from '../core/world-core.js';
import type { JobsSlot } from '../jobs/job-queue.js';
import { SceneState } from '../../components/npc.js';
import { SCENE_CELL_SIZE, type SceneInput, type SceneResult } from './scene-gen.js';

/** Job type name. */
export const SCENE_JOB = 'scene';
/**
 * Job-queue user of scene jobs not requested on any player's behalf (an NPC detailed by a pin or
 * a tier zone, with no player near): the per-user cap applies to them together.
 */
export const SCENE_JOB_USER = 'scene';

/** Job-queue user of work requested on behalf of player entity `eid`. */
export const playerJobUser = (eid: number): string => `player:${eid}`;

/**
 * Whom a scene job for NPC `e` counts against: its nearest player at the last tiering pass
 * (`Tier.nearest`, the player the NPC is detailed for), else {@link SCENE_JOB_USER}. So each
 * player's scene jobs are capped by `jobs.perUserConcurrency` and the world's by
 * `jobs.perWorldConcurrency` — not all scene jobs of a world by one user's cap.
 */
export const sceneJobUser = (world: CoreWorld, e: number): string => {
  const p = world.stores.Tier.nearest[e];
  return p > 0 && entityExists(world, p) && hasComponent(world, p, world.stores.Player) ? playerJobUser(p) : SCENE_JOB_USER;
};

/** Per-world scene-job settings and counters (`world.scenes`). */
export interface SceneJobs {
  /** Most scene jobs requested per step. */
  maxRequestsPerStep: number;
  /** Height-field side and octaves handed to the generator. */
  size: number;
  octaves: number;
  /** Jobs submitted. */
  requested: number;
  /** Requests deferred because the job queue was saturated (the NPC stays at state 0). */
  deferred: number;
  /** Results written into components. */
  applied: number;
  /** Results dropped because the entity is no longer the NPC they were for. */
  stale: number;
  /** Jobs that failed after their last attempt (state 3). */
  failed: number;
}

/** Options of {@link enableScenes}. */
export interface SceneJobOptions {
  /** Most scene jobs requested per step (1..1000). Default 4. */
  maxRequestsPerStep?: number;
  /** Generator height-field side (8..512). Default 128. */
  size?: number;
  /** Generator octaves (1..8). Default 4. */
  octaves?: number;
  /** Attempt timeout (wall ms) of a scene job. Default: the queue's. */
  timeoutMs?: number;
  /** Attempts per scene job. Default: the queue's. */
  maxAttempts?: number;
}

const SCENE_WORKER = new URL(`./workers/scene-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/**
 * A worker pool running the scene worker (from .ts sources under tsx, or compiled .js). `worlds`: the most worlds
 * sharing it (`--max-worlds`); its default `maxQueue` then holds what their job queues run at once (each at most
 * `perWorldConcurrency`, 8 by default), so only more than a full server's worlds hand it is refused.
 */
export const createScenePool = (
  opts: Omit<WorkerPoolOptions, 'filename'> & { worlds?: number } = {},
): WorkerPool<SceneInput, SceneResult> => {
  const { worlds = 1, ...rest } = opts;
  const maxQueue = Math.max(64, worlds * JOB_QUEUE_DEFAULTS.perWorldConcurrency);
  return new WorkerPool<SceneInput, SceneResult>({ name: 'scene', maxQueue, ...rest, filename: SCENE_WORKER });
};

/** The slot scenes add to a world: null until {@link enableScenes}; the scene-request system then runs. */
export interface ScenesSlot {
  scenes: SceneJobs | null;
}

/** A world's scenes slot (off). */
export const createScenesSlot = (): ScenesSlot => ({ scenes: null });

/** Home cell of a coordinate (world units). */
export const sceneCell = (v: number): number => Math.floor(v / SCENE_CELL_SIZE) | 0;

const inRange = (v: number, min: number, max: number): boolean => Number.isInteger(v) && v >= min && v <= max;

/**
 * Register the `scene` job type on `world.jobs` (handler: `pool.run`) and turn on the
 * scene-request system for this world (`world.scenes`). Throws `WT_ERR_OPTION_INVALID` on bad
 * options and `WT_ERR_JOB_EXISTS` if scenes are already enabled.
 */
export const enableScenes = (
  world: World<WorldCore & JobsSlot & ScenesSlot>,
  pool: WorkerPool<SceneInput, SceneResult>,
  opts: SceneJobOptions = {},
): SceneJobs => {
  const maxRequestsPerStep = opts.maxRequestsPerStep ?? 4;
  const size = opts.size ?? 128;
  const octaves = opts.octaves ?? 4;
  const p: string[] = [];
  if (!inRange(maxRequestsPerStep, 1, 1000)) p.push('maxRequestsPerStep must be an integer in 1..1000');
  if (!inRange(size, 8, 512)) p.push('size must be an integer in 8..512');
  if (!inRange(octaves, 1, 8)) p.push('octaves must be an integer in 1..8');
  if (p.length) throw optionInvalid(p.map((m) => `scenes: ${m}`));
  const scenes: SceneJobs = { maxRequestsPerStep, size, octaves, requested: 0, deferred: 0, applied: 0, stale: 0, failed: 0 };
  world.jobs.register<SceneInput, SceneResult>(SCENE_JOB, {
    handler: (input, ctx) => pool.run(input, { signal: ctx.signal }),
    apply: (w, job, result) => {
      const e = job.key;
      if (!isCurrent(w, e, job.payload)) {
        scenes.stale++;
        return;
      }
      const { Npc } = w.stores;
      Npc.sceneHash[e] = result.hash >>> 0;
      Npc.sceneProps[e] = Math.min(0xffff, result.props | 0);
      Npc.sceneState[e] = SceneState.ready;
      scenes.applied++;
    },
    fail: (w, job) => {
      scenes.failed++;
      if (isCurrent(w, job.key, job.payload)) w.stores.Npc.sceneState[job.key] = SceneState.failed;
    },
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.maxAttempts !== undefined ? { maxAttempts: opts.maxAttempts } : {}),
  });
  world.scenes = scenes;
  return scenes;
};

/** Is entity `e` still the NPC a scene request for `input` was made for (and still waiting)? */
const isCurrent = (world: CoreWorld, e: number, input: SceneInput): boolean => {
  const { Npc } = world.stores;
  return (
    e > 0 &&
    e <= world.capacity &&
    entityExists(world, e) &&
    Npc.sceneState[e] === SceneState.requested &&
    Npc.kind[e] === input.kind &&
    sceneCell(Npc.homeX[e]) === input.cellX &&
    sceneCell(Npc.homeY[e]) === input.cellY
  );
};

/** The generator input for NPC `e` of `world` (what the request system submits). */
export const sceneInputOf = (world: CoreWorld, e: number, scenes: SceneJobs): SceneInput => {
  const { Npc } = world.stores;
  return {
    seed: world.seed,
    kind: Npc.kind[e],
    cellX: sceneCell(Npc.homeX[e]),
    cellY: sceneCell(Npc.homeY[e]),
    size: scenes.size,
    octaves: scenes.octaves,
  };
};
