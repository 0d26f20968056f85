/**
 * Records a world's input log (log-format.ts) while it runs: a runtime `Service` (started and
 * stopped with the runtime) and the world's step-start hook.
 *
 * Hooks: `world.record` (step start: budgets in force, a hash every `hashEvery` steps, a config
 * change since the last step), `world.ingest.tap` (every fact applied, in order; join/leave
 * facts reduced to their serializable part), `world.jobs.hooks` (job starts in the jobs phase;
 * settlements between steps, applied by the next step), the ledger's wallet changes
 * ({@link StepHook.walletApplied}: a `tx` fact is recorded as the wallet changes it applied, in
 * order — replay-ledger.ts — never as the live fact, whose entries come from a store), the
 * ledger's player bindings ({@link StepHook.playerBound}: the durable id bound by a join, kept in
 * its record as `pid` — replay-players.ts). Off the hot path: a step appends plain
 * values to its frame; a timer packs the finished frames (msgpackr) and appends them to the file
 * through a write stream (async).
 *
 * A world that does not start from its seed at step 0 (restored from a checkpoint, or already
 * running) starts the log from a checkpoint: `start()` captures the world in the same turn as it
 * attaches the hooks (so no step falls between), writes it next to the log and names it in the
 * header (start-checkpoint.ts). Job ids in the log are then relative to the jobs submitted before.
 */

import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Packr } from 'msgpackr';
import type { StepContext } from '../core/step-context.js';
import { ErrorCode, WorldtickError } from '../errors.js';
import { hashWorldState } from '../game/hash.js';
import type { IngestTap } from '../ingest/ingest-drain.js';
import type { JobHooks } from '../jobs/job-queue.js';
import { TX_INGEST_TYPE } from '../ledger/world-ledger.js';
import type { Logger } from '../log.js';
import { SESSION_INGEST_TYPE, type SessionFact } from '../net/player-facts.js';
import { captureWorld, type WorldCapture } from '../persist/world-snapshot.js';
import type { SimWorld } from '../world/sim-world.js';
import {
  BUDGET_KEYS,
  createLogPackr,
  type HeaderFrame,
  LOG_VERSION,
  type LogFrame,
  type PreStep,
  type StepFrame,
  type WorldRecipe,
} from './log-format.js';
import type { RecordWorld, StepHook } from './record-slot.js';
import { boundPlayers, PLAYER_BIND_FACT, recordJoin, sessionFactRecord } from './replay-players.js';
import { type StartCheckpoint, writeStartCheckpoint } from './start-checkpoint.js';
import { noRecordSystem } from './record-path.js';

/** Options of a {@link Recorder}. */
export interface RecorderOptions {
  /** File to write (truncated). */
  path: string;
  /**
   * How the world was built (written in the header; replay rebuilds it), or a function giving it
   * for the world being recorded (evaluated by `start`).
   */
  recipe: WorldRecipe | ((world: SimWorld) => WorldRecipe);
  /** Steps between state hashes. Default 20. */
  hashEvery?: number;
  /** Wall ms between flushes. Default 100. */
  flushMs?: number;
  logger?: Logger;
}

/** Options of {@link Recorder.start}. */
export interface RecordStartOptions {
  /**
   * Start the log from a checkpoint of the world as it is now (`'restored'`: the world came back
   * from a stored checkpoint; `'running'`: it has run already), or from its seed (`'seed'`: the
   * world is as its recipe builds it). Default: `'running'` when the world is past step 0 or has
   * submitted jobs, else `'seed'`.
   */
  from?: 'seed' | 'restored' | 'running';
}

