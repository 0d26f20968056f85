/**
 * World takeover of the cluster service (src/server/cluster-service.ts): adoption of a world
 * from the durable store after failover or a handover to this instance, and failover of
 * orphan worlds (stored, hosted by nobody; the scan is src/server/cluster-orphan-scan.ts). Owns the
 * in-flight restores, the orphan scan and the worlds declined because a newer build wrote their checkpoint;
 * everything else is the service's, reached through {@link TakeoverContext}.
 *
 * A world whose checkpoint a newer build wrote (`WT_ERR_CHECKPOINT_TOO_NEW` from the `adopt` hook) is
 * declined: a failover lease is released, a handover refused (the route hands the lease back), and
 * this instance does not try it again (no acquire in its lease tick or orphan failover) while it is in
 * the list of worlds not started here (src/server/not-started.ts): until the world's stored record
 * changes (another build ran it since) or the world is deleted. Counted `checkpointTooNew`. So is a
 * world whose checkpoint holds game data the game of this instance cannot hold
 * (`WT_ERR_CHECKPOINT_INCOMPATIBLE`: another game, a higher game version, a narrowed field), counted
 * `gameIncompatible`.
 *
 * A takeover that meets a passing store outage (`WT_ERR_STORE_UNAVAILABLE` of a reason in
 * `TRANSIENT_REASONS`, src/persist/write-failure-log.ts: a restart, a failover, a timeout) is not a
 * loss: the lease is given back and a later control tick tries again. Logged at warn, at error once a
 * world's takeovers have failed so for `STORE_OUTAGE_ERROR_MS` (30 s) with no longer gap between two.
 *
 * A takeover that finds no stored record and no copy here (`WT_ERR_WORLD_NOT_FOUND` from the `adopt` hook: a
 * delete or the undo of a failed create removed it first) is not a failure either: the lease is given back,
 * logged at info (src/server/nothing-stored.ts). Any other failed takeover is logged at error.
 */
import { ErrorCode, isWorldtickError, type WorldtickError } from '../errors.js';
import type { AnnounceFailure } from './cluster-fence-announce.js';
import type { StoredWorldStamp } from './not-started.js';
import { isNotLoadableHere } from '../persist/restore.js';
import { settledWithin } from './cluster-stored.js';
import { OrphanScan, type OrphanScanContext } from './cluster-orphan-scan.js';
import { isPassingOutage, STORE_OUTAGE_ERROR_MS, storeUnavailableReason } from '../persist/write-failure-log.js';

/** What the takeover needs from the cluster service (live views: the service reassigns its maps); the orphan scan's part first. */
export interface TakeoverContext extends OrphanScanContext {
  /** Announce a token to the store once; false: refused (the world stays stopped). */
  readonly announce: (worldId: string, token: number) => Promise<boolean>;
  /** Why and how the last announce of `worldId` was not recorded (src/server/cluster-fence-announce.ts). */
  readonly announceFailure: (worldId: string) => AnnounceFailure | undefined;
  /** {@link announce} for the control tick: false too when the store has not answered within a bound (src/server/cluster-fence-announce.ts). */
  readonly announceInTick: (worldId: string, token: number) => Promise<boolean>;
  /** How long (ms) a control tick waits for {@link announceInTick}; for a failover's adoption too ({@link WorldTakeover.adoptInTick}). */
  readonly tickWaitMs: number;
  /** Re-evaluate which worlds step now (the service's watchdog pass). */
  readonly watch: () => void;
}

/**
 * Control-tick intervals a lease handed to this instance waits for its adopt request (docs/CLUSTER.md
 * "Migration"), counted from the tick that finds it; the tick after them takes it over as a failover.
 */
export const HANDOVER_GRACE_TICKS = 2;

/**
 * Announces a handover's target tries for its token before it refuses the world. A write of the source under
 * its older token may still hold the world's fence row (it was fenced out by the handover): the first announce
 * gives up on the row after the bound (`fenceLockWaitMs`, at most 1 s) and the announcer ends that writer's
 * store session, so the next finds the row free. Only that failure is tried again, with the lease renewed
 * first: not a refusal, and not a store that did not answer (each try could take its whole query timeout, past
 * the source's wait for the adopt request's answer). Double run 60: `the store refused token 2 of w3` after one try.
 */
