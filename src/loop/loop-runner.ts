/**
 * The loop runner: ticks many worlds in one process, each on its own fixed timestep.
 *
 *   anchor            anchor + k·interval          now
 *     |-----|-----|-----|-----|-----|-----|-----|---^
 *       k=1   k=2   ...   (steps run)   due = floor((now - anchor) / interval) - k
 *
 * Drift-free: the k-th step of a world is targeted at `anchor + k·interval`, never at
 * "now + interval", so timer lateness never accumulates. When more than `maxCatchUpSteps` are
 * due (a stall), only that many run; the rest are dropped and counted (no spiral of death).
 * A world whose system throws is faulted (paused, reported) and the others keep their cadence.
 * Paused or faulted worlds are re-anchored, so resuming does not replay the pause.
 *
 * Anchors sit on a grid shared by every world of the same interval (multiples of the interval
 * on the runner's clock, {@link tickAt}): a world added or resumed between two ticks takes its
 * first step at the next tick of that grid (within one interval), so all the worlds of an
 * interval step on one timer wake instead of one wake each (with 300 worlds, ~20 wakes/s
 * instead of hundreds, each walking every world).
 *
 * All times here are wall milliseconds (operational); world time is advanced by the systems.
 */
import { worldExists, worldNotFound } from '../errors.js';
import type { SimWorld } from '../world/sim-world.js';
import { faultWorld, runStep } from '../world/step.js';
import { cpuMsBetween, cpuVerdict, createCpuMeter, sampleCpu, type CpuMeter, type CpuVerdict } from '../controller/cpu-meter.js';

/** A tick of the loop's timer at least this late (wall ms) is reported (`onLate`). */
export const LOOP_LATE_MS = 1000;

/** A late tick of the loop's timer (`onLate`): the event loop did not come back to the loop in time. */
export interface LoopLate {
  /** Wall ms the timer fired after it was due. */
  lateMs: number;
  /** Wall ms since the previous tick began (the late stretch, the previous tick's own steps included). */
  wallMs: number;
  /** CPU (user + system, every thread) the process used over `wallMs`. */
  processCpuMs: number;
  /** `busy`: work outside the steps held the event loop; `contended`, `off-cpu`: the process ran part of the time, or not at all (cpu-meter.ts `cpuVerdict`). */
  cpu: CpuVerdict;
  /** Steps this tick dropped, over every world (beyond `maxCatchUpSteps`; world time skipped them). */
  droppedSteps: number;
}

/** The last tick of the shared grid of `intervalMs` at or before `nowMs` (wall ms). */
const tickAt = (nowMs: number, intervalMs: number): number => Math.floor(nowMs / intervalMs) * intervalMs;

interface Entry {
  world: SimWorld;
  anchorMs: number;
  /** Steps accounted for (run or dropped) since the anchor. */
  k: number;
  intervalMs: number;
  configVersion: number;
}

export interface LoopRunnerOptions {
  /** Wall clock in milliseconds; injectable for tests. Default `performance.now`. */
  now?: () => number;
  /** Called once when a world faults. */
  onFault?: (world: SimWorld, err: unknown) => void;
  /** Called after every step of a world (stats, control). */
  onStep?: (world: SimWorld) => void;
  /** Longest the timer sleeps when no world is running (ms). Default 50. */
  idlePollMs?: number;
  /**
   * Gate asked before every step: false holds the world like a pause (re-anchored, nothing
   * dropped or counted). The cluster service passes "this instance can prove it owns the world".
   */
  canStep?: (world: SimWorld) => boolean;
  /**
   * Wall ms of the process-CPU window handed to every world's controller (`controller.cpuShare`,
   * its CPU budget). Sampled on the real timer only. Default 1000; 0 disables.
   */
  cpuWindowMs?: number;
  /**
   * Called after a tick of the real timer that fired {@link LOOP_LATE_MS} or more after it was due:
   * the event loop was held outside the steps (a step's own length is the step log's), or the
   * process did not run. With it, each tick reads `process.cpuUsage()` once.
   */
  onLate?: (late: LoopLate) => void;
}

