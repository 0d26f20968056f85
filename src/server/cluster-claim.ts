/**
 * Leases of worlds created and deleted through the admin API, for the cluster service
 * (src/server/cluster-service.ts). A create takes its world's lease at once ({@link AdminWorldLeases.claim})
 * so its record can be written with that fence before the `201` (src/server/created-world-durable.ts),
 * and keeps it (renewed by the control tick) until the runner hosts the world or the create is undone.
 * A delete gives the lease back only once the world's stored record is gone (docs/CLUSTER.md "Deleting a
 * world"). A new world's id is checked against the store by a lookup of that one record
 * (src/server/cluster-stored.ts).
 */
import type { LeaseOwner, LeaseResult } from '../cluster/coordinator.js';
import { isWorldtickError, worldNotDurable } from '../errors.js';
import { isLoggedOccurrence } from '../log.js';
import type { Fence } from '../store/types.js';
import type { FenceAnnouncer } from './cluster-fence-announce.js';
import { isStoredWorld } from './cluster-stored.js';
import type { ClusterCounters, ClusterServiceOptions } from './cluster-types.js';

/** What the admin worlds' leases reach of the service (live views: the service reassigns its maps). */
export interface AdminLeasesContext {
  readonly opts: ClusterServiceOptions;
  readonly counters: ClusterCounters;
  readonly fences: FenceAnnouncer;
  /** Worlds whose stepping is held (a world held here keeps its lease after a delete). */
  readonly held: ReadonlySet<string>;
  /** Leases as of the last control tick (a claimed lease is recorded there). */
  readonly leases: () => Map<string, LeaseOwner>;
  /** Forget what the service keeps of a world: stepping, step ranges, tokens announced and seen, load, its own lease in the view. */
  readonly drop: (worldId: string) => void;
}

/** Pause (wall ms) before a created world's unanswered lease acquire is sent again. */
const ACQUIRE_RETRY_PAUSE_MS = 50;

/** The leases of worlds being created or deleted here. A class: it owns these sets. */
export class AdminWorldLeases {
  readonly #x: AdminLeasesContext;
  /**
   * Worlds whose lease an admin create took here ({@link claim}) and that the runner does not host yet:
   * being made durable, or a failed create being undone. Their leases are kept (renewed) by the control
   * tick until {@link created} or {@link forget}.
   */
  readonly creating = new Set<string>();
  /** Worlds deleted here whose stored record is still being deleted: their leases are kept (renewed) until it is gone. */
  readonly deleting = new Set<string>();

  constructor(x: AdminLeasesContext) {
    this.#x = x;
  }

