/**
 * Ingest buffers: facts from outside the step (network callbacks, admin, jobs) wait here until
 * the ingest phase applies them, so nothing mutates a world between or during systems.
 *
 *   push(type, key, fact) ──► [type buffer] ─┐      lanes (weighted)        ingest phase
 *                                            ├─► input    (floor, uncut) ─┐
 *   latestByKey: Map key→fact (coalesces)    ├─► critical (floor, uncut) ─┼─► apply(world, key, fact)
 *   queue: ring of (key, fact), FIFO         └─► default / custom (budget) ┘
 *
 * Floor lanes (`input`, `critical`) are drained completely every step, before and outside the
 * controller's `ingestDrain` budget. Budgeted lanes share the budget by weight; whatever one
 * lane cannot use goes to the others (work-conserving).
 *
 * A buffer owns memory and counters, hence a class. One per world (`world.ingest`).
 */
import { WorldtickError, ErrorCode } from '../errors.js';
import type { CoreWorld } from '../core/world-core.js';
import {
  createTypeBuffer,
  INGEST_COUNTERS,
  pendingOf,
  pushFact,
  shrinkRing,
  type IngestCounters,
  type PushOutcome,
  type TypeBuffer,
} from './type-buffer.js';
import { applyOne, drainLane, drainType, lanePending, type IngestTap, type Lane } from './ingest-drain.js';

export type { PushOutcome } from './type-buffer.js';

/** How a fact type buffers. */
export type IngestMode = 'latestByKey' | 'queue';
/** What a full (non-critical) buffer does with one more fact. */
export type DropPolicy = 'dropOldest' | 'rejectNewest';

/** Options of {@link IngestBuffers.define}. */
export interface IngestTypeOptions {
  /** `latestByKey`: one pending fact per key, a newer one replaces it. `queue`: FIFO. */
  mode: IngestMode;
  /** Most pending facts (latestByKey: distinct keys). Integer 1..1,048,576. */
  capacity: number;
  /**
   * Lane name. Default: a lane named like the type if one exists (so type `input` lands in the
   * built-in floor lane `input`), else `critical` for critical types, else `default`.
   */
  lane?: string;
  /** Full-buffer policy (ignored for critical types). Default `dropOldest`. */
  dropPolicy?: DropPolicy;
  /**
   * Critical facts (purchases, transactions) are never dropped: the buffer grows past
   * `capacity` up to `hardCapacity`; beyond that `push` throws `WT_ERR_INGEST_CRITICAL_FULL`
   * (the caller still holds the fact and must answer its client). Drained first, never cut.
   */
  critical?: boolean;
  /** Hard bound of a critical buffer. Default 4 × capacity. */
  hardCapacity?: number;
  /**
   * Applies one fact inside the ingest phase. Must validate before it mutates: a throw is
   * caught, counted in `applyErrors`, and the fact is discarded (the world is not faulted).
   */
  apply: (world: CoreWorld, key: number, fact: unknown) => void;
}

/** Options of {@link IngestBuffers.defineLane}. */
export interface LaneOptions {
  /** Share of the drain budget relative to other budgeted lanes (> 0). Default 1. */
  weight?: number;
  /** A floor lane is drained completely every step, outside the budget. Default false. */
  floor?: boolean;
}

/** Per-type metrics (see docs/ADAPTIVE.md). Counters are totals since the type was defined. */
export interface IngestTypeStats extends IngestCounters {
  type: string;
  mode: IngestMode;
  lane: string;
  critical: boolean;
  /** Facts waiting for the next ingest phase. */
  pending: number;
  capacity: number;
  /** Wall ms spent applying this type's facts (its handler: a game message's `apply`, a fact's), in total and in the last ingest phase. */
  applyMs: number;
  applyMsLastStep: number;
  /** pending / capacity (a critical buffer may exceed 1). */
  fill: number;
  /**
   * Arrivals (every push with a valid key, whatever its outcome) per simulation second,
   * exponentially smoothed over steps (α = 0.2). Simulation seconds, not wall: deterministic.
   */
  ratePerSecond: number;
}

