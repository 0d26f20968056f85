/**
 * Replay an input log (log-format.ts): rebuild the world from its recipe (seed, options) — or,
 * when the log names a starting checkpoint (start-checkpoint.ts), restore it from that — then
 * step it once per recorded frame with what the live run saw — config changes, job
 * settlements and player bindings made between steps, before the step, the controller's budgets forced at step start, the recorded
 * facts applied in the ingest phase (game facts included: `deliverToWorld` queues nothing in a
 * replay; player bindings re-made from the log, replay-players.ts), the recorded job starts in the
 * jobs phase (jobs never run: their recorded outcomes are injected) — and compare the state hash
 * at every recorded point.
 * The controller runs as live (its budgets are overridden by the recorded ones each step).
 */
import { hashWorldState } from '../game/hash.js';
import type { GameDefinition } from '../game/definition.js';
import { attachGameWorld, createGameWorld, installGame } from '../game/world.js';
import { ErrorCode, isWorldtickError, WorldtickError } from '../errors.js';
import type { StepContext } from '../core/step-context.js';
import { runStep } from '../core/step.js';
import { createScenePool, enableScenes } from '../content/scene-job.js';
import { defineInputIngest } from '../net/input.js';
import { defineSessionIngest, SESSION_INGEST_TYPE, type SessionFact } from '../net/player-facts.js';
import { populateNpcs } from '../world/populate.js';
import { ingestSystem } from '../../systems/ingest-system.js';
import { restoreWorld } from '../persist/world-snapshot.js';
import { createSimWorld, resolvePhysicsOption, updateWorldConfig, type CreateWorldOptions, type SimWorld } from '../world/sim-world.js';
import { recordedPhysics } from './log-checks.js';
import { shown } from '../core/shown.js';
import { defineReplayedLedger } from './replay-ledger.js';
import { BUDGET_KEYS, type ReadLog, type StepFrame, type WorldRecipe } from './log-format.js';
import type { RecordWorld, StepHook } from './record-slot.js';
import { bindReplayed, createPlayerBindings, isPlayerList, PLAYER_BIND_FACT, releaseReplayed } from './replay-players.js';
import { loadStartCheckpoint } from './start-checkpoint.js';
import type { PlayerBindings } from '../game/slot.js';

/** One compared hash. */
export interface HashCheck {
  step: number;
  want: string;
  got: string;
  ok: boolean;
}

/** Outcome of a replay. */
export interface ReplayResult {
  steps: number;
  checks: HashCheck[];
  /** First mismatch or divergence (a recorded job not running, frames out of step), or null. */
  failure: string | null;
  /** Steps whose system failed in the replay (a faulted step is replayed as such). */
  faults: string[];
}

/**
 * The recorded world built from its recipe (seed, NPCs). A recipe the world's creation refuses
 * (an id, capacity, size or seed out of range) is a bad log: `WT_ERR_REPLAY_LOG_INVALID` with the refusal.
 */
const worldFromSeed = (recipe: WorldRecipe, physics: CreateWorldOptions['physics'], game?: GameDefinition): SimWorld => {
  try {
    if (game) {
      const { id, capacity, seed, size, config, npcs } = recipe;
      return createGameWorld(game, { id, capacity, seed, size, config, npcs, physics });
    }
    const world = createSimWorld({
      id: recipe.id,
      capacity: recipe.capacity,
      seed: recipe.seed,
      size: recipe.size,
      config: recipe.config,
      physics,
    });
    populateNpcs(world, { count: recipe.npcs });
    return world;
  } catch (err) {
    if (!isWorldtickError(err)) throw err;
    throw new WorldtickError(ErrorCode.REPLAY_LOG_INVALID, `the log's recipe cannot build its world: ${err.code}: ${err.message}`);
  }
};

/**
 * Rebuild the recorded world (physics inline: results are identical with any shard count): from
 * the recipe (seed), or restored from `start` (the log's starting checkpoint bytes). Throws
 * `WT_ERR_CHECKPOINT_CORRUPT` when the checkpoint cannot be read, `WT_ERR_REPLAY_LOG_INVALID` when
 * the recipe cannot build a world.
 */
