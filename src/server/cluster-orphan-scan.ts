/**
 * The orphan scan of the cluster service's takeover (src/server/cluster-takeover.ts, docs/CLUSTER.md "Failover"):
 * each control tick lists the stored worlds (bounded: one listing in flight at most) and finds those hosted by
 * nobody — no live lease, not hosted, held, deleted or declined here, no announce of theirs in flight. Placement's
 * pick takes such a world at once, any other instance after a second scan (views can disagree for a tick); the
 * takeover restores it from its last checkpoint. The listing also tells routing that such a world exists while
 * nobody owns it (`orphaned`): its players and admin calls are asked to retry, not told it is unknown.
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
  /** The stored worlds of the last listing: true for a record of a create never confirmed (`pending`: removed, not taken over). */
  #stored = new Map<string, boolean>();
  /** performance.now() of that listing (none while draining or stopping, or the store silent). */
  #scanAt = Number.NEGATIVE_INFINITY;
  /** The scan's listing, bounded per control tick (one in flight at most). */
  readonly #listStored: (waitMs: number) => Promise<StoredWorldStamp[] | null>;

  constructor(context: OrphanScanContext, hooks: OrphanScanHooks) {
    this.#c = context;
    this.#hooks = hooks;
    this.#listStored = storedLister(context.opts);
  }

  /**
   * Whether `worldId` is stored (the last listing: a world, not a record of a create never confirmed) with no lease in
   * the last view and no copy here: its owner is gone and an instance is about to take it over (this one after a second
   * scan, when placement picked another). Until a view names the taker, it is a world all the same: its hellos and admin
   * calls are asked to retry, not told it is unknown. Read against the view as it is now, not as at the last scan: the
   * control tick refreshes the view with the lease steps and scans after the slowest of them, and a scan the store
   * did not answer in time keeps the listing before it (double run 66: a hello between the two, its owner's lease gone
   * from the view, the scan not run yet, was answered `UNKNOWN_WORLD`). A world deleted elsewhere is asked to retry
   * until the next listing here (the same tick's scan) no longer holds it.
   */
  orphaned(worldId: string): boolean {
    if (!this.#fresh() || this.#stored.get(worldId) !== false) return false;
    return this.#hostedByNobody(worldId, (w) => this.#c.opts.worlds().some((x) => x.id === w));
  }

  /** No lease in the view, not hosted here, not being deleted here, not declined here (not started). */
  #hostedByNobody(worldId: string, hostedHere: (worldId: string) => boolean): boolean {
    const c = this.#c;
    return !c.leases().has(worldId) && !c.deleting.has(worldId) && !c.notStarted.has(worldId) && !hostedHere(worldId);
  }

  /** Whether the last listing holds `worldId` as the record of a create never confirmed (a takeover of it only removes it). */
  pendingRecord(worldId: string): boolean {
    return this.#fresh() && this.#stored.get(worldId) === true;
  }

  /** A listing older than two lease TTLs (no scan since: draining, stopping, the store silent) says nothing of now. */
  #fresh(): boolean {
    return performance.now() - this.#scanAt <= 2 * this.#c.opts.leaseTtlMs;
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
    const orphans = records
      .map((r) => r.worldId)
      .filter(
        // Not one held here (restoring) or whose announce is in flight here either: taken when those end.
        (w) => this.#hostedByNobody(w, (x) => hosted.has(x)) && !this.#c.held.has(w) && !this.#c.announcing(w),
      );
    const seenBefore = this.#seen;
    this.#seen = new Set(orphans);
    this.#stored = new Map(records.map((r) => [r.worldId, r.pending === true]));
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