/** Records one world's input log. */
export class Recorder implements StepHook {
  readonly name: string;
  readonly path: string;
  readonly hashEvery: number;
  #world: SimWorld;
  readonly #worldOf: () => SimWorld;
  readonly #recipeOf: (world: SimWorld) => WorldRecipe;
  readonly #flushMs: number;
  readonly #log: Logger | undefined;
  readonly #packr: Packr = createLogPackr();
  #out: WriteStream | null = null;
  #timer: NodeJS.Timeout | null = null;
  /** Finished frames waiting for the next flush. */
  #queue: LogFrame[] = [];
  #current: StepFrame | null = null;
  /** The wallet changes of the `tx` fact being applied (replay-ledger.ts), or null. */
  #effects: number[] | null = null;
  /** The record of the join fact being applied (its `pid` is set when the ledger binds the player), or null. */
  #enter: Record<string, unknown> | null = null;
  #pre: PreStep | null = null;
  /** `counters.steps + counters.faults` at the open frame's step start: unchanged while that step runs. */
  #stepMark = -1;
  #configVersion: number;
  #attached = false;
  #error: Error | null = null;
  /** Settles when a start's checkpoint file is written (or failed); null before any. */
  #starting: Promise<void> | null = null;
  /** Jobs submitted before recording started: logged job ids are relative to it. */
  #jobIdBase = 0;
  /** The log's starting checkpoint, or null (from the seed). Set by `start`. */
  startCheckpoint: StartCheckpoint | null = null;
  /** Frames and bytes written. */
  readonly stats = { frames: 0, bytes: 0, hashes: 0, facts: 0, settles: 0, walletChanges: 0, bindings: 0 };

  /** `world`, or a function giving it when `start` runs (a restored world may replace the default one). */
  constructor(world: SimWorld | (() => SimWorld), opts: RecorderOptions) {
    this.#worldOf = typeof world === 'function' ? world : () => world;
    this.#world = this.#worldOf();
    this.path = opts.path;
    this.name = `recorder:${this.#world.id}`;
    this.hashEvery = opts.hashEvery ?? 20;
    // A log's reader refuses a hash period below 1 (log-checks.ts): a recorder never writes one.
    if (!Number.isSafeInteger(this.hashEvery) || this.hashEvery < 1)
      throw new WorldtickError(ErrorCode.OPTION_INVALID, `hashEvery must be an integer >= 1 (got ${String(opts.hashEvery)})`);
    const recipe = opts.recipe;
    this.#recipeOf = typeof recipe === 'function' ? recipe : () => recipe;
    this.#flushMs = opts.flushMs ?? 100;
    this.#log = opts.logger;
    this.#configVersion = this.#world.configVersion;
  }