export const buildRecordedWorld = async (
  recipe: WorldRecipe,
  start?: Uint8Array,
  game?: GameDefinition,
): Promise<{ world: SimWorld; close: () => Promise<void> }> => {
  const physics = recipe.physics ? resolvePhysicsOption({ ...recordedPhysics(recipe.physics), resolved: true }) : false;
  let world: SimWorld;
  if (start)
    world = await restoreWorld(start, { physics, ...(game ? { systems: game.pipeline, install: (w) => installGame(game, w) } : {}) });
  else world = worldFromSeed(recipe, physics, game);
  let close = async (): Promise<void> => {};
  if (recipe.scenes || game) {
    // The pool is never used (replayed jobs do not run); its threads start on first use only.
    const pool = createScenePool({ maxThreads: 1 });
    // A game's modules attach as in the runtime (the life-sim module enables scenes); the built-in world gets scenes.
    if (game) attachGameWorld(game, world, { scenePool: pool });
    else enableScenes(world, pool);
    close = () => pool.stop();
  }
  if (recipe.inputMaxSpeed !== null) {
    defineInputIngest(world, recipe.inputMaxSpeed);
    defineSessionIngest(world);
  }
  // No ledger (no store): recorded `tx` facts carry the wallet changes the live ledger applied.
  defineReplayedLedger(world);
  // A game world is a replay: its player bindings come from the log, deliverToWorld queues nothing (the log holds the facts).
  if (world.game) world.game.replay = createPlayerBindings();
  world.jobs.replaying = true;
  return { world, close };
};

/**
 * A join/leave fact rebuilt from its recorded part. A join that bound a durable player id live
 * (`pid`) binds it as it applies (before the game's onPlayerJoined, as the ledger did); one that
 * evicted a parked player live (`evict`) evicts it again; other callbacks are no-ops.
 */
const sessionFactOf = (r: Record<string, unknown>, players: PlayerBindings | null): SessionFact => {
  const n = (k: string): number => (typeof r[k] === 'number' ? (r[k] as number) : -1);
  if (r.op === 'enter') {
    const live = r.live === true;
    const pid = r.pid;
    // The parked player this join evicted live (the world was full), if any: removed again here, and
    // its binding released when the join applies (live: right after its removal, before the spawn).
    const evict = typeof r.evict === 'number' ? r.evict : -1;
    let evicted = false;
    const release = (): void => {
      if (evicted && players !== null) releaseReplayed(players, evict);
      evicted = false;
    };
    return {
      op: 'enter',
      session: n('session'),
      player: n('player'),
      owner: n('owner'),
      x: n('x'),
      y: n('y'),
      interestRadius: n('interestRadius'),
      ...(typeof r.cls === 'number' ? { cls: r.cls } : {}),
      live: () => live,
      applied:
        players !== null && typeof pid === 'string'
          ? (eid) => {
              release();
              if (eid >= 0) bindReplayed(players, eid, pid);
            }
          : release,
      evictParked:
        evict >= 0
          ? (isParked) => {
              if (!isParked(evict)) return null;
              evicted = true;
              return { player: evict, removed: [] };
            }
          : undefined,
    };
  }
  const op = r.op === 'remove' || r.op === 'kick' || r.op === 'leave' ? r.op : 'park';
  return { op, player: n('player'), owner: n('owner'), removed: [] };
};

/**
 * The replayer's step-start hook (hash check, budgets forced) and the recorded facts, applied where
 * the live run applied them: in the ingest system, before it drains (nothing is queued in a replay),
 * so a game system placed between `record` and `ingest` sees them in neither run. A pipeline without
 * the ingest system gets them at step start.
 */
