/**
 * The input-log file: append-only msgpack frames (msgpackr), one header then one frame per step.
 *
 *   header  { t: 'header', version, recipe, hashEvery, startedAt, start?, players? }
 *   step    { t: 'step', step, budgets, pre, facts, starts, hash? }
 *   end     { t: 'end', step, hash }          (the state when recording stopped)
 *
 * A step frame holds what decided that step beyond the seed: `pre` = what happened between the
 * previous step and this one (an accepted scheduler-config change: the whole config; job
 * attempts that settled: id, ok, result or error; durable player ids bound, version 5), `budgets` = `ctx.budgets` in force (the
 * controller's decision), `facts` = every ingest fact applied, in order ([type, key, payload]),
 * `starts` = job ids started in the jobs phase, `hash` = the state hash before the step (every
 * `hashEvery` steps). `start` (version 3) names the checkpoint the world started from when it did
 * not start from its seed at step 0 (start-checkpoint.ts); without it the replay builds the world
 * from `recipe`.
 */
import { readFileSync } from 'node:fs';
import { Packr, unpackMultiple } from 'msgpackr';
import { ErrorCode, WorldtickError } from '../errors.js';
import type { StepBudgets } from '../core/step-context.js';
import type { WorldPhysicsConfig } from '../physics/physics-world.js';
import { frameProblem, recipeProblem } from './log-checks.js';
import { shown, shownPath } from '../core/shown.js';
import { isPlayerList } from './replay-players.js';
import { isStartCheckpoint, type StartCheckpoint } from './start-checkpoint.js';

/**
 * Format version written in the header. 2: `tx` facts hold the wallet changes applied (version 1
 * logs recorded them as the live fact, which cannot be replayed). 3: the header may name a
 * starting checkpoint (`start`); job ids are relative to its `jobIdBase`. 4: player bindings — a
 * join fact carries the durable player id bound (`pid`), a `player.bind` fact one bound outside a
 * join, the header the bindings in force when recording started (`players`; replay-players.ts);
 * game facts (`game.fact`, src/game/facts.ts) are ordinary facts. 5: a binding made between steps is
 * in the next step's `pre.binds` (version 4 put it in the previous step's facts, so a replay made
 * it one step early; such a log is still read and replayed as it was written). 6: a session fact may
 * be a `kick` (a player removed because the game or the operator ended its session, src/net/session-kick.ts),
 * which a version-5 reader would take for a park. 7: a session fact may be a `leave` (a player removed
 * because its client sent `leave`, docs/PROTOCOL.md "Leaving"), which a version-6 reader would take for
 * a park. Versions 2 to 7 are read.
 */
export const LOG_VERSION = 7;

/** Oldest version {@link readLog} reads. */
export const LOG_VERSION_MIN = 2;

/** How to rebuild the recorded world from its seed (what the runtime did at start). */
export interface WorldRecipe {
  id: string;
  capacity: number;
  seed: number;
  size: number;
  /** The whole scheduler config at creation. */
  config: unknown;
  /** Resolved physics config, or null (off). */
  physics: WorldPhysicsConfig | null;
  /** NPCs populated at creation (`populateNpcs`). */
  npcs: number;
  /** Scene jobs enabled (`enableScenes`). */
  scenes: boolean;
  /** Movement input speed (the game server's `net.maxSpeed`); null when no game server attached. */
  inputMaxSpeed: number | null;
  /**
   * Name of the game (src/game, `defineGame`) the world belongs to; null or absent: the built-in
   * world. A game's log is replayed with the game's definition (its pipeline, stores, messages).
   */
  game?: string | null;
  /**
   * The game definition's `version` (`defineGame({ version })`) that recorded the log; absent in
   * logs written before it was recorded (then not checked). A replay with another version is refused.
   */
  gameVersion?: number;
}

export interface HeaderFrame {
  t: 'header';
  version: number;
  recipe: WorldRecipe;
  hashEvery: number;
  startedAt: string;
  /** The checkpoint the world started from (absent: built from `recipe`, the seed). Version 3. */
  start?: StartCheckpoint;
  /** Durable player ids bound to player entities when recording started ([eid, playerId]). Version 4. */
  players?: Array<[number, string]>;
}

/** A settled job attempt: [id, ok, result, errCode, errMessage]. */
export type SettleRecord = [number, boolean, unknown, string | null, string | null];

/** What happened between two steps (applied by the replay before the step, in this order). */
export interface PreStep {
  config?: unknown;
  settles?: SettleRecord[];
  /**
   * Durable player ids bound between the previous step and this one ([eid, playerId], in order;
   * custom code calling the ledger's `bindPlayer` outside a step). Version 5: version 4 logs kept
   * them as `player.bind` facts of the previous step's frame (replayed one step early).
   */
  binds?: Array<[number, string]>;
}