/** Runs worlds on their fixed timesteps. Owns the timer, hence a class. */
export class LoopRunner {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;
  readonly #onFault: ((world: SimWorld, err: unknown) => void) | undefined;
  readonly #onStep: ((world: SimWorld) => void) | undefined;
  readonly #idlePollMs: number;
  readonly #canStep: ((world: SimWorld) => boolean) | undefined;
  #timer: NodeJS.Timeout | null = null;
  #running = false;
  readonly #cpuWindowMs: number;
  #cpu: CpuMeter | null = null;
  readonly #onLate: ((late: LoopLate) => void) | undefined;
  /** Wall ms the pending timer is due; the last real tick's start and its `process.cpuUsage()` (with `onLate`). */
  #dueAt = 0;
  #tickAt = 0;
  #tickCpu: NodeJS.CpuUsage | null = null;
  /** Steps the last `runDue` dropped, over every world. */
  #dropped = 0;

  constructor(opts: LoopRunnerOptions = {}) {
    this.#now = opts.now ?? (() => performance.now());
    this.#onFault = opts.onFault;
    this.#onStep = opts.onStep;
    this.#idlePollMs = opts.idlePollMs ?? 50;
    this.#canStep = opts.canStep;
    this.#cpuWindowMs = opts.cpuWindowMs ?? 1000;
    this.#onLate = opts.onLate;
  }

  /**
   * CPU ms (every thread) the process used since the current real tick began, or null (no `onLate`,
   * or before the first tick): the step log's measure of whether a stalled step ran or the process stood still.
   */
  cpuMsSinceTick(): number | null {
    return this.#tickCpu === null ? null : cpuMsBetween(this.#tickCpu, process.cpuUsage());
  }

