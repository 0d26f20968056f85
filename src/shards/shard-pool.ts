/**
 * A pool of shard workers (piscina) that run partitions of a step over shared stores. It owns
 * threads, hence a class. Each worker runs one long-lived serve task (src/shards/shard-worker.ts)
 * that sleeps on an Atomics word between steps, so per-step dispatch is a few stores and a
 * notify, not a piscina task (≈ 30–85 µs each) — and it works inside a synchronous step: the
 * main thread blocks on the barrier (Atomics.wait) while workers run.
 *
 * Failure model (the step always completes with the same result):
 * - A partition is handed only to a slot whose worker said READY; the rest run inline.
 * - A worker that misses the deadline (`barrierTimeoutMs`) has its command cancelled and its
 *   partition re-run inline (counted `timeouts`, logged). Kernels are read-old/write-new, so the
 *   re-run writes the same values whatever the dead worker left half-written.
 * - A fused step ({@link ShardPool.runFused}: one dispatch per step) that misses the deadline has
 *   every worker's command cancelled and the phases its parties did not finish re-run inline.
 * - A worker that crashed (its serve task rejects) is counted (`crashes`), logged, and restarted
 *   on a fresh thread up to `maxRestarts` times per slot; until it is READY again its
 *   partitions run inline.
 */
import { Piscina } from 'piscina';
import { fileURLToPath } from 'node:url';
import { ErrorCode, WorldtickError } from '../errors.js';
import type { Logger } from '../log.js';
import { MAX_PARTITIONS, P, type PhysicsShared } from '../physics/physics-types.js';
import {
  at,
  awaitBarrier,
  BUSY_US,
  CANCEL,
  CMD,
  createControl,
  CRASH_AT,
  CRASH_PHASE,
  DONE,
  dispatch,
  READY,
  ShardOp,
  STOP,
} from './barrier.js';
import {
  bandScratch,
  CLAIM_BASE,
  baseWeights,
  createPlan,
  FUSED_PHASES,
  pat,
  PLAN_ID_PARTS,
  PLAN_PARTIES,
  PLAN_SEQ,
  progressOf,
  PW,
  nominalBands,
  rerunMissing,
  runParty,
  type PartyContext,
} from './fused-step.js';
import { chunkCount, openClaims, PLAN_CHUNKS } from './chunk-claim.js';
import type { ShardServeTask } from './shard-worker.js';
import { resolvePoolOptions, type ShardPoolOptions } from './shard-pool-options.js';

/** Counters of a pool. */
export interface ShardPoolStats {
  shards: number;
  /** `run` calls (steps). */
  runs: number;
  /** Partitions handed to workers. */
  dispatched: number;
  /** Partitions run on the main thread because no worker was READY. */
  inline: number;
  /** Partitions re-run inline after their worker missed the deadline. */
  timeouts: number;
  crashes: number;
  restarts: number;
  /** Wall ms spent dispatching + waiting at the barrier (sum over runs). */
  barrierMs: number;
  /** Workers READY now. */
  ready: number;
}

/** How to run one partition on the main thread: `(partition, rowStart, rowEnd)`. */
export type InlineRunner = (part: number, rowStart: number, rowEnd: number) => void;

/** An ESM shim (see its comment): the kernel on a worker must be the same ESM code as inline. */
const WORKER_FILE = fileURLToPath(new URL('./shard-worker-entry.mjs', import.meta.url));

/** Shard workers over one set of physics buffers. */
export class ShardPool {
  readonly shards: number;
  readonly #pool: Piscina<ShardServeTask, number>;
  readonly #ctl: Int32Array;
  readonly #shared: PhysicsShared;
  readonly #timeoutMs: number;
  readonly #spinUs: number;
  readonly #maxRestarts: number;
  readonly #startTimeoutMs: number;
  readonly #log: Logger | undefined;
  readonly #restarts: Int32Array;
  readonly #dead: Uint8Array;
  readonly #assigned: Int32Array;
  readonly #assignedPart: Int32Array;
  /** Wall µs of each partition of the last run (its worker's, or the main thread's). */
  readonly #bandUs = new Float64Array(64);
  readonly #barrierSpinUs: number;
  /** The fused step's plan block, row-weight snapshot, and the main thread's own party. */
  readonly #plan: Int32Array;
  readonly #base: Float64Array;
  readonly #party: PartyContext;
  #epoch = 0;
  /** Phases dispatched so far (a plain run is one phase, a fused run three): the crash hook counts them. */
  #phases = 0;
  #crashAtPhase = 0;
  #closed = false;
  readonly #serving: Promise<void>[] = [];
  readonly #s = { runs: 0, dispatched: 0, inline: 0, timeouts: 0, crashes: 0, restarts: 0, barrierMs: 0 };

