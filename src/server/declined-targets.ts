/**
 * The source side's memory of refusals by an older build (src/server/cluster-migration.ts): an
 * instance that refused a world because it cannot read the world's checkpoint (`checkpoint-too-new`)
 * is not asked for that world again — not by `migrate` with its `to` (409 at once, the world not held),
 * nor picked by a `migrate` without `to`, a drain or the balancer — for {@link DECLINED_TARGET_MS}.
 * After that it may be asked once more (it may have been upgraded in place, same instance id); if it
 * still refuses, the world is taken back as before and remembered again. A class: it owns the map.
 */

/** How long (wall ms) a refusal of a world as too new keeps that instance from being asked for it again: 5 minutes. */
export const DECLINED_TARGET_MS = 300_000;

/** Instances that refused a world as written by a newer build, per world, with when (wall ms). */
export class DeclinedTargets {
  readonly #byWorld = new Map<string, Map<string, number>>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /**
   * `instance` refused `worldId` now. Refusals past {@link DECLINED_TARGET_MS} of every world are dropped
   * first: a world that is not migrated again (deleted, or staying here) is not kept for good.
   */
  add(worldId: string, instance: string): void {
    const now = this.#now();
    for (const [id, refusals] of this.#byWorld) {
      for (const [by, at] of refusals) if (now - at >= DECLINED_TARGET_MS) refusals.delete(by);
      if (!refusals.size) this.#byWorld.delete(id);
    }
    const m = this.#byWorld.get(worldId) ?? new Map<string, number>();
    m.set(instance, now);
    this.#byWorld.set(worldId, m);
  }

  /** Worlds with a refusal kept (expired ones count until the next {@link add} or {@link of} of their world). */
  get worlds(): number {
    return this.#byWorld.size;
  }

  /** The instances not to ask for `worldId` now (refusals older than {@link DECLINED_TARGET_MS} are forgotten). */
  of(worldId: string): ReadonlySet<string> {
    const m = this.#byWorld.get(worldId);
    if (!m) return new Set();
    const now = this.#now();
    for (const [id, at] of m) if (now - at >= DECLINED_TARGET_MS) m.delete(id);
    if (!m.size) this.#byWorld.delete(worldId);
    return new Set(m.keys());
  }
}