  /**
   * Report a step of `world` run outside the loop (the admin API's forced `/step` on a paused
   * world): runs the same per-step hook as the loop's own steps (the runtime's: telemetry, cluster
   * step ranges, the clock record every 10 steps). Returns false when the runner has no hook.
   */
  reportStep(world: SimWorld): boolean {
    if (this.#onStep === undefined) return false;
    this.#onStep(world);
    return true;
  }

  /** Register a world; it starts on its schedule at the next tick. */
  add(world: SimWorld): void {
    if (this.#entries.has(world.id)) throw worldExists(world.id);
    this.#entries.set(world.id, this.#entry(world, this.#now()));
    this.#kick();
  }

  /** Unregister a world; returns it. */
  remove(id: string): SimWorld {
    const e = this.#entries.get(id);
    if (!e) throw worldNotFound(id);
    this.#entries.delete(id);
    return e.world;
  }

  /** The world with this id, or throws `WT_ERR_WORLD_NOT_FOUND`. */
  get(id: string): SimWorld {
    const e = this.#entries.get(id);
    if (!e) throw worldNotFound(id);
    return e.world;
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  /** All registered worlds, in registration order. */
  worlds(): SimWorld[] {
    return [...this.#entries.values()].map((e) => e.world);
  }

  #entry(world: SimWorld, now: number): Entry {
    const intervalMs = world.config.simulation.tickIntervalSeconds * 1000;
    return {
      world,
      anchorMs: tickAt(now, intervalMs),
      k: 0,
      intervalMs,
      configVersion: world.configVersion,
    };
  }

  /**
   * Run every step that is due at wall time `nowMs` (the timer calls this; tests call it with
   * a synthetic clock). Returns the number of steps run.
   */
  runDue(nowMs: number = this.#now()): number {
    let ran = 0;
    this.#dropped = 0;
    for (const e of this.#entries.values()) {
      const w = e.world;
      if (w.configVersion !== e.configVersion) {
        const interval = w.config.simulation.tickIntervalSeconds * 1000;
        if (interval !== e.intervalMs) {
          // The next step comes at the first tick of the new interval's grid after the last scheduled one.
          e.anchorMs = tickAt(e.anchorMs + e.k * e.intervalMs, interval);
          e.k = 0;
          e.intervalMs = interval;
        }
        e.configVersion = w.configVersion;
      }
      if (w.clock.paused || w.fault || (this.#canStep !== undefined && !this.#canStep(w))) {
        e.anchorMs = tickAt(nowMs, e.intervalMs);
        e.k = 0;
        continue;
      }
      const due = Math.floor((nowMs - e.anchorMs) / e.intervalMs) - e.k;
      if (due <= 0) continue;
      const cap = w.config.simulation.maxCatchUpSteps;
      let run = due;
      if (due > cap) {
        const dropped = due - cap;
        w.counters.droppedSteps += dropped;
        this.#dropped += dropped;
        w.counters.droppedSeconds += (dropped * e.intervalMs) / 1000;
        e.k += dropped;
        run = cap;
      }
      for (let i = 0; i < run; i++) {
        // Asked again before each catch-up step: the gate may close between two of them.
        if (i > 0 && this.#canStep !== undefined && !this.#canStep(w)) break;
        try {
          runStep(w);
        } catch (err) {
          faultWorld(w, err);
          this.#onFault?.(w, err);
          break;
        }
        e.k++;
        ran++;
        this.#onStep?.(w);
      }
      // Re-anchor now and then so k stays small and float error cannot creep in over days.
      if (e.k >= 1_000_000) {
        e.anchorMs += e.k * e.intervalMs;
        e.k = 0;
      }
    }
    return ran;
  }

  /** Wall time (ms) of the next due step across running worlds, or null if none runs. */
  nextDueMs(): number | null {
    let next: number | null = null;
    for (const e of this.#entries.values()) {
      if (e.world.clock.paused || e.world.fault || (this.#canStep !== undefined && !this.#canStep(e.world))) continue;
      const t = e.anchorMs + (e.k + 1) * e.intervalMs;
      if (next === null || t < next) next = t;
    }
    return next;
  }

  /**
   * Wall ms from now until the next due step across running worlds: negative when a step is late,
   * `Infinity` when none runs. Background work (the session sweep) sizes itself to fit in it.
   */
  slackMs(): number {
    const next = this.nextDueMs();
    return next === null ? Number.POSITIVE_INFINITY : next - this.#now();
  }

  /** Start ticking on real timers. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule();
  }

  /** Stop ticking (the current step, if any, has already finished: steps are synchronous). */
  stop(): void {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  get running(): boolean {
    return this.#running;
  }

  #kick(): void {
    if (!this.#running) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#schedule();
  }

  #schedule(): void {
    const now = this.#now();
    const next = this.nextDueMs();
    const delay = next === null ? this.#idlePollMs : Math.min(this.#idlePollMs, Math.max(0, next - now));
    this.#dueAt = now + delay;
    this.#timer = setTimeout(this.#tick, delay);
  }

  readonly #tick = (): void => {
    this.#timer = null;
    if (!this.#running) return;
    const now = this.#now();
    if (this.#cpuWindowMs > 0) {
      // Process CPU share for the controllers' CPU budget (real timer only, never manual steps).
      if (!this.#cpu) this.#cpu = createCpuMeter(now, this.#cpuWindowMs);
      const share = sampleCpu(this.#cpu, now);
      if (share >= 0) for (const e of this.#entries.values()) e.world.controller.cpuShare = share;
    }
    if (this.#onLate === undefined) this.runDue(now);
    else this.#lateTick(now);
    this.#schedule();
  };

  /** A tick that reads the process CPU, and reports itself when it came {@link LOOP_LATE_MS} late. */
  #lateTick(now: number): void {
    const late = now - this.#dueAt;
    const prevAt = this.#tickAt;
    const prevCpu = this.#tickCpu;
    this.#tickAt = now;
    this.#tickCpu = process.cpuUsage();
    if (late < LOOP_LATE_MS || prevCpu === null) {
      this.runDue(now);
      return;
    }
    this.runDue(now);
    const dropped = this.#dropped;
    const processCpuMs = cpuMsBetween(prevCpu, this.#tickCpu);
    const wallMs = now - prevAt;
    this.#onLate?.({ lateMs: late, wallMs, processCpuMs, cpu: cpuVerdict(processCpuMs, wallMs), droppedSteps: dropped });
  }
}