export const HANDED_ANNOUNCE_TRIES = 3;

/** Adoption and orphan failover of one cluster service. */
export class WorldTakeover {
  readonly #c: TakeoverContext;
  /** Takeovers in progress (restores from the store), by world. */
  readonly #adopting = new Map<string, Promise<boolean>>();
  /** The orphan scan and failover (src/server/cluster-orphan-scan.ts). */
  readonly #orphans: OrphanScan;
  /** The refusal of each world declined here (a handover waiting on a failover's restore answers with it). */
  readonly #declined = new Map<string, WorldtickError>();
  /** Leases handed here whose adopt request has not come yet: control ticks waited so far, by world (held meanwhile). */
  readonly #handed = new Map<string, number>();
  /** Adoptions whose token the store recorded, restoring the world now (their restore reads under way), by world. */
  readonly #restoring = new Set<string>();
  /** Handovers to this instance adopting their world now (renew, announce, restore), by world. */
  readonly #handingIn = new Set<string>();
  /** Takeovers failed by a passing store outage, by world: performance.now() of the first of the run and of the last. */
  readonly #outages = new Map<string, { since: number; last: number }>();
  constructor(context: TakeoverContext) {
    this.#c = context;
    this.#orphans = new OrphanScan(context, {
      adoptInTick: (worldId, token, adopted) => this.adoptInTick(worldId, token, adopted),
      listed: (records) => this.#listed(records),
    });
  }

  /**
   * Whether `worldId` is moving here: a takeover or a handover restoring it (leased, its token perhaps announced, not
   * installed yet), or a lease handed here whose adopt request has not come. Its players and admin calls are asked to
   * retry meanwhile (src/server/cluster-hello-route.ts, cluster-routes.ts): what is here is a standby copy that does not step, or nothing.
   */
  adopting(worldId: string): boolean {
    // A failover of the record of a create never confirmed only removes it: no world comes (double run 66: an admin
    // GET during such a takeover answered 503 "retry", not 404).
    if (this.#adopting.has(worldId) && !this.#orphans.pendingRecord(worldId)) return true;
    return this.#handingIn.has(worldId) || this.#handed.has(worldId);
  }

  /**
   * Why an adopt request for `worldId` has nothing to take in here, or null when it may be a handover's:
   * `lease-held-here`, the lease is this instance's own (it steps the world, its lease lapsed here, a failover restored
   * it, a create holds it; not handed here and not being restored), or `adopt-in-progress`, another adopt request is
   * taking it in now. Before (stop 67), either restored the world from its last checkpoint over the one stepping here:
   * the world went back to that step, its players' entities gone (found by the cluster admin fuzz's first probe).
   */
  adoptConflict(worldId: string): 'lease-held-here' | 'adopt-in-progress' | null {
    if (this.#handingIn.has(worldId)) return 'adopt-in-progress';
    if (this.#c.opts.coordinator.heldLease(worldId) !== null && !this.adopting(worldId)) return 'lease-held-here';
    return null;
  }

  /** Whether `worldId` is stored (the last listing), unleased in the view and not hosted here (`OrphanScan.orphaned`). */
  orphaned(worldId: string): boolean {
    return this.#orphans.orphaned(worldId);
  }

  /** The control tick's orphan failover (`OrphanScan.takeOrphans`); call only with `storedWorlds` set. */
  takeOrphans(): Promise<number> {
    return this.#orphans.takeOrphans();
  }

  /** Whether `worldId` was refused here because a newer build wrote its checkpoint (not tried again until its record changes). */
  tooNew(worldId: string): boolean {
    return this.#c.notStarted.has(worldId);
  }

  /**
   * Remember and count a world declined because its checkpoint cannot run here (`err`:
   * `WT_ERR_CHECKPOINT_TOO_NEW`, a newer build wrote it, or `WT_ERR_CHECKPOINT_INCOMPATIBLE`, its game data
   * does not fit this game), or its record cannot (`WT_ERR_WORLD_RECORD_UNUSABLE`: not counted, no build
   * can run it; listed, so not tried again until the record changes).
   */
  #decline(worldId: string, err: WorldtickError, why: 'failover' | 'migration'): void {
    this.#declined.set(worldId, err);
    this.#c.notStarted.add(worldId, err, why);
    const d = err.details as { what?: string; found?: number; known?: number; problems?: string[]; problem?: string } | undefined;
    if (err.code === ErrorCode.WORLD_RECORD_UNUSABLE) {
      this.#c.opts.logger.error(
        { world: worldId, why, reason: 'record-unusable', problem: d?.problem },
        'cluster: world not taken over: its stored record cannot be used (damaged); not tried again until the record changes',
      );
      return;
    }
    if (err.code === ErrorCode.CHECKPOINT_INCOMPATIBLE) {
      this.#c.counters.gameIncompatible++;
      this.#c.opts.logger.error(
        { world: worldId, why, reason: 'game-incompatible', problems: d?.problems },
        'cluster: world not taken over: its checkpoint holds game data this game cannot hold; left to an instance whose game can',
      );
      return;
    }
    this.#c.counters.checkpointTooNew++;
    this.#c.opts.logger.error(
      { world: worldId, why, reason: 'checkpoint-too-new', what: d?.what, found: d?.found, known: d?.known },
      'cluster: world not taken over: a newer build wrote its checkpoint; left to an instance whose build knows it',
    );
  }

  /** Whether `worldId`'s lease was handed here and waits for its adopt request (see {@link waitHandover}). */
  awaitingHandover(worldId: string): boolean {
    return this.#handed.has(worldId);
  }

  /**
   * A lease step found the lease of `worldId` this instance's without having minted its token (another
   * instance handed it here and its adopt request has not come yet): hold the world (not stepped) and
   * count one control tick. True while within {@link HANDOVER_GRACE_TICKS} more ticks; false once they
   * are spent (the wait ends, the world unheld: the caller takes it over as a failover).
   */
  waitHandover(worldId: string): boolean {
    const n = (this.#handed.get(worldId) ?? 0) + 1;
    if (n > HANDOVER_GRACE_TICKS) {
      this.endHandoverWait(worldId);
      return false;
    }
    this.#handed.set(worldId, n);
    this.#c.held.add(worldId);
    return true;
  }

  /** Stop waiting for the adopt request of `worldId` (the lease left, or the grace is spent) and let it step if it can. */
  endHandoverWait(worldId: string): void {
    if (!this.#handed.delete(worldId)) return;
    this.#c.held.delete(worldId);
  }

  /**
   * Migration, target side (see `ClusterService.takeHandover`): renew the handed lease, announce
   * the token, adopt the world, record the lease; resolves the token, throws when any part fails.
   */
  async takeHandover(worldId: string): Promise<number> {
    const o = this.#c.opts;
    const c = o.coordinator;
    this.#handed.delete(worldId); // the adopt request came: a migration, not a failover (held on below)
    const inFlight = this.#adopting.get(worldId);
    if (inFlight) {
      // The control tick was granted it first and is restoring it: one restore, not two.
      if (!(await inFlight)) throw this.#declined.get(worldId) ?? new Error(`world ${worldId} could not be restored`);
      const h = c.heldLease(worldId);
      if (!h) throw new Error(`lease of ${worldId} is not ours`);
      return h.fencingToken;
    }
    this.#c.held.add(worldId);
    this.#handingIn.add(worldId);
    try {
      const r = await this.#renewHanded(worldId);
      const adopted = await o.adopt?.(worldId, r.fencingToken, 'migration').catch((err: unknown) => {
        if (isNotLoadableHere(err)) this.#decline(worldId, err, 'migration');
        throw err; // the adopt route refuses it and hands the lease back
      });
      if (!adopted) throw new Error(`world ${worldId} could not be restored`);
      this.#started(worldId);
      this.#c.leases().set(worldId, { worldId, instanceId: o.instanceId, fencingToken: r.fencingToken, ttlRemainingMs: r.ttlMs });
      return r.fencingToken;
    } finally {
      this.#handingIn.delete(worldId);
      this.#c.held.delete(worldId);
      this.#c.watch();
    }
  }

  /**
   * Migration, source side (see `ClusterService.takeBack`): the lease of `worldId`, still held here
   * for stepping (the mover holds it), came back from a target that refused it. Renew it, announce
   * the token, record the lease; resolves the token, throws when any part fails.
   */
  async takeBack(worldId: string): Promise<number> {
    const o = this.#c.opts;
    const r = await this.#renewHanded(worldId);
    this.#c.leases().set(worldId, { worldId, instanceId: o.instanceId, fencingToken: r.fencingToken, ttlRemainingMs: r.ttlMs });
    return r.fencingToken;
  }

  /**
   * Renew a lease handed to this instance (its validity here starts) and announce its token to the store:
   * up to {@link HANDED_ANNOUNCE_TRIES} times while the announce gives up on a locked fence row.
   */
  async #renewHanded(worldId: string): Promise<{ fencingToken: number; ttlMs: number }> {
    const o = this.#c.opts;
    for (let tries = 1; ; tries++) {
      const r = await o.coordinator.renew(worldId, o.instanceId, o.leaseTtlMs);
      if (!r.ok) throw new Error(`lease of ${worldId} is not ours (owner ${r.owner?.instanceId ?? 'none'})`);
      if (await this.#c.announce(worldId, r.fencingToken)) {
        if (tries > 1)
          o.logger.info({ world: worldId, fencingToken: r.fencingToken, tries }, 'cluster: handed token announced after a retry');
        return r;
      }
      const failed = this.#c.announceFailure(worldId);
      if (failed?.kind !== 'locked' || tries >= HANDED_ANNOUNCE_TRIES)
        throw new Error(`token ${r.fencingToken} of ${worldId} not recorded: ${failed?.reason ?? 'the store refused it'}`);
    }
  }

  /**
   * Held: fence the store with the new token, restore the world, then let it step. Failure releases the lease.
   * One adoption per world at a time: a second waits for the one in flight to end first.
   */
  adopt(worldId: string, token: number, why: 'failover' | 'migration'): Promise<boolean> {
    const before = this.#adopting.get(worldId);
    const start = (): Promise<boolean> => this.#adoptNow(worldId, token, why);
    const run: Promise<boolean> = (before ? before.then(start, start) : start()).finally(() => {
      if (this.#adopting.get(worldId) === run) this.#adopting.delete(worldId);
    });
    this.#adopting.set(worldId, run);
    return run;
  }

  /**
   * A failover's {@link adopt} for the control tick, counted (`failovers`) and `adopted` run once the world is
   * restored: the tick waits for it at most {@link TakeoverContext.tickWaitMs}. Its restore reads the store
   * (checkpoint, record), which on a connection the network dropped silently answers only at its query timeout
   * (5 s), and the next tick waits for this one. Past the bound the adoption goes on, the world held (not
   * stepped) until it ends; a later tick renews its lease. Rejects as the adoption does within the bound.
   */
  async adoptInTick(worldId: string, token: number, adopted: () => void = () => {}): Promise<void> {
    const o = this.#c.opts;
    const run = this.adopt(worldId, token, 'failover').then((ok) => {
      if (!ok) return;
      this.#c.counters.failovers++; // counted once it steps here: a declined or failed takeover is not one
      adopted();
    });
    if (
      (await settledWithin(
        run.then(() => true),
        this.#c.tickWaitMs,
      )) !== null
    )
      return;
    // Only once its token is recorded: an announce the store has not answered ends the adoption (the lease is given back)
    // and says so itself, at the 1st, 10th, 100th… tick in a row (src/server/cluster-fence-announce.ts).
    if (this.#restoring.has(worldId))
      o.logger.warn(
        { world: worldId, fencingToken: token, waitMs: this.#c.tickWaitMs },
        'cluster: world not restored yet: the store has not answered; it does not step until it is',
      );
    run.catch((err: unknown) => o.logger.error({ world: worldId, fencingToken: token, err }, 'cluster: world could not be taken over'));
  }

  async #adoptNow(worldId: string, token: number, why: 'failover' | 'migration'): Promise<boolean> {
    const o = this.#c.opts;
    this.#c.held.add(worldId);
    try {
      // A failed announce logged itself (a refusal, the fence row locked, or the store silent past the tick's
      // bound: src/server/cluster-fence-announce.ts). Only control ticks adopt here: they wait a bounded time.
      const announced = await this.#c.announceInTick(worldId, token);
      if (announced) this.#restoring.add(worldId);
      let quiet = false; // a passing store outage (logged by #storeOutage), a create never confirmed (by the hook)
      let gone = false; // nothing stored to take over and no copy here: the world was deleted (src/server/nothing-stored.ts)
      const ok =
        announced &&
        o.adopt !== undefined &&
        (await o.adopt(worldId, token, why).catch((err: unknown) => {
          if (isPassingOutage(err)) {
            quiet = true;
            this.#storeOutage(worldId, token, why, err);
            return false;
          }
          // Its record is of a create never confirmed (src/server/unconfirmed-create.ts): removed, not a world.
          if (isWorldtickError(err, 'WT_ERR_WORLD_NOT_DURABLE')) {
            quiet = true;
            return false;
          }
          if (isWorldtickError(err, 'WT_ERR_WORLD_NOT_FOUND')) {
            gone = true;
            return false;
          }
          if (!isNotLoadableHere(err)) throw err;
          this.#decline(worldId, err, why);
          return false;
        }));
      if (ok) this.#started(worldId);
      else {
        if (announced && gone)
          o.logger.info(
            { world: worldId, fencingToken: token },
            'cluster: nothing stored to take over (the world was deleted); lease released',
          );
        else if (announced && !quiet)
          o.logger.error({ world: worldId, fencingToken: token }, 'cluster: world could not be taken over; lease released');
        await o.coordinator.release(worldId, o.instanceId).catch(() => undefined);
      }
      return ok;
    } finally {
      this.#restoring.delete(worldId);
      this.#c.held.delete(worldId);
    }
  }

  /** `worldId` runs here now (its checkpoint was read after all): no longer listed as not started. */
  #started(worldId: string): void {
    this.#c.notStarted.delete(worldId);
    this.#declined.delete(worldId);
    this.#outages.delete(worldId);
  }

  /**
   * A takeover of `worldId` failed with the store briefly unavailable: nothing of it was installed, the
   * caller gives the lease back. Logged as the module comment says.
   */
  #storeOutage(worldId: string, token: number, why: 'failover' | 'migration', err: WorldtickError): void {
    const now = performance.now();
    const prev = this.#outages.get(worldId);
    const since = prev && now - prev.last < STORE_OUTAGE_ERROR_MS ? prev.since : now;
    this.#outages.set(worldId, { since, last: now });
    const failingMs = Math.round(now - since);
    this.#c.opts.logger[failingMs < STORE_OUTAGE_ERROR_MS ? 'warn' : 'error'](
      { err, world: worldId, why, fencingToken: token, reason: 'unavailable', storeReason: storeUnavailableReason(err), failingMs },
      'cluster: world not taken over: the store is unavailable; lease released, a later control tick retries',
    );
  }

  /**
   * The orphan scan listed the stored worlds: forget the declined ones whose stored record changed since (or that were
   * deleted: they may be taken here again) and the outage runs of deleted worlds.
   */
  #listed(records: readonly StoredWorldStamp[]): void {
    for (const worldId of this.#c.notStarted.expire(records)) {
      this.#declined.delete(worldId);
      this.#c.opts.logger.info(
        { world: worldId },
        'cluster: world refused as written by a newer build has a new stored record; it may be taken here again',
      );
    }
    const stored = new Set(records.map((r) => r.worldId));
    for (const worldId of this.#outages.keys()) if (!stored.has(worldId)) this.#outages.delete(worldId); // deleted since
  }
}