/** Whole-buffer summary (what the controller reads). */
export interface IngestSummary {
  /** Pending facts in budgeted lanes. */
  pendingBudgeted: number;
  /** Pending facts in floor lanes. */
  pendingFloor: number;
  /** Highest fill among budgeted types (0 when none). The controller's "pressure". */
  maxFillBudgeted: number;
  /** Facts applied by the last ingest phase (all lanes). */
  drainedLastStep: number;
  /** True when the last drain stopped at the budget with budgeted facts still pending. */
  cutLastStep: boolean;
  /** Applies that threw since the world began, all types (each fact discarded; `takeApplyError` says why). */
  applyErrors: number;
}

const MAX_CAPACITY = 1 << 20;
const NAME_RE = /^[A-Za-z0-9_.:-]{1,64}$/;
const RATE_ALPHA = 0.2;

const bad = (problems: string[]): WorldtickError =>
  new WorldtickError(ErrorCode.OPTION_INVALID, `invalid ingest options: ${problems.join('; ')}`, { details: { problems } });

/** Per-world ingest buffers. Create with `new IngestBuffers()`; `createSimWorld` does. */
export class IngestBuffers {
  readonly #types = new Map<string, TypeBuffer>();
  readonly #lanes = new Map<string, Lane>();
  /** Lanes in drain order: floor lanes first (definition order), then budgeted ones. */
  #order: Lane[] = [];
  #summary: IngestSummary = {
    pendingBudgeted: 0,
    pendingFloor: 0,
    maxFillBudgeted: 0,
    drainedLastStep: 0,
    cutLastStep: false,
    applyErrors: 0,
  };

  constructor() {
    this.defineLane('input', { floor: true });
    this.defineLane('critical', { floor: true });
    this.defineLane('default', { weight: 1 });
  }

  /** Define (or re-weight) a lane. Throws `WT_ERR_OPTION_INVALID` on bad options. */
  defineLane(name: string, opts: LaneOptions = {}): void {
    const problems: string[] = [];
    if (typeof name !== 'string' || !NAME_RE.test(name)) problems.push('lane name must be 1-64 characters of A-Z a-z 0-9 _ . : -');
    const weight = opts.weight ?? 1;
    if (typeof weight !== 'number' || !(weight > 0) || weight > 1e6) problems.push('lane weight must be a number > 0 and <= 1000000');
    if (problems.length) throw bad(problems);
    const lane = this.#lanes.get(name);
    if (lane) {
      lane.weight = weight;
      lane.floor = opts.floor ?? lane.floor;
    } else this.#lanes.set(name, { name, weight, floor: opts.floor ?? false, types: [], cursor: 0 });
    this.#order = [...this.#lanes.values()].sort((a, b) => Number(b.floor) - Number(a.floor));
  }

  /**
   * Observer of every fact applied, called inside the ingest phase just before the fact's
   * `apply` (in application order) — the recorder's hook (src/replay). Null (the default) costs
   * one check per fact.
   */
  tap: IngestTap | null = null;

  /**
   * Apply one recorded fact of `type` now, as the ingest phase would (a throwing apply is counted
   * in `applyErrors`). Replay only (src/replay): facts are re-applied in their recorded order.
   * Throws `WT_ERR_INGEST_UNKNOWN_TYPE` for an undefined type.
   */
  applyRecorded(world: CoreWorld, type: string, key: number, fact: unknown): void {
    const buf = this.#types.get(type);
    if (!buf)
      throw new WorldtickError(ErrorCode.INGEST_UNKNOWN_TYPE, `unknown ingest type ${JSON.stringify(String(type)).slice(0, 80)}`, {
        details: { type: String(type).slice(0, 64) },
      });
    applyOne(world, buf, key, fact, null);
    buf.drained++;
    buf.drainedLastStep++;
  }

  /**
   * Register a fact type and the function that applies one fact in the ingest phase.
   * Throws `WT_ERR_INGEST_TYPE_EXISTS` when the type is defined already, `WT_ERR_OPTION_INVALID`
   * on bad options (every problem listed).
   */
  define(type: string, opts: IngestTypeOptions): void {
    if (this.#types.has(type))
      throw new WorldtickError(ErrorCode.INGEST_TYPE_EXISTS, `ingest type ${JSON.stringify(type)} is already defined`, {
        details: { type },
      });
    const problems: string[] = [];
    if (typeof type !== 'string' || !NAME_RE.test(type)) problems.push('type must be 1-64 characters of A-Z a-z 0-9 _ . : -');
    if (opts.mode !== 'latestByKey' && opts.mode !== 'queue') problems.push('mode must be latestByKey or queue');
    if (!Number.isInteger(opts.capacity) || opts.capacity < 1 || opts.capacity > MAX_CAPACITY)
      problems.push(`capacity must be an integer between 1 and ${MAX_CAPACITY}`);
    const policy = opts.dropPolicy ?? 'dropOldest';
    if (policy !== 'dropOldest' && policy !== 'rejectNewest') problems.push('dropPolicy must be dropOldest or rejectNewest');
    const critical = opts.critical === true;
    const hard = critical ? (opts.hardCapacity ?? opts.capacity * 4) : opts.capacity;
    if (critical && (!Number.isInteger(hard) || hard < opts.capacity || hard > MAX_CAPACITY * 4))
      problems.push('hardCapacity must be an integer >= capacity');
    if (typeof opts.apply !== 'function') problems.push('apply must be a function');
    const laneName = opts.lane ?? (this.#lanes.has(type) ? type : critical ? 'critical' : 'default');
    const lane = this.#lanes.get(laneName);
    if (!lane) problems.push(`lane ${JSON.stringify(laneName)} is not defined (defineLane first)`);
    if (problems.length) throw bad(problems);
    const buf = createTypeBuffer(type, opts.mode, opts.capacity, hard, policy, critical, laneName, opts.apply);
    this.#types.set(type, buf);
    lane!.types.push(buf);
  }

  /** True when `type` is defined. */
  has(type: string): boolean {
    return this.#types.has(type);
  }

  /**
   * True when `type` holds its capacity of pending facts (for a critical type: the soft capacity,
   * below its hard bound). False for an undefined type. Allocates nothing (unlike {@link stats}).
   */
  atCapacity(type: string): boolean {
    const buf = this.#types.get(type);
    return buf !== undefined && pendingOf(buf) >= buf.capacity;
  }

  /**
   * Offer one fact (from outside the step). Returns what happened to it:
   * `accepted` (new pending entry), `coalesced` (replaced the pending fact of this key),
   * `dropped` (accepted, but the oldest pending fact was evicted — counted in `dropped`),
   * `rejected` (full buffer with `rejectNewest`: the fact is not kept — counted).
   * Throws `WT_ERR_INGEST_UNKNOWN_TYPE` for an undefined type, `WT_ERR_INGEST_BAD_FACT` for a key
   * that is not an integer 0..2^32-1 (counted in `invalid`), and `WT_ERR_INGEST_CRITICAL_FULL`
   * when a critical buffer is at its hard bound (counted in `rejected`). A throw changes nothing.
   */
  push(type: string, key: number, fact: unknown): PushOutcome {
    const buf = this.#types.get(type);
    if (!buf)
      throw new WorldtickError(ErrorCode.INGEST_UNKNOWN_TYPE, `unknown ingest type ${JSON.stringify(String(type)).slice(0, 80)}`, {
        details: { type: String(type).slice(0, 64) },
      });
    if (!Number.isInteger(key) || key < 0 || key > 0xffffffff) {
      buf.invalid++;
      throw new WorldtickError(ErrorCode.INGEST_BAD_FACT, `ingest key for ${type} must be an integer 0..4294967295`, { details: { type } });
    }
    buf.arrivalsThisStep++;
    const out = pushFact(buf, key, fact);
    if (out === 'full') {
      buf.rejected++;
      throw new WorldtickError(ErrorCode.INGEST_CRITICAL_FULL, `critical ingest buffer ${type} is at its hard bound (${buf.hard})`, {
        details: { type, hardCapacity: buf.hard },
      });
    }
    return out;
  }

  /**
   * Apply pending facts: floor lanes completely, then budgeted lanes up to `budget` facts in
   * total, shared by weight. Called once per step by the ingest system. Returns facts applied.
   */
  drain(world: CoreWorld, budget: number): number {
    for (const buf of this.#types.values()) {
      buf.drainedLastStep = 0;
      buf.applyMsLastStep = 0;
    }
    let total = 0;
    // Floor lanes: never cut by the budget.
    for (const lane of this.#order) {
      if (!lane.floor) continue;
      // Bounded by what is pending now: an apply that pushes again waits for the next step.
      for (let i = 0; i < lane.types.length; i++) total += drainType(world, lane.types[i], pendingOf(lane.types[i]), this.tap);
    }
    // Budgeted lanes: weighted shares, then leftovers to whoever still has facts.
    let left = Math.max(0, Math.floor(budget));
    let weightSum = 0;
    for (const lane of this.#order) if (!lane.floor && lanePending(lane) > 0) weightSum += lane.weight;
    if (weightSum > 0 && left > 0) {
      const budgetAll = left;
      for (const lane of this.#order) {
        if (lane.floor || left <= 0) continue;
        const share = Math.min(left, Math.floor((budgetAll * lane.weight) / weightSum));
        const n = drainLane(world, lane, share, this.tap);
        left -= n;
        total += n;
      }
      for (const lane of this.#order) {
        if (lane.floor || left <= 0) continue;
        const n = drainLane(world, lane, left, this.tap);
        left -= n;
        total += n;
      }
    }
    this.#endStep(world.ctx.stepSeconds, total);
    return total;
  }

  #endStep(stepSeconds: number, drained: number): void {
    const s = this.#summary;
    s.pendingBudgeted = 0;
    s.pendingFloor = 0;
    s.maxFillBudgeted = 0;
    s.drainedLastStep = drained;
    s.applyErrors = 0;
    for (const lane of this.#order) {
      for (const buf of lane.types) {
        s.applyErrors += buf.applyErrors;
        const p = pendingOf(buf);
        const rate = buf.arrivalsThisStep / (stepSeconds > 0 ? stepSeconds : 1);
        buf.rate = buf.rate + RATE_ALPHA * (rate - buf.rate);
        buf.arrivalsThisStep = 0;
        if (lane.floor) s.pendingFloor += p;
        else {
          s.pendingBudgeted += p;
          const fill = p / buf.capacity;
          if (fill > s.maxFillBudgeted) s.maxFillBudgeted = fill;
        }
      }
    }
    s.cutLastStep = s.pendingBudgeted > 0;
  }

  /**
   * Release memory after bursts: a latestByKey Map keeps its grown backing store after it
   * empties, so an empty map whose high-water mark passed `minHighWater` keys is replaced; an
   * empty queue ring grown past `minHighWater` slots goes back to its initial size.
   * Run by the periodic `runtime.cleanup` task. Returns the number of maps and rings replaced.
   */
  compact(minHighWater = 1024): number {
    let n = 0;
    for (const b of this.#types.values()) {
      if (b.map && b.map.size === 0 && b.highWater >= minHighWater) {
        b.map = new Map();
        n++;
      }
      if (shrinkRing(b, minHighWater)) n++;
      b.highWater = pendingOf(b);
    }
    return n;
  }

  /** Summary of the last drain (read by the controller). The object is reused; copy to keep. */
  summary(): Readonly<IngestSummary> {
    return this.#summary;
  }

  /**
   * The last error an `apply` threw since the previous call, with its fact type (one type's when
   * several threw), or null; clears them. For the runtime's log line (src/server/step-log.ts).
   */
  takeApplyError(): { type: string; error: unknown } | null {
    let out: { type: string; error: unknown } | null = null;
    for (const b of this.#types.values()) {
      if (b.lastApplyError === null) continue;
      out ??= { type: b.type, error: b.lastApplyError };
      b.lastApplyError = null;
    }
    return out;
  }

  /** Metrics per type, in definition order (a fresh array of fresh objects). */
  stats(): IngestTypeStats[] {
    const out: IngestTypeStats[] = [];
    for (const b of this.#types.values()) {
      const pending = pendingOf(b);
      const counters = {} as IngestCounters;
      for (const k of INGEST_COUNTERS) counters[k] = b[k];
      out.push({
        ...counters,
        type: b.type,
        mode: b.mode,
        lane: b.lane,
        critical: b.critical,
        pending,
        capacity: b.capacity,
        fill: pending / b.capacity,
        ratePerSecond: b.rate,
        applyMs: b.applyMs,
        applyMsLastStep: b.applyMsLastStep,
      });
    }
    return out;
  }
}

/** The slot ingest adds to a world: its buffers (facts pushed from outside the step, applied in the ingest phase). */
export interface IngestSlot {
  ingest: IngestBuffers;
}

/** A world's ingest slot. */
export const createIngestSlot = (): IngestSlot => ({ ingest: new IngestBuffers() });