  /**
   * Open the file, attach the hooks and write the header. From the seed: call before the world's
   * first step. From a checkpoint (see {@link RecordStartOptions.from}): any time between steps —
   * the world is captured in the same turn as the hooks attach. Throws
   * `WT_ERR_RECORD_START_REFUSED` when the world's pipeline has no `record` system, or when a
   * running world has jobs in flight (their state is not in a checkpoint: start when none is
   * pending, running or awaiting its apply); nothing is attached and no file is written then.
   */
  async start(o: RecordStartOptions = {}): Promise<void> {
    if (this.#attached) return;
    this.#world = this.#worldOf();
    this.#refusal(o); // before the file is opened (truncated)
    const out = createWriteStream(this.path, { flags: 'w' });
    out.on('error', (err) => {
      this.#error = err;
      this.#log?.error({ err, path: this.path }, 'input log write failed; recording stopped');
      this.#detach();
    });
    await once(out, 'open');
    this.#out = out;
    const w = this.#world;
    const jobs = w.jobs.stats();
    const from = this.#from(o);
    let capture: WorldCapture | null = null;
    if (from !== 'seed') {
      try {
        this.#refusal(o); // again: jobs may have started while the file opened
      } catch (err) {
        this.#out = null;
        out.destroy();
        throw err;
      }
      // The starting state, in the same turn as the hooks attach below: no step falls between.
      capture = captureWorld(w);
      this.#jobIdBase = jobs.submitted;
    }
    this.#configVersion = w.configVersion;
    // The bindings in force now (same turn as the capture): a replay from the checkpoint starts with them.
    const players = boundPlayers(w);
    w.record = this;
    w.ingest.tap = this.#tap;
    w.jobs.hooks = this.#jobHooks;
    this.#attached = true;
    const header: HeaderFrame = {
      t: 'header',
      version: LOG_VERSION,
      recipe: this.#recipeOf(w),
      hashEvery: this.hashEvery,
      startedAt: new Date().toISOString(),
    };
    if (players.length) header.players = players;
    if (capture) {
      // Compressed and written off the loop; the header (first frame) waits for it, step frames queue behind it.
      const writing = writeStartCheckpoint(this.path, capture, {
        jobIdBase: this.#jobIdBase,
        reason: from === 'restored' ? 'restored' : 'running',
      });
      this.#starting = writing.then(
        () => {},
        () => {},
      );
      try {
        this.startCheckpoint = await writing;
      } catch (err) {
        this.#detach();
        this.#out = null;
        out.destroy();
        throw err;
      }
      header.start = this.startCheckpoint;
    }
    this.#queue.unshift(header);
    this.#timer = setInterval(() => this.#flush(), this.#flushMs);
    this.#timer.unref();
    this.#log?.info(
      {
        world: w.id,
        path: this.path,
        hashEvery: this.hashEvery,
        fromStep: capture ? capture.step : 0,
        startCheckpoint: this.startCheckpoint?.file,
      },
      'recording the input log',
    );
  }

  #from(o: RecordStartOptions): 'seed' | 'restored' | 'running' {
    const w = this.#world;
    return o.from ?? (w.clock.step !== 0 || w.jobs.stats().submitted !== 0 ? 'running' : 'seed');
  }

  /** Throw `WT_ERR_RECORD_START_REFUSED` when the world cannot be recorded now (see {@link Recorder.start}). */
  #refusal(o: RecordStartOptions): void {
    const w = this.#world;
    const noRecord = noRecordSystem(w); // also checked before the runtime opens its store (record-path.ts)
    if (noRecord) throw noRecord;
    const jobs = w.jobs.stats();
    if (this.#from(o) !== 'seed' && jobs.pending + jobs.running + jobs.awaitingApply !== 0)
      throw new WorldtickError(
        ErrorCode.RECORD_START_REFUSED,
        `world ${w.id} has jobs in flight (${jobs.pending} pending, ${jobs.running} running, ${jobs.awaitingApply} awaiting apply): a recording cannot start from a checkpoint now`,
      );
  }

  /** Detach (at a step boundary), write the end frame (state hash now), flush and close the file. Idempotent. */
  async stop(): Promise<void> {
    // A start still writing its checkpoint: the header goes first, so wait for it.
    if (this.#starting) await this.#starting;
    if (!this.#attached) return;
    const w = this.#world;
    this.#detach();
    if (this.#current) this.#queue.push(this.#current);
    this.#current = null;
    this.#effects = null;
    this.#queue.push({ t: 'end', step: w.clock.step, hash: hashWorldState(w) });
    this.#flush();
    const out = this.#out;
    this.#out = null;
    if (out && !this.#error) {
      out.end();
      await once(out, 'finish');
    }
    this.#log?.info({ world: w.id, path: this.path, ...this.stats }, 'input log closed');
  }

  #detach(): void {
    if (!this.#attached) return;
    this.#attached = false;
    const w = this.#world;
    if (w.record === this) w.record = null;
    if (w.ingest.tap === this.#tap) w.ingest.tap = null;
    if (w.jobs.hooks === this.#jobHooks) w.jobs.hooks = null;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Step start (record system): close the last frame, open this step's. */
  stepStart(world: RecordWorld, ctx: StepContext): void {
    if (this.#current) this.#queue.push(this.#current);
    this.#effects = null;
    this.#enter = null;
    const b = ctx.budgets;
    const budgets = new Array<number>(BUDGET_KEYS.length);
    for (let i = 0; i < BUDGET_KEYS.length; i++) budgets[i] = b[BUDGET_KEYS[i]];
    const frame: StepFrame = { t: 'step', step: ctx.step, budgets, facts: [], starts: [] };
    this.#stepMark = this.#stepsEnded();
    if (world.configVersion !== this.#configVersion) {
      this.#configVersion = world.configVersion;
      this.#preStep().config = structuredClone(world.config);
    }
    if (this.#pre) frame.pre = this.#pre;
    this.#pre = null;
    if (ctx.step % this.hashEvery === 0) {
      // The recorded world (the same object as `world`, typed whole): a game's stores are hashed too.
      frame.hash = hashWorldState(this.#world);
      this.stats.hashes++;
    }
    this.#current = frame;
  }

  /** Steps the world finished or faulted so far (see #stepMark). */
  #stepsEnded(): number {
    return this.#world.counters.steps + this.#world.counters.faults;
  }

  /** The frame of the step running now, or null between steps (after one ended, or before the first). */
  #inStep(): StepFrame | null {
    return this.#current !== null && this.#stepMark === this.#stepsEnded() ? this.#current : null;
  }

  /** What happened since the last step (created on first use). */
  #preStep(): PreStep {
    if (!this.#pre) this.#pre = {};
    return this.#pre;
  }

  readonly #entering = (rec: Record<string, unknown> | null): void => {
    this.#enter = rec;
  };

  readonly #tap: IngestTap = (type, key, fact) => {
    const frame = this.#current;
    this.#effects = null;
    this.#enter = null;
    if (!frame) return;
    if (type === TX_INGEST_TYPE) {
      // Its effect, filled by walletApplied while it applies (right after this call).
      const effects: number[] = [];
      this.#effects = effects;
      frame.facts.push([type, key, effects]);
    } else if (type === SESSION_INGEST_TYPE) {
      const f = fact as SessionFact;
      const rec = sessionFactRecord(f);
      // A join: the bindings its `applied` callback makes are kept with it (playerBound), its eviction too.
      if (f.op === 'enter') recordJoin(f, rec, this.#entering);
      frame.facts.push([type, key, rec]);
    } else frame.facts.push([type, key, fact]);
    this.stats.facts++;
  };

  /**
   * Ledger hook: a durable player id bound to a player entity. Kept with the join fact being applied;
   * bound otherwise inside a step, as a `player.bind` fact in the step's order; bound between steps
   * (custom code, after a step ended or before the first), in the next step's `pre.binds`: live, the
   * next step is the first to see it, so the replay binds it before that step (not at the start of
   * the step before, whose frame is still the last one open).
   */
  playerBound(eid: number, playerId: string): void {
    this.stats.bindings++;
    const frame = this.#inStep();
    if (frame === null) {
      const pre = this.#preStep();
      if (!pre.binds) pre.binds = [];
      pre.binds.push([eid, playerId]);
      return;
    }
    const enter = this.#enter;
    // Bound by a join: the replay binds it as the join applies, before the game's onPlayerJoined (replay-players.ts).
    if (enter !== null && enter.pid === undefined) enter.pid = playerId;
    else frame.facts.push([PLAYER_BIND_FACT, eid, playerId]);
  }

  /** Ledger hook: one wallet change, appended to the `tx` fact being applied. */
  walletApplied(eid: number, seq: number, coinsDelta: number, slot: number, quantity: number): void {
    const frame = this.#current;
    if (!frame) return;
    let effects = this.#effects;
    if (effects === null) {
      // Outside a `tx` fact (the ledger applies only there today): a fact of its own keeps the order.
      effects = [];
      this.#effects = effects;
      frame.facts.push([TX_INGEST_TYPE, -1, effects]);
    }
    effects.push(eid, seq, coinsDelta, slot, quantity);
    this.stats.walletChanges++;
  }

  readonly #jobHooks: JobHooks = {
    started: (id) => {
      this.#current?.starts.push(id - this.#jobIdBase);
    },
    settled: (id, ok, result, err) => {
      // Between steps: applied by the next step (the world's clock.step).
      const pre = this.#preStep();
      if (!pre.settles) pre.settles = [];
      pre.settles.push([id - this.#jobIdBase, ok, ok ? result : null, err?.code ?? null, err?.message ?? null]);
      this.stats.settles++;
    },
  };

  #flush(): void {
    if (!this.#out || this.#queue.length === 0) return;
    const frames = this.#queue;
    this.#queue = [];
    const parts: Uint8Array[] = [];
    try {
      for (const f of frames) parts.push(this.#packr.pack(f));
    } catch (err) {
      // A frame that cannot be encoded (a fact too deeply nested for msgpackr's stack): on the
      // flush timer a throw would end the process. Recording stops instead, as on a write error.
      this.#error = err instanceof Error ? err : new Error(String(err));
      this.#log?.error({ err, path: this.path }, 'input log frame could not be encoded; recording stopped');
      this.#detach();
      this.#out.end();
      return;
    }
    const buf = Buffer.concat(parts);
    this.stats.frames += frames.length;
    this.stats.bytes += buf.byteLength;
    this.#out.write(buf);
  }
}
