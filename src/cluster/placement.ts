/**
 * Placement of a new world: the least-loaded live instance that has room.
 *
 * An instance's load score is the most saturated of its three measures, each as a fraction of
 * what one instance can take: `max(cpu, stepCostMs / 1000, sessions / capacity)` (cpu as a
 * fraction of a core, step cost in ms per wall second). Ties go to fewer sessions, then to the
 * smaller id, so the choice is deterministic.
 */
import type { InstanceRecord } from './coordinator.js';

/** What placement needs to know about an instance. */
export type PlacementCandidate = Pick<InstanceRecord, 'id' | 'capacity' | 'load'>;

/** Options of {@link placeWorld}. */
export interface PlacementOptions {
  /** Instance ids not to choose (draining, or the one a world is leaving). */
  readonly exclude?: Iterable<string>;
}

/**
 * Load score of an instance: 0 idle, 1 saturated (may exceed 1). A figure that is no number (an instance
 * record damaged in Redis: `Number('x')`) scores +Infinity: NaN compared false with every score, so such an
 * instance, once first, stayed the pick of every placement.
 */
export const instanceLoadScore = (c: PlacementCandidate): number => {
  const sessions = c.capacity > 0 ? c.load.sessions / c.capacity : Number.POSITIVE_INFINITY;
  const score = Math.max(c.load.cpu, c.load.stepCostMs / 1000, sessions);
  return Number.isNaN(score) ? Number.POSITIVE_INFINITY : score;
};

/** True when the instance accepts no more sessions (also when its sessions or capacity are no number). */
export const instanceFull = (c: PlacementCandidate): boolean => !(c.load.sessions < c.capacity);

/**
 * Picks the instance for a new world, or null when every candidate is excluded or full.
 * Pass {@link Coordinator.listInstances}' result: expired instances are already gone from it.
 */
export const placeWorld = <C extends PlacementCandidate>(candidates: readonly C[], options: PlacementOptions = {}): C | null => {
  const exclude = new Set(options.exclude ?? []);
  let best: C | null = null;
  let bestScore = 0;
  for (const c of candidates) {
    if (exclude.has(c.id) || instanceFull(c)) continue;
    const s = instanceLoadScore(c);
    if (
      best === null ||
      s < bestScore ||
      (s === bestScore && (c.load.sessions < best.load.sessions || (c.load.sessions === best.load.sessions && c.id < best.id)))
    ) {
      best = c;
      bestScore = s;
    }
  }
  return best;
};
