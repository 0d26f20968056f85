/**
 * The cluster service's side of store fencing (src/server/cluster-service.ts, docs/CLUSTER.md):
 * a new lease owner announces its fencing token to the store once before the world steps or
 * writes, and a refusal tells it the store has seen a higher token than the coordinator handed
 * out (the coordinator lost its counter) — the lease is then given back and the next grant must
 * exceed the store's token.
 */
import { isWorldtickError } from '../errors.js';
import type { ClusterCounters, ClusterServiceOptions } from './cluster-types.js';

/** Tokens announced to the store, and the tokens the store refused ours for, per world. A class: it owns both maps. */
export class FenceAnnouncer {
  readonly #o: ClusterServiceOptions;
  readonly #counters: ClusterCounters;
  /** Token announced to the store per world (only with `store`). */
  readonly #announced = new Map<string, number>();
  /** Highest token the store refused ours for, per world: the next grant must exceed it (coordinator lost its counter). */
  readonly #storeTokens = new Map<string, number>();

  constructor(opts: ClusterServiceOptions, counters: ClusterCounters) {
    this.#o = opts;
    this.#counters = counters;
  }

  /** The token last announced to the store for `worldId`, if any. */
  announced(worldId: string): number | undefined {
    return this.#announced.get(worldId);
  }

  /** The token a new grant of `worldId` must exceed (0: any). */
  minToken(worldId: string): number {
    return this.#storeTokens.get(worldId) ?? 0;
  }

  /** Forget what was announced for `worldId` (it was deleted here). */
  forget(worldId: string): void {
    this.#announced.delete(worldId);
  }

  /** Announce a token to the store once (new owners only); a refusal keeps the world stopped with that token. */
  async announce(worldId: string, token: number): Promise<boolean> {
    const store = this.#o.store;
    if (!store || this.#announced.get(worldId) === token) return true;
    try {
      await store.fence({ worldId, token });
      this.#announced.set(worldId, token);
      this.#o.onToken?.(worldId, token);
      return true;
    } catch (err) {
      this.#counters.fenceRefusals++;
      this.#o.logger.warn({ world: worldId, fencingToken: token, err }, 'cluster: the store refused the fencing token; not stepping');
      // The store has seen a higher token than the coordinator hands out for the lease we hold: the
      // coordinator lost its counter (Redis restarted without its data). Give the lease back; the
      // next grant (any instance's) is re-seeded above the store's token, so the world steps again.
      const current = isWorldtickError(err, 'WT_ERR_STORE_FENCED') ? Number(Reflect.get(Object(err.details), 'current')) : Number.NaN;
      const held = this.#o.coordinator.heldLease(worldId);
      if (Number.isSafeInteger(current) && current > token && held?.fencingToken === token) {
        this.#storeTokens.set(worldId, Math.max(current, this.#storeTokens.get(worldId) ?? 0));
        await this.#o.coordinator.release(worldId, this.#o.instanceId).catch(() => false);
      }
      return false;
    }
  }
}
