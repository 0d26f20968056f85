/**
 * The orphan scan of the cluster service's takeover (src/server/cluster-takeover.ts, docs/CLUSTER.md "Failover"):
 * each control tick lists the stored worlds (bounded: one listing in flight at most) and finds those hosted by
 * nobody — no live lease, not hosted, held, deleted or declined here, no announce of theirs in flight. Placement's
 * pick takes such a world at once, any other instance after a second scan (views can disagree for a tick); the
 * takeover restores it from its last checkpoint. The scan's finding also tells routing that such a world exists
 * while nobody owns it (`orphaned`): its players and admin calls are asked to retry, not told it is unknown.
 */
import { placeWorld } from '../cluster/placement.js';
import { orphanScanWaitMs, storedLister } from './cluster-stored.js';
import type { InstanceRecord, LeaseOwner } from '../cluster/coordinator.js';
import type { ClusterCounters, ClusterServiceOptions } from './cluster-types.js';
import type { NotStartedWorlds, StoredWorldStamp } from './not-started.js';

/** What the scan needs from the cluster service (live views: the service reassigns its maps); the takeover's context extends it. */
export interface OrphanScanContext {
  readonly opts: ClusterServiceOptions;
  readonly counters: ClusterCounters;
  /** Worlds whose stepping is held (shared with the service; adoption holds a world while it restores). */
  readonly held: Set<string>;
  /** Leases as of the last control tick (this instance records the ones it takes). */
  readonly leases: () => Map<string, LeaseOwner>;
  /** Live instances as of the last control tick (placement). */
  readonly instances: () => readonly InstanceRecord[];
  /** The token a new grant of `worldId` must exceed (the store's, after the coordinator lost its counter); 0 = none. */
  readonly minToken: (worldId: string) => number;
  /**
   * Whether an announce of `worldId` is in flight (src/server/cluster-fence-announce.ts `pending`): an orphan whose
   * takeover gave its lease back while the store had not answered its announce is not acquired again until it has.
   */
  readonly announcing: (worldId: string) => boolean;
  /** The instance that held a world before this one, `"unknown"` when no control tick saw it (log lines). */
  readonly previousOwner: (worldId: string) => string;
  /** Worlds not started here (shared with the service; the declined ones are remembered there). */
  readonly notStarted: NotStartedWorlds;
  /** Worlds deleted here whose stored record is still being deleted (never adopted from it). */
  readonly deleting: ReadonlySet<string>;
}

/** What the scan needs of the takeover that owns it. */
export interface OrphanScanHooks {
  /** A failover's adoption for the control tick (`WorldTakeover.adoptInTick`); `adopted` runs once it steps here. */
  readonly adoptInTick: (worldId: string, token: number, adopted: () => void) => Promise<void>;
  /** The stored worlds as just listed (the takeover forgets what it keeps of worlds changed or deleted since). */
  readonly listed: (records: readonly StoredWorldStamp[]) => void;
}

/** The orphan scan and failover of one cluster service. */
export class OrphanScan {
  readonly #c: OrphanScanContext;
  readonly #hooks: OrphanScanHooks;
  /** Orphan worlds seen by the previous control tick. */
  #seen = new Set<string>();
  /** Of those, the worlds (not records of a create never confirmed, which are removed, not taken over): {@link orphaned}. */
  #worlds = new Set<string>();
  /** performance.now() of the scan that found {@link #worlds} (none while draining or stopping, or the store silent). */
  #scanAt = Number.NEGATIVE_INFINITY;
  /** The scan's listing, bounded per control tick (one in flight at most). */
  readonly #listStored: (waitMs: number) => Promise<StoredWorldStamp[] | null>;

  constructor(context: OrphanScanContext, hooks: OrphanScanHooks) {
    this.#c = context;
    this.#hooks = hooks;
    this.#listStored = storedLister(context.opts);
  }

  /**
   * Whether the last orphan scan found `worldId` stored with no live lease and no copy here: its owner is gone and an
   * instance is about to take it over (this one after a second scan, when placement picked another). Until a listing
   * names the taker, it is a world all the same: its hellos and admin calls are asked to retry, not told it is unknown.
   */
  orphaned(worldId: string): boolean {
    // A finding older than two lease TTLs (no scan since) says nothing of now.
    return performance.now() - this.#scanAt <= 2 * this.#c.opts.leaseTtlMs && this.#worlds.has(worldId);
  }

  /**
   * Failover of worlds nobody hosts: a stored world without a live lease (its owner died) is
   * acquired by the instance placement picks (every instance computes the same pick from the same
   * view; a racing acquire has exactly one winner) and restored from its last checkpoint.
   * Resolves the number of failed coordinator calls (a failover whose acquire failed): a store that
   * cannot list its worlds is not one — the coordinator's reachability (`reachable`,
   * `worldtick_cluster_coordinator_up`) is Redis's, and the store's outage shows as its own
   * (`worldtick_store_unavailable`); no orphan is taken meanwhile. Call only with `storedWorlds` set.
   */
  async takeOrphans(): Promise<number> {
    const o = this.#c.opts;
    const c = o.coordinator;
    const id = o.instanceId;
    let records: StoredWorldStamp[] | null;
    try {
      records = await this.#listStored(orphanScanWaitMs(o.leaseTtlMs));
    } catch {
      return 0;
    }
    if (records === null) return 0; // the store is slow or cut off: no orphan this tick, the renewals go on
    this.#hooks.listed(records);
    const hosted = new Set(o.worlds().map((w) => w.id));
    const leases = this.#c.leases();
    const orphans = records
      .map((r) => r.worldId)
      .filter(
        (w) =>
          !hosted.has(w) &&
          !leases.has(w) &&
          !this.#c.held.has(w) &&
          !this.#c.deleting.has(w) &&
          !this.#c.notStarted.has(w) &&
          !this.#c.announcing(w),
      );
    const seenBefore = this.#seen;
    this.#seen = new Set(orphans);
    const pending = new Set(records.filter((r) => r.pending).map((r) => r.worldId));
    this.#worlds = new Set(orphans.filter((w) => !pending.has(w)));
    this.#scanAt = performance.now();
    if (!orphans.length) return 0;
    let failures = 0;
    for (const worldId of orphans) {
      // Placement's pick takes it at once; anyone else after two ticks (views can disagree for a tick).
      const pick = placeWorld(this.#c.instances());
      if (pick?.id !== id && !seenBefore.has(worldId)) continue;
      try {
        const r = await c.acquire(worldId, id, o.leaseTtlMs, this.#c.minToken(worldId));
        if (!r.ok) continue;
        this.#c.counters.leaseAcquired++;
        o.logger.info(
          { world: worldId, fencingToken: r.fencingToken, previousOwner: this.#c.previousOwner(worldId) },
          'cluster: orphan world acquired; restoring it from the store',
        );
        await this.#hooks.adoptInTick(worldId, r.fencingToken, () =>
          this.#c.leases().set(worldId, { worldId, instanceId: id, fencingToken: r.fencingToken, ttlRemainingMs: r.ttlMs }),
        );
      } catch {
        failures++;
      }
    }
    return failures;
  }
}
