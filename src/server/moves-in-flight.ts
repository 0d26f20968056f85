/**
 * The moves of a world mover in flight (a world migrating out, adopted by a handover or a failover),
 * and a stop's wait for them (src/server/cluster-migration.ts `WorldMover.settle`; docs/CLUSTER.md
 * "Stopping during a migration").
 */
import type { Logger } from '../log.js';

/** Moves in flight → their world id. A class: it owns that map. */
export class MovesInFlight {
  readonly #inFlight = new Map<Promise<unknown>, string>();

  /** Run `move` of `worldId` as a move in flight (until it settles). */
  track<T>(worldId: string, move: Promise<T>): Promise<T> {
    const p = move.finally(() => this.#inFlight.delete(p));
    this.#inFlight.set(p, worldId);
    return p;
  }

  /**
   * Wait for the moves in flight to finish — at most `timeoutMs` wall ms (0 = until they end; each is
   * bounded by its own requests). Resolves the number still in flight at the bound (logged).
   */
  async settle(timeoutMs: number, log: Logger): Promise<number> {
    if (!this.#inFlight.size) return 0;
    log.info({ worlds: [...new Set(this.#inFlight.values())], timeoutMs }, 'cluster: stop waits for the migrations in flight');
    const deadline = timeoutMs > 0 ? performance.now() + timeoutMs : Number.POSITIVE_INFINITY;
    while (this.#inFlight.size) {
      const left = deadline - performance.now();
      if (left <= 0) {
        log.warn(
          { worlds: [...new Set(this.#inFlight.values())], timeoutMs },
          'cluster: migrations still in flight at the stop bound; stopping anyway',
        );
        return this.#inFlight.size;
      }
      let timer: NodeJS.Timeout | undefined;
      const all = Promise.allSettled([...this.#inFlight.keys()]);
      await (Number.isFinite(left) ? Promise.race([all, new Promise((r) => (timer = setTimeout(r, left)))]) : all);
      clearTimeout(timer);
    }
    log.info('cluster: migrations in flight finished; stopping');
    return 0;
  }
}