  /** Throws `WT_ERR_OPTION_INVALID` on bad options. Call {@link start} before {@link run}. */
  constructor(opts: ShardPoolOptions) {
    const { shards, timeout, maxRestarts, spinUs, barrierSpinUs } = resolvePoolOptions(opts);
    this.shards = shards;
    this.#shared = opts.shared;
    this.#timeoutMs = timeout;
    this.#spinUs = spinUs;
    this.#barrierSpinUs = barrierSpinUs;
    const side = opts.shared.params[P.side] | 0;
    this.#plan = createPlan();
    this.#base = new Float64Array(new SharedArrayBuffer(Math.max(1, side) * 8));
    this.#party = {
      s: opts.shared,
      plan: this.#plan,
      base: this.#base,
      sc: bandScratch(side),
      bands: new Int32Array(2 * MAX_PARTITIONS),
      spinMs: barrierSpinUs / 1000,
      spinMaxMs: barrierSpinUs / 1000,
      idleBarriers: 0,
      crashPhase: 0,
      die: () => {},
    };
    this.#maxRestarts = maxRestarts;
    this.#startTimeoutMs = opts.startTimeoutMs ?? 15_000;
    this.#log = opts.logger;
    this.#ctl = createControl(shards);
    this.#restarts = new Int32Array(shards);
    this.#dead = new Uint8Array(shards);
    this.#assigned = new Int32Array(shards);
    this.#assignedPart = new Int32Array(shards);
    this.#pool = new Piscina<ShardServeTask, number>({
      filename: opts.workerFile ?? WORKER_FILE,
      minThreads: shards,
      maxThreads: shards,
      // One serve task per thread; a crashed thread's replacement gets the restarted task.
      concurrentTasksPerWorker: 1,
      maxQueue: shards * 2,
      idleTimeout: 2 ** 31 - 1,
      // No `--import tsx`: the entry shim registers tsx's ESM hooks itself (see shard-worker-entry.mjs).
      execArgv: [],
    });
    this.#pool.on('error', () => {});
  }

  /** Start one serve task per worker and wait until all are READY. */
  async start(): Promise<void> {
    if (this.#closed) throw new WorldtickError(ErrorCode.POOL_CLOSED, 'shard pool is closed');
    for (let s = 0; s < this.shards; s++) this.#serve(s);
    const deadline = Date.now() + this.#startTimeoutMs;
    while (this.readyCount() < this.shards) {
      if (Date.now() > deadline)
        throw new WorldtickError(
          ErrorCode.SHARD_TIMEOUT,
          `shard pool: ${this.readyCount()}/${this.shards} workers ready after ${this.#startTimeoutMs} ms`,
        );
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  #serve(slot: number): void {
    const task: ShardServeTask = {
      slot,
      ctl: this.#ctl,
      shared: this.#shared,
      spinUs: this.#spinUs,
      plan: this.#plan,
      base: this.#base,
      barrierSpinUs: this.#barrierSpinUs,
    };
    const done = this.#pool.run(task).then(
      () => {},
      (err: unknown) => {
        if (this.#closed) return;
        this.#s.crashes++;
        this.#dead[slot] = 1;
        Atomics.store(this.#ctl, at(slot, READY), 0);
        const msg = err instanceof Error ? err.message : String(err);
        this.#log?.warn(
          { code: ErrorCode.SHARD_CRASHED, slot, restarts: this.#restarts[slot], err: msg.slice(0, 200) },
          'shard worker crashed; its partitions run inline until it is restarted',
        );
        if (this.#restarts[slot] < this.#maxRestarts) {
          this.#restarts[slot]++;
          this.#s.restarts++;
          this.#dead[slot] = 0;
          this.#serve(slot);
        }
      },
    );
    this.#serving[slot] = done;
  }

  /** Workers READY now (alive and idle). */
  readyCount(): number {
    let n = 0;
    for (let s = 0; s < this.shards; s++) if (!this.#dead[s] && Atomics.load(this.#ctl, at(s, READY)) === 1) n++;
    return n;
  }

  /**
   * Test hook: the worker that gets the first dispatched partition of the `phasesFromNow`-th next
   * phase (1 = the next one; a plain run is one phase, a fused step three) calls `process.exit`
   * half-way through it.
   */
  injectCrash(phasesFromNow = 1): void {
    this.#crashAtPhase = this.#phases + phasesFromNow;
  }

  /**
   * Run `count` partitions (row bounds in `parts`: [start0, end0, start1, end1, ...]) and return
   * when all are complete: on READY workers, the rest inline via `inline`; a partition whose
   * worker misses the deadline is re-run inline. `op` is the {@link ShardOp} the workers run
   * (`inline` must do the same). The first `local` partitions are kept for the main thread,
   * which runs them while the workers run theirs. Synchronous (blocks on the Atomics barrier).
   */
  run(parts: Int32Array, count: number, inline: InlineRunner, op: number = ShardOp.step, local = 0): void {
    if (this.#closed) throw new WorldtickError(ErrorCode.POOL_CLOSED, 'shard pool is closed');
    const t0 = performance.now();
    const ctl = this.#ctl;
    const epoch = ++this.#epoch;
    this.#s.runs++;
    const phase = ++this.#phases;
    let nd = 0;
    let slot = 0;
    const mine: number[] = [];
    for (let p = 0; p < count; p++) {
      if (p < local) {
        mine.push(p);
        continue;
      }
      while (slot < this.shards && (this.#dead[slot] || Atomics.load(ctl, at(slot, READY)) !== 1)) slot++;
      if (slot >= this.shards) {
        mine.push(p);
        continue;
      }
      Atomics.store(ctl, at(slot, CRASH_AT), nd === 0 && phase === this.#crashAtPhase ? epoch : 0);
      dispatch(ctl, slot, epoch, p, parts[2 * p], parts[2 * p + 1], op);
      this.#assigned[nd] = slot;
      this.#assignedPart[nd] = p;
      nd++;
      slot++;
    }
    this.#s.dispatched += nd;
    for (const p of mine) {
      const a = performance.now();
      inline(p, parts[2 * p], parts[2 * p + 1]);
      if (p < this.#bandUs.length) this.#bandUs[p] = (performance.now() - a) * 1000;
      if (p >= local) this.#s.inline++;
    }
    if (nd > 0 && !awaitBarrier(ctl, this.#assigned, nd, epoch, this.#timeoutMs, mine.length > 0 && this.#spinUs > 0)) {
      for (let i = 0; i < nd; i++) {
        const s = this.#assigned[i];
        if (Atomics.load(ctl, at(s, DONE)) === epoch) continue;
        Atomics.store(ctl, at(s, CMD), CANCEL);
        Atomics.notify(ctl, at(s, CMD));
        this.#s.timeouts++;
        const p = this.#assignedPart[i];
        this.#log?.warn(
          { code: ErrorCode.SHARD_TIMEOUT, slot: s, partition: p, timeoutMs: this.#timeoutMs },
          'shard worker missed the barrier; partition re-run inline',
        );
        inline(p, parts[2 * p], parts[2 * p + 1]);
      }
    }
    for (let i = 0; i < nd; i++) {
      const p = this.#assignedPart[i];
      if (p < this.#bandUs.length) this.#bandUs[p] = Atomics.load(ctl, at(this.#assigned[i], BUSY_US));
    }
    this.#s.barrierMs += performance.now() - t0;
  }

  /**
   * One fused step (src/shards/fused-step.ts): partitions `0..count)` as parties, the first `local`
   * (0 or 1) run by the main thread itself, the others on READY workers, one dispatch each; id
   * ranges of the guard phase in `idParts` (`idCount` of them; the caller has begun the step and set
   * `P.idParts`). Returns false, having run nothing, when there are not enough READY workers (the
   * caller then runs the phases one by one, which can run any partition inline). When a party
   * misses the deadline (`barrierTimeoutMs`), every worker's command is cancelled and whatever
   * phase of whatever partition is not done is re-run on the main thread, in phase order; the
   * partitions that held the step back are counted as `timeouts` and logged. Synchronous.
   * `bands` receives the row bands ([lo0, hi0, ...]); returns true with the step's bodies staged.
   */
  runFused(idParts: Int32Array, idCount: number, count: number, local: number, bands: Int32Array, chunks = chunkCount(count)): boolean {
    if (this.#closed) throw new WorldtickError(ErrorCode.POOL_CLOSED, 'shard pool is closed');
    if (local > 1 || count > MAX_PARTITIONS || chunks < count || chunks > MAX_PARTITIONS || count - local > this.readyCount()) return false;
    const t0 = performance.now();
    const deadline = t0 + this.#timeoutMs;
    const ctl = this.#ctl,
      plan = this.#plan;
    const epoch = ++this.#epoch;
    this.#s.runs++;
    const first = this.#phases + 1;
    this.#phases += FUSED_PHASES;
    const crashPhase = this.#crashAtPhase >= first && this.#crashAtPhase < first + FUSED_PHASES ? this.#crashAtPhase - first + 1 : 0;
    Atomics.store(plan, PLAN_PARTIES, count);
    Atomics.store(plan, PLAN_ID_PARTS, idCount);
    Atomics.store(plan, PLAN_CHUNKS, chunks);
    openClaims(plan, CLAIM_BASE, epoch, idCount, chunks);
    for (let p = 0; p < idCount; p++) {
      Atomics.store(plan, pat(p, PW.idLo), idParts[2 * p]);
      Atomics.store(plan, pat(p, PW.idHi), idParts[2 * p + 1]);
    }
    baseWeights(this.#shared, this.#base);
    let nd = 0;
    let slot = 0;
    for (let p = local; p < count; p++) {
      while (this.#dead[slot] || Atomics.load(ctl, at(slot, READY)) !== 1) slot++;
      const crash = nd === 0 && crashPhase > 0;
      Atomics.store(ctl, at(slot, CRASH_AT), crash ? epoch : 0);
      Atomics.store(ctl, at(slot, CRASH_PHASE), crashPhase);
      dispatch(ctl, slot, epoch, p, 0, 0, ShardOp.fused);
      this.#assigned[nd] = slot;
      this.#assignedPart[nd] = p;
      nd++;
      slot++;
    }
    this.#s.dispatched += nd * FUSED_PHASES;
    let ok = local === 0 || runParty(this.#party, 0, epoch, () => true, deadline);
    if (ok && nd > 0) ok = awaitBarrier(ctl, this.#assigned, nd, epoch, Math.max(0, deadline - performance.now()));
    if (ok) for (let i = 0; i < 2 * count; i++) bands[i] = Atomics.load(plan, pat(i >> 1, i & 1 ? PW.bandHi : PW.bandLo));
    else this.#recoverFused(epoch, count, idCount, nd, bands, chunks);
    this.#s.barrierMs += performance.now() - t0;
    return true;
  }

  /** After a missed deadline in a fused step: cancel, count, and re-run what is not done, phase by phase, inline. */
  #recoverFused(epoch: number, count: number, idCount: number, nd: number, bands: Int32Array, chunks: number): void {
    const ctl = this.#ctl,
      plan = this.#plan;
    const done = new Int32Array(count);
    let least = FUSED_PHASES;
    for (let p = 0; p < count; p++) {
      done[p] = progressOf(plan, p, epoch);
      if (done[p] < least) least = done[p];
    }
    for (let i = 0; i < nd; i++) {
      const sl = this.#assigned[i];
      if (Atomics.load(ctl, at(sl, DONE)) === epoch) continue;
      Atomics.store(ctl, at(sl, CMD), CANCEL);
      Atomics.notify(ctl, at(sl, CMD));
      const p = this.#assignedPart[i];
      if (done[p] !== least) continue; // a live party waiting at a barrier for the late one
      this.#s.timeouts++;
      this.#log?.warn(
        { code: ErrorCode.SHARD_TIMEOUT, slot: sl, partition: p, phase: least + 1, timeoutMs: this.#timeoutMs },
        'shard worker missed the barrier; the rest of the step re-run inline',
      );
    }
    // Wake the parties sleeping at a barrier: they see the cancel and stand down.
    Atomics.add(plan, PLAN_SEQ, 1);
    Atomics.notify(plan, PLAN_SEQ);
    rerunMissing(this.#party, epoch, idCount, chunks);
    nominalBands(this.#party.bands, chunks, count, bands);
  }

  /** Wall µs party `p` of the last fused step spent in `phase` (1..3), where it ran. */
  lastPartyUs(p: number, phase: number): number {
    return Atomics.load(this.#plan, pat(p, PW.us1 + phase - 1));
  }

  /**
   * Wall µs each partition of the last {@link run} took where it ran (its worker's own time, or the
   * main thread's), for partitions `0..count)` (at most 64) — the balance of the bands.
   */
  lastBandUs(count: number): Float64Array {
    return this.#bandUs.subarray(0, Math.min(count, this.#bandUs.length));
  }

  /** Counters (fresh object). */
  stats(): ShardPoolStats {
    return { shards: this.shards, ...this.#s, ready: this.#closed ? 0 : this.readyCount() };
  }

  /** Stop every worker and terminate the threads. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (let s = 0; s < this.shards; s++) {
      Atomics.store(this.#ctl, at(s, CMD), STOP);
      Atomics.notify(this.#ctl, at(s, CMD));
    }
    await Promise.race([Promise.allSettled(this.#serving), new Promise((r) => setTimeout(r, 2000).unref())]);
    await this.#pool.destroy().catch(() => {});
  }
}
