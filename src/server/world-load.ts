/**
 * Measured load of the worlds an instance steps (docs/CLUSTER.md, "Placement and balancing"):
 * cumulative step ms per world (fed by the runner's onStep), sampled by the cluster's control
 * tick; a world's load is its ms of stepping per wall second between the oldest sample that
 * already had it and the newest.
 */

/** Control-tick samples the per-world load is measured over (about two lease TTLs). */
export const LOAD_WINDOW = 7;

/** Per-world step cost meter. A class: it holds the samples. */
export class WorldLoadMeter {
  readonly #stepMs = new Map<string, number>();
  #samples: Array<{ at: number; ms: Map<string, number> }> = [];

  /** A step of `worldId` took `ms`. */
  onStep(worldId: string, ms: number): void {
    this.#stepMs.set(worldId, (this.#stepMs.get(worldId) ?? 0) + ms);
  }

  /** Take a sample now (`at`: monotonic ms); keeps the last {@link LOAD_WINDOW}. */
  sample(at: number): void {
    this.#samples.push({ at, ms: new Map(this.#stepMs) });
    if (this.#samples.length > LOAD_WINDOW) this.#samples.shift();
  }

  /** The world left: measured afresh if it comes back. */
  forget(worldId: string): void {
    this.#stepMs.delete(worldId);
    for (const x of this.#samples) x.ms.delete(worldId);
  }

  /** Step ms per wall second of `worldId` over the window (0 until two samples have it). */
  load(worldId: string): number {
    const s = this.#samples;
    const last = s[s.length - 1];
    const first = s.find((x) => x.ms.has(worldId));
    const secs = first && last && last.at > first.at ? (last.at - first.at) / 1000 : 0;
    const ms = secs > 0 && first && last ? ((last.ms.get(worldId) ?? 0) - (first.ms.get(worldId) ?? 0)) / secs : 0;
    return Math.max(0, Math.round(ms * 100) / 100);
  }
}
