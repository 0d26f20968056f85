/**
 * The cluster service's view of the control plane (src/server/cluster-service.ts): the live instances
 * and the world leases as the last control tick read them from the coordinator, with this instance's
 * own record kept as it is now, and who owns a world according to it.
 */
import type { InstanceRecord, LeaseOwner } from '../cluster/coordinator.js';
import type { ClusterServiceOptions } from './cluster-types.js';
import type { DrainState } from './cluster-control-tick.js';

/** The owner of a world as the view says: its instance, token and URLs (null when unknown). */
export interface WorldOwner {
  instanceId: string;
  fencingToken: number;
  gameUrl: string | null;
  adminUrl: string | null;
}

/** How many worlds' last other holder {@link ClusterView.previousOwner} remembers (the oldest forgotten first). */
export const HOLDERS_REMEMBERED = 10_000;

/** How many lease TTLs {@link ClusterView.previousOwner} remembers a holder after its lease is gone. */
export const HOLDER_GRACE_TTLS = 2;

/** Instances and leases as of the last control tick. A class: it owns them (replaced whole by each tick). */
export class ClusterView {
  readonly #o: ClusterServiceOptions;
  readonly #drain: () => DrainState;
  #instances: InstanceRecord[] = [];
  #leases = new Map<string, LeaseOwner>();
  /**
   * The last other instance seen holding each world's lease (insertion order: oldest first), kept after its
   * lease is gone for {@link HOLDER_GRACE_TTLS} lease TTLs (`goneAt`: wall ms a tick first saw it gone), long
   * enough for the takeover that follows an expiry; then forgotten, so a world deleted elsewhere is not named for good.
   */
  readonly #holders = new Map<string, { instanceId: string; goneAt: number | null }>();
  #read = false;

  /** `drain`: whether this instance drains or stops now (its own capacity is then 0, flagged draining for a drain). */
  constructor(o: ClusterServiceOptions, drain: () => DrainState) {
    this.#o = o;
    this.#drain = drain;
  }

  /** Live instances (this instance's capacity as it is now). */
  get instances(): readonly InstanceRecord[] {
    return this.#instances;
  }

  /** Leases by world (this instance records the ones it takes or hands over between ticks). */
  get leases(): Map<string, LeaseOwner> {
    return this.#leases;
  }

  /**
   * What a control tick read. An instance that joined or left since the previous read is logged (info
   * `cluster: instance joined` / `cluster: instance left`, `peer`; a leaving one with the `worlds` it
   * held as of the previous read): a kill -9 otherwise showed only as `worldtick_cluster_instances`
   * dropping and, a TTL later, takeovers that do not say from whom. Not logged for the first read.
   */
  set(instances: InstanceRecord[], leases: Map<string, LeaseOwner>): void {
    if (this.#read) this.#logChanges(instances);
    this.#read = true;
    this.#instances = this.#ownCapacity(instances);
    this.#leases = leases;
    for (const l of leases.values()) if (l.instanceId !== this.#o.instanceId) this.#noteHolder(l.worldId, l.instanceId);
    const now = (this.#o.epochNow ?? Date.now)();
    for (const [w, h] of this.#holders) {
      if (leases.has(w)) h.goneAt = null;
      else if (h.goneAt === null) h.goneAt = now;
      else if (now - h.goneAt > HOLDER_GRACE_TTLS * this.#o.leaseTtlMs) this.#holders.delete(w);
    }
  }

  /** `instanceId` (another instance) held the lease of `worldId` as a control tick read it. */
  #noteHolder(worldId: string, instanceId: string): void {
    if (instanceId === this.#o.instanceId) return;
    this.#holders.delete(worldId); // re-inserted last: the oldest entries go first past the bound
    this.#holders.set(worldId, { instanceId, goneAt: null });
    if (this.#holders.size > HOLDERS_REMEMBERED) for (const w of this.#holders.keys()) if (this.#holders.delete(w)) break;
  }

  /**
   * The instance that held `worldId`'s lease before this one took it: the last other instance any control
   * tick of this process saw holding it (its lease may have expired since, up to {@link HOLDER_GRACE_TTLS}
   * TTLs ago), or null when none was seen (this instance started after that lease was gone, or it is long
   * gone). Log lines say `"unknown"` for null.
   */
  previousOwner(worldId: string): string | null {
    return this.#holders.get(worldId)?.instanceId ?? null;
  }

  /** Forget what is remembered of a deleted world. */
  forget(worldId: string): void {
    this.#holders.delete(worldId);
  }

  #logChanges(next: readonly InstanceRecord[]): void {
    const me = this.#o.instanceId;
    const before = new Set(this.#instances.map((i) => i.id));
    const now = new Set(next.map((i) => i.id));
    for (const id of now) if (id !== me && !before.has(id)) this.#o.logger.info({ peer: id }, 'cluster: instance joined');
    for (const id of before) {
      if (id === me || now.has(id)) continue;
      const worlds = [...this.#leases.values()].filter((l) => l.instanceId === id).map((l) => l.worldId);
      this.#o.logger.info({ peer: id, worlds }, 'cluster: instance left (stopped, or its heartbeat expired)');
    }
  }

  /** This instance's capacity changed (draining or stopping started, draining ended): its own record says so at once. */
  refreshOwn(): void {
    this.#instances = this.#ownCapacity(this.#instances);
  }

  /** Owner of a world (this instance's own leases are exact: the coordinator handle's). */
  ownerOf(worldId: string): WorldOwner | null {
    const o = this.#o;
    const held = o.coordinator.heldLease(worldId);
    if (held) return { instanceId: o.instanceId, fencingToken: held.fencingToken, gameUrl: o.gameUrl(), adminUrl: o.adminUrl() };
    const l = this.#leases.get(worldId);
    if (!l) return null;
    const inst = this.#instances.find((i) => i.id === l.instanceId);
    return { instanceId: l.instanceId, fencingToken: l.fencingToken, gameUrl: inst?.gameUrl ?? null, adminUrl: inst?.adminUrl ?? null };
  }

  /**
   * `instances` with this instance's own capacity and drain flag as they are now (capacity 0 while draining or
   * stopping): a list read by a control tick that overlapped a change of draining may predate its register.
   */
  #ownCapacity(instances: InstanceRecord[]): InstanceRecord[] {
    const drain = this.#drain();
    const capacity = drain === 'none' ? this.#o.capacity() : 0; // as instanceInfo says (not the load report: load() reads and resets a window)
    const draining = drain === 'draining';
    const own = (i: InstanceRecord) => i.id === this.#o.instanceId && (i.capacity !== capacity || i.draining !== draining);
    return instances.map((i) => (own(i) ? { ...i, capacity, draining } : i));
  }
}
