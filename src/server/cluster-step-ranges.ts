/**
 * The cluster service's record of who stepped what (src/server/cluster-service.ts): per world,
 * a bounded list of step ranges (fencing token, steps, wall times), so tests and operators can
 * check that no two instances ever stepped one world at the same time.
 *
 * Bounded in worlds too: a world that stopped stepping here (migrated away, lost to a failover) keeps
 * its ranges, so they can be compared with the new owner's, but this instance is not told when such a
 * world is deleted elsewhere. So the log keeps the ranges of at most {@link MAX_WORLDS} worlds: past
 * that, a new world's first range drops the ranges of the world that stepped here longest ago
 * (a deleted world's id is not kept for good by an instance that churns worlds for months).
 */
import type { StepRange } from './cluster-types.js';

const RANGES_PER_WORLD = 64;
/** The slice of a world a step range is made of. */
export interface SteppedWorld {
  readonly id: string;
  readonly clock: { readonly step: number };
  readonly stats: { readonly totalMs: number };
  readonly config: { readonly simulation: { readonly tickIntervalSeconds: number } };
}

/** Worlds whose ranges are kept; past it, the world whose newest range ended first is dropped. */
export const MAX_WORLDS = 256;

/** Step ranges of this instance's worlds: the last {@link RANGES_PER_WORLD} per world, the newest open; at most {@link MAX_WORLDS} worlds. */
export class StepRangeLog {
  readonly #ranges = new Map<string, StepRange[]>();
  readonly #open = new Map<string, StepRange>();

  /** A step of `world` ended at wall `end` (epoch ms) under `token`: extend the open range or open a new one. */
  record(world: SteppedWorld, instanceId: string, token: number, end: number): void {
    const start = end - world.stats.totalMs;
    const step = world.clock.step;
    const open = this.#open.get(world.id);
    const gapMs = Math.max(250, 3 * world.config.simulation.tickIntervalSeconds * 1000);
    if (open && open.fencingToken === token && open.toStep === step - 1 && start - open.endMs < gapMs) {
      open.toStep = step;
      open.endMs = end;
      return;
    }
    const r: StepRange = {
      worldId: world.id,
      instanceId,
      fencingToken: token,
      fromStep: step,
      toStep: step,
      startMs: start,
      endMs: end,
    };
    let list = this.#ranges.get(world.id);
    if (!list) {
      if (this.#ranges.size >= MAX_WORLDS) this.#dropStalest();
      this.#ranges.set(world.id, (list = []));
    }
    list.push(r);
    if (list.length > RANGES_PER_WORLD) list.shift();
    this.#open.set(world.id, r);
  }

  /** The world stopped stepping here: its next step opens a new range. */
  close(worldId: string): void {
    this.#open.delete(worldId);
  }

  /** Drop every range of a deleted world. */
  forget(worldId: string): void {
    this.#ranges.delete(worldId);
    this.#open.delete(worldId);
  }

  /** Drop the ranges of the world whose newest range ended first (one that stepped here longest ago). */
  #dropStalest(): void {
    let stalest: string | undefined;
    let endMs = Number.POSITIVE_INFINITY;
    for (const [id, list] of this.#ranges) {
      const last = list[list.length - 1];
      if (last !== undefined && last.endMs < endMs) {
        endMs = last.endMs;
        stalest = id;
      }
    }
    if (stalest !== undefined) this.forget(stalest);
  }

  /** Recorded step ranges (oldest first per world), including the open one. */
  all(): StepRange[] {
    const out: StepRange[] = [];
    for (const list of this.#ranges.values()) out.push(...list);
    return out;
  }
}
