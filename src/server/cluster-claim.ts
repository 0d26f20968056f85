/**
 * The lease of a world created through the admin API, taken at once by the cluster service
 * (`ClusterService.claim`, src/server/cluster-service.ts) so its record can be written with that fence
 * before the `201` (src/server/created-world-durable.ts). Moved out of cluster-service.ts.
 */
import type { LeaseOwner } from '../cluster/coordinator.js';
import { worldNotDurable } from '../errors.js';
import type { FenceAnnouncer } from './cluster-fence-announce.js';
import type { ClusterCounters, ClusterServiceOptions } from './cluster-types.js';

/** What a claim reaches of the service. */
export interface ClaimContext {
  readonly opts: ClusterServiceOptions;
  readonly counters: ClusterCounters;
  readonly fences: FenceAnnouncer;
  /** Record the lease taken in the service's view. */
  readonly record: (lease: LeaseOwner) => void;
}

/**
 * Acquire the lease of `worldId` and announce its token to the store; resolves the token. Throws
 * `WT_ERR_WORLD_NOT_DURABLE` (the lease given back) when the lease is someone else's, the store
 * refused the token or its fence row stayed locked past the bound (the reason says which), or a coordinator error. Without `enforce`: the held token or 0, nothing acquired.
 */
export const claimWorld = async (x: ClaimContext, worldId: string): Promise<number> => {
  const o = x.opts;
  const c = o.coordinator;
  if (!o.enforce) return c.heldLease(worldId)?.fencingToken ?? 0;
  const id = o.instanceId;
  const r = await c.acquire(worldId, id, o.leaseTtlMs, x.fences.minToken(worldId));
  if (!r.ok) throw worldNotDurable(worldId, `its lease is held by ${r.owner?.instanceId ?? 'another instance'}`);
  x.counters.leaseAcquired++;
  x.record({ worldId, instanceId: id, fencingToken: r.fencingToken, ttlRemainingMs: r.ttlMs });
  if (!(await x.fences.announce(worldId, r.fencingToken))) {
    await c.release(worldId, id).catch(() => false);
    throw worldNotDurable(worldId, x.fences.failure(worldId) ?? `the store refused fencing token ${r.fencingToken}`);
  }
  o.logger.info({ world: worldId, fencingToken: r.fencingToken }, 'cluster: created world lease acquired');
  return r.fencingToken;
};