/** Budgets as an array, in {@link BUDGET_KEYS} order. */
export const BUDGET_KEYS = [
  'npcTicks',
  'ingestDrain',
  'jobOps',
  'tierFrequencyScale',
  'farReplicationEvery',
  'interestQuality',
] as const satisfies readonly (keyof StepBudgets)[];

/** Least value of each budget: the two scales are >= 1 (StepBudgets), the rest >= 0. */
const BUDGET_MIN: Readonly<Record<(typeof BUDGET_KEYS)[number], number>> = {
  npcTicks: 0,
  ingestDrain: 0,
  jobOps: 0,
  tierFrequencyScale: 1,
  farReplicationEvery: 1,
  interestQuality: 0,
};

/** Problem of a step frame's budgets (at most one per key, in order; older logs have fewer), or null. */
const budgetsProblem = (b: unknown): string | null => {
  if (!Array.isArray(b) || b.length > BUDGET_KEYS.length) return 'budgets are malformed';
  for (let i = 0; i < b.length; i++) {
    const key = BUDGET_KEYS[i];
    const v: unknown = b[i];
    if (typeof v !== 'number' || !(v >= BUDGET_MIN[key])) return `budget ${key} is ${shown(v)}`;
  }
  return null;
};

export interface StepFrame {
  t: 'step';
  step: number;
  budgets: number[];
  pre?: PreStep;
  facts: Array<[string, number, unknown]>;
  starts: number[];
  hash?: string;
}

export interface EndFrame {
  t: 'end';
  step: number;
  hash: string;
}

export type LogFrame = HeaderFrame | StepFrame | EndFrame;

/** One Packr for a log (plain maps, no records: the file is readable by any msgpack decoder). */
export const createLogPackr = (): Packr => new Packr({ useRecords: false, mapsAsObjects: true });

/** A log read back: the header, step frames in order, the end frame if recording stopped cleanly. */
export interface ReadLog {
  header: HeaderFrame;
  steps: StepFrame[];
  end: EndFrame | null;
  /** True when the file ended in a partial frame (a crash mid-write): the frames before it are used. */
  truncated: boolean;
  /** The file read (a relative starting checkpoint is found next to it); null for a log built in memory. */
  path?: string | null;
}

const invalid = (message: string): WorldtickError => new WorldtickError(ErrorCode.REPLAY_LOG_INVALID, message);

/** Read a log file. Throws `WT_ERR_REPLAY_LOG_INVALID` naming the problem when the file is not a log. */
export const readLog = (path: string): ReadLog => {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw invalid(`${shownPath(path)} could not be read: ${err instanceof Error ? err.message : String(err)}`);
  }
  const frames: LogFrame[] = [];
  let truncated = false;
  try {
    unpackMultiple(buf, (v: unknown) => {
      frames.push(v as LogFrame);
    });
  } catch {
    truncated = true;
  }
  const header = frames[0];
  if (header?.t !== 'header') throw invalid(`${shownPath(path)} is not a worldtick input log (no header frame)`);
  if (!Number.isInteger(header.version) || header.version < LOG_VERSION_MIN || header.version > LOG_VERSION)
    throw invalid(
      `${shownPath(path)}: log version ${shown(header.version)} is not supported (expected ${LOG_VERSION_MIN}..${LOG_VERSION})`,
    );
  if (header.start !== undefined && !isStartCheckpoint(header.start))
    throw invalid(`${shownPath(path)}: the header's starting checkpoint is malformed`);
  if (header.players !== undefined && !isPlayerList(header.players))
    throw invalid(`${shownPath(path)}: the header's player bindings are malformed`);
  if (!Number.isSafeInteger(header.hashEvery) || header.hashEvery < 1)
    throw invalid(`${shownPath(path)}: the header's hash period is malformed`);
  const recipe = recipeProblem(header.recipe);
  if (recipe !== null) throw invalid(`${shownPath(path)}: ${recipe}`);
  const gameVersion: unknown = (header.recipe as { gameVersion?: unknown }).gameVersion;
  if (gameVersion !== undefined && !(Number.isInteger(gameVersion) && (gameVersion as number) >= 1))
    throw invalid(`${shownPath(path)}: the recipe's game version is malformed (${shown(gameVersion)})`);
  const steps: StepFrame[] = [];
  let end: EndFrame | null = null;
  for (let i = 1; i < frames.length; i++) {
    const f = frames[i];
    const problem = frameProblem(f, budgetsProblem);
    if (problem !== null) throw invalid(`${shownPath(path)}: frame ${i} is malformed: ${problem}`);
    if (end !== null) throw invalid(`${shownPath(path)}: frame ${i} follows the end frame`);
    if (f.t === 'step') steps.push(f);
    else if (f.t === 'end') end = f;
  }
  return { header, steps, end, truncated, path };
};