class ReplayHook implements StepHook {
  /** The replayed world, typed whole (a game's stores are in its hash). */
  readonly #world: SimWorld;
  frame: StepFrame | null = null;
  readonly checks: HashCheck[] = [];
  onCheck: ((c: HashCheck) => void) | null = null;
  /** True when the world's pipeline has no ingest system: facts apply at step start. */
  readonly #factsAtStart: boolean;

  constructor(world: SimWorld) {
    this.#world = world;
    const at = world.pipeline.findIndex((e) => e.run === ingestSystem);
    this.#factsAtStart = at < 0;
    if (at < 0) return;
    // The replayed world's own copy of its pipeline (a game's pipeline is shared by its worlds).
    const pipeline = [...world.pipeline];
    const entry = pipeline[at];
    pipeline[at] = {
      ...entry,
      run: (w, ctx) => {
        this.#applyFacts(w);
        entry.run(w, ctx);
      },
    };
    world.pipeline = pipeline;
  }

  stepStart(world: RecordWorld, ctx: StepContext): void {
    const f = this.frame;
    if (!f) return;
    if (f.hash !== undefined) {
      const got = hashWorldState(this.#world);
      const c = { step: f.step, want: f.hash, got, ok: got === f.hash };
      this.checks.push(c);
      this.onCheck?.(c);
    }
    const b = ctx.budgets;
    for (let i = 0; i < BUDGET_KEYS.length; i++) {
      const v = f.budgets[i];
      if (typeof v === 'number') b[BUDGET_KEYS[i]] = v;
    }
    if (this.#factsAtStart) this.#applyFacts(world);
  }

  /** The frame's facts, in order (join/leave facts rebuilt, bindings made and released as live). */
  #applyFacts(world: RecordWorld): void {
    const f = this.frame;
    if (!f) return;
    const players = this.#world.game?.replay ?? null;
    for (const [type, key, payload] of f.facts) {
      if (type === PLAYER_BIND_FACT) {
        if (players && typeof payload === 'string') bindReplayed(players, key, payload);
        continue;
      }
      if (type !== SESSION_INGEST_TYPE) {
        world.ingest.applyRecorded(world, type, key, payload);
        continue;
      }
      const fact = sessionFactOf(payload as Record<string, unknown>, players);
      world.ingest.applyRecorded(world, type, key, fact);
      // A removed player's binding goes with it (the live ledger's releasePlayer).
      if (players && fact.op !== 'enter') for (const eid of fact.removed) releaseReplayed(players, eid);
    }
  }
}

/** The first recorded fact whose type the replayed world has no ingest type for (it could not be applied), or null. */
const unknownFactType = (log: ReadLog, world: SimWorld): { step: number; type: string } | null => {
  for (const f of log.steps)
    for (const [type] of f.facts) if (type !== PLAYER_BIND_FACT && !world.ingest.has(type)) return { step: f.step, type };
  return null;
};

/** Options of {@link replayLog}. */
export interface ReplayOptions {
  /** The starting checkpoint's bytes, when the log names one (default: read from the file next to `log.path`, hash checked). */
  startCheckpoint?: Uint8Array;
  /** The game definition of a game world's log (`recipe.game`): required for one, refused for another game. */
  game?: GameDefinition;
}

/**
 * Replay `log`; `onCheck` sees every hash comparison as it happens. Stops at the first mismatch
 * or divergence. Never throws for a divergent log (the result says what failed). A log that
 * starts from a checkpoint throws, before stepping, `WT_ERR_REPLAY_CHECKPOINT_MISSING` or
 * `WT_ERR_REPLAY_CHECKPOINT_MISMATCH` when the file is missing or not the recorded one, and
 * `WT_ERR_CHECKPOINT_CORRUPT` when it cannot be restored.
 */
export const replayLog = async (log: ReadLog, onCheck?: (c: HashCheck) => void, o: ReplayOptions = {}): Promise<ReplayResult> => {
  const gameName = log.header.recipe.game ?? null;
  if (gameName !== (o.game?.name ?? null))
    throw new WorldtickError(
      ErrorCode.REPLAY_LOG_INVALID,
      gameName === null
        ? `the log records the built-in world, not a world of game ${JSON.stringify(o.game?.name)}`
        : `the log records a world of game ${JSON.stringify(gameName)}: replay it with that game's definition (npm run replay -- <log> --game <module>[#export])`,
    );
  const recorded = log.header.recipe.gameVersion;
  if (o.game && recorded !== undefined && recorded !== o.game.version)
    throw new WorldtickError(
      ErrorCode.REPLAY_LOG_INVALID,
      `the log was recorded by version ${recorded} of game ${JSON.stringify(gameName)}, the definition given is version ${o.game.version}: a log replays only with the definition that recorded it (replay it with version ${recorded}'s code)`,
    );
  const start = log.header.start;
  let startBytes: Uint8Array | undefined;
  if (start) startBytes = o.startCheckpoint ?? (await loadStartCheckpoint(log.path ?? '', start));
  const { world, close } = await buildRecordedWorld(log.header.recipe, startBytes, o.game);
  const unknown = unknownFactType(log, world);
  if (unknown !== null) {
    world.jobs.close();
    await close();
    throw new WorldtickError(
      ErrorCode.REPLAY_LOG_INVALID,
      `step ${unknown.step} records a fact of type ${shown(unknown.type, 80)}, which the replayed world does not define (a damaged log, or a world built by other code)`,
    );
  }
  const bound = world.game?.replay;
  if (bound) for (const [eid, id] of log.header.players ?? []) bindReplayed(bound, eid, id);
  const hook = new ReplayHook(world);
  hook.onCheck = onCheck ?? null;
  world.record = hook;
  let failure: string | null = null;
  let steps = 0;
  const faults: string[] = [];
  try {
    for (const f of log.steps) {
      if (world.clock.step !== f.step) {
        failure = `step ${f.step}: the replayed world is at step ${world.clock.step} (frames out of order or missing)`;
        break;
      }
      if (f.pre?.config !== undefined) updateWorldConfig(world, f.pre.config);
      for (const [id, ok, result, code, message] of f.pre?.settles ?? []) {
        if (!world.jobs.settleRecorded(id, ok, result, ok ? null : { code: code ?? 'WT_ERR_JOB_FAILED', message: message ?? '' })) {
          failure = `step ${f.step}: recorded job ${id} is not running in the replay (divergence)`;
          break;
        }
      }
      if (failure) break;
      // Bound between the previous step and this one (version 5): this step is the first to see them, as live.
      const binds = f.pre?.binds;
      if (binds !== undefined) {
        if (!isPlayerList(binds)) {
          failure = `step ${f.step}: the recorded player bindings before the step are malformed`;
          break;
        }
        if (bound) for (const [eid, id] of binds) bindReplayed(bound, eid, id);
      }
      hook.frame = f;
      world.jobs.forcedStarts = f.starts;
      try {
        runStep(world);
      } catch (err) {
        // A system failed: live, the world faulted at this step too (its step count did not
        // move, so the next frame has the same step) — or it did not, and the next frame's step
        // number tells (a divergence).
        faults.push(`step ${f.step}: ${err instanceof Error ? err.message : String(err)}`);
      }
      steps++;
      const bad = hook.checks.find((c) => !c.ok);
      if (bad) {
        failure = `step ${bad.step}: state hash ${bad.got}, recorded ${bad.want}`;
        break;
      }
    }
    if (!failure && log.end) {
      const got = hashWorldState(world);
      const c = { step: log.end.step, want: log.end.hash, got, ok: got === log.end.hash && world.clock.step === log.end.step };
      hook.checks.push(c);
      onCheck?.(c);
      if (!c.ok) failure = `end (step ${log.end.step}): state hash ${got} at step ${world.clock.step}, recorded ${log.end.hash}`;
    }
  } catch (err) {
    failure = `step ${world.clock.step}: replay failed: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    world.jobs.close();
    await close();
  }
  return { steps, checks: hook.checks, failure, faults };
};