  /** Whether `worldId` has a record in the shared store (false when the service is told nothing of the store); rejects when it cannot be read. */
  isStored(worldId: string): Promise<boolean> {
    return isStoredWorld(this.#x.opts, worldId);
  }

  /**
   * Acquire the lease of `worldId` and announce its token to the store; resolves the token. Throws
   * `WT_ERR_WORLD_NOT_DURABLE` (the lease given back) when the lease is someone else's, the store
   * refused the token, its fence row stayed locked past the bound or the store was unavailable (the
   * reason says which), or a coordinator error (an unanswered acquire is sent again for up to `retryForMs`
   * wall ms from the first, when given). Without `enforce`: the held token or 0, nothing acquired.
   */
  async claim(worldId: string, retryForMs?: number): Promise<number> {
    const { opts: o, fences } = this.#x;
    const c = o.coordinator;
    if (!o.enforce) return c.heldLease(worldId)?.fencingToken ?? 0;
    const id = o.instanceId;
    const r = await this.#acquire(worldId, retryForMs);
    if (!r.ok) throw worldNotDurable(worldId, `its lease is held by ${r.owner?.instanceId ?? 'another instance'}`);
    this.#x.counters.leaseAcquired++;
    this.#x.leases().set(worldId, { worldId, instanceId: id, fencingToken: r.fencingToken, ttlRemainingMs: r.ttlMs });
    this.creating.add(worldId); // renewed by the control tick from now: the runner does not host it yet
    if (!(await fences.announce(worldId, r.fencingToken))) {
      await c.release(worldId, id).catch(() => false);
      throw worldNotDurable(worldId, fences.failure(worldId) ?? `the store refused fencing token ${r.fencingToken}`);
    }
    o.logger.info({ world: worldId, fencingToken: r.fencingToken }, 'cluster: created world lease acquired');
    return r.fencingToken;
  }

  /**
   * The coordinator's acquire of `worldId`'s lease for this instance. A coordinator that did not answer
   * (`WT_ERR_CLUSTER_UNAVAILABLE`: a command past its timeout, a third of the lease TTL) is asked again
   * for up to `retryForMs` from the first (none: once): the acquire is idempotent for its owner (a lost answer's
   * grant is extended, same token), and a create on a loaded instance with a short TTL failed on one
   * slow answer with most of its bound left.
   */
  async #acquire(worldId: string, retryForMs: number | undefined): Promise<LeaseResult> {
    const { opts: o, fences } = this.#x;
    // Monotonic: a span of wall time, not the epoch clock a test may set (`epochNow`).
    const until = performance.now() + (retryForMs ?? 0);
    for (let attempt = 1; ; attempt++) {
      try {
        return await o.coordinator.acquire(worldId, o.instanceId, o.leaseTtlMs, fences.minToken(worldId));
      } catch (err) {
        if (!isWorldtickError(err, 'WT_ERR_CLUSTER_UNAVAILABLE') || performance.now() + ACQUIRE_RETRY_PAUSE_MS >= until) throw err;
        if (isLoggedOccurrence(attempt))
          o.logger.warn({ world: worldId, attempt, err }, 'cluster: created world lease acquire unanswered; asking again');
        await new Promise((resolve) => setTimeout(resolve, ACQUIRE_RETRY_PAUSE_MS));
      }
    }
  }

  /**
   * The fence a delete of `worldId`'s record here is made under: the token of its lease held here, else the
   * one last announced here (the lease lapsed while the delete waited); none without enforcement or when this
   * instance never held it. The store refuses the delete when it saw a higher token: another instance took the
   * world over and writes its record (docs/CLUSTER.md "Deleting a world").
   */
  deleteFence(worldId: string): Fence | undefined {
    const o = this.#x.opts;
    if (!o.enforce) return undefined;
    const token = o.coordinator.heldLease(worldId)?.fencingToken ?? this.#x.fences.announced(worldId);
    return token === undefined ? undefined : { worldId, token };
  }

  /** The world {@link claim}ed joins the runner now: its lease renews as a hosted world's from here. */
  created(worldId: string): void {
    this.creating.delete(worldId);
  }

  /**
   * A world was deleted here (or its create undone): give its lease back, once `recordGone` settled when
   * given — kept and renewed until then, so nobody adopts it from its record; kept for good when a world
   * of the same id runs or is being created here by then.
   */
  forget(worldId: string, recordGone?: Promise<unknown>): void {
    const { opts: o } = this.#x;
    this.creating.delete(worldId);
    this.#x.drop(worldId);
    // Once the lease is given back, forget the world again unless one of the same id runs or is being created
    // here by then: a control tick that was renewing the deleted world's lease meanwhile may have noted it
    // again (its token announced). One instance: the in-process coordinator's fence counter goes too.
    const forgotten = (): void => {
      if (this.creating.has(worldId) || o.worlds().some((w) => w.id === worldId)) return;
      this.#x.drop(worldId);
      if (!o.enforce) o.coordinator.forgetWorld?.(worldId);
    };
    const release = (): void => void o.coordinator.release(worldId, o.instanceId).then(forgotten, () => undefined);
    if (!recordGone) return release();
    this.deleting.add(worldId);
    const done = (): void => {
      this.deleting.delete(worldId);
      if (!this.#x.held.has(worldId) && !o.worlds().some((w) => w.id === worldId)) release();
    };
    void recordGone.then(done, done);
  }
}
