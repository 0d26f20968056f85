/**
 * One world's lease in a control tick of the cluster service (src/server/cluster-service.ts):
 * renew it when held, acquire it otherwise, take back one that lapsed with nobody taking it
 * (a short partition), and tell a failover (another instance held the world before) from a
 * first grant by the highest fencing token seen per world. A lease found ours without a token minted
 * for us (handed here by a migration whose adopt request has not come) waits a bounded grace
 * (`HANDOVER_GRACE_TICKS` control ticks) for that request before it is taken over as a failover. Everything it changes is the
 * service's, reached through {@link LeaseTickContext}.
 *
 * A first grant of a world nobody this instance saw held, whose copy here was restored from the store at
 * start and whose token is not the world's first (an earlier holder of its lease is gone: every instance
 * stopped or died, then this one started), is a resume from the store: counted with the failovers and
 * logged `cluster: world resumed from its stored record` with `previousOwner: "unknown"`. Takeover lines
 * name the instance that held the world before (`previousOwner`, from the view: `ClusterView.previousOwner`).
 *
 * A lease granted for a copy this instance did not own (a standby copy, or its own copy after the
 * lease lapsed) is checked against the store first: when the world's record is gone (deleted on the
 * instance that owned it, which gives the lease back only then), the lease is released and the copy
 * dropped instead of stepped (docs/CLUSTER.md "Deleting a world").
 *
 * The tick waits for these two reads of the store (the record's lookup, a resume's check) at most
 * `orphanScanWaitMs` (a sixth of the TTL): a store whose connection the network dropped silently answers only
 * at its query timeout (5 s), and the next tick waits for this one (the held leases are renewed meanwhile only by
 * the interval's renewal pass; docs/CLUSTER.md "An instance cut off from the network"). Past the bound the lease is
 * given back (the world does not step), the read stays in flight (one per world: `GrantReads`), the world is not
 * acquired here again until it settled (each grant would give the lease back again: a new token per tick), and the
 * next grant of the world takes its answer — only when that grant's token follows the one given back (tokens count
 * grants: nobody else held the world meanwhile, so the store's answer still holds); else the reads are sent again
 * (`dropStaleReads`). A record's lookup that fails outright is warned at the 1st, 10th, 100th… failure in a row, as
 * the unanswered reads are.
 *
 * Nor is a world acquired here again whose takeover gave its lease back while its fencing-token announce was still in
 * flight, until the store answered it (docs/CLUSTER.md "A store that does not answer").
 */
import type { ClusterCounters, ClusterServiceOptions } from './cluster-types.js';
import { isLoggedOccurrence } from '../log.js';
import { knowsStored, orphanScanWaitMs, type Answer, type GrantReads } from './cluster-stored.js';
import { HANDOVER_GRACE_TICKS, type TakeoverContext, type WorldTakeover } from './cluster-takeover.js';

/** What a lease step needs from the cluster service. */
export interface LeaseTickContext {
  readonly opts: ClusterServiceOptions;
  readonly counters: ClusterCounters;
  /** Worlds whose stepping is held (migrating out, being adopted). */
  readonly held: ReadonlySet<string>;
  /** Highest token seen per world as another instance's (failover detection); see {@link noteSeenToken}. */
  readonly seenTokens: Map<string, number>;
  readonly takeover: WorldTakeover;
  /**
   * Announce a token to the store once; false: not recorded (the world stays stopped), or not yet — the
   * store has not answered within the tick's bound, the announce goes on (`FenceAnnouncer.announceInTick`).
   */
  readonly announce: (worldId: string, token: number) => Promise<boolean>;
  /** The token a new grant of a world must exceed (see {@link TakeoverContext.minToken}). */
  readonly minToken: (worldId: string) => number;
  /** Whether an announce of a world is in flight (see {@link TakeoverContext.announcing}). */
  readonly announcing: (worldId: string) => boolean;
  /** The instance that held a world before this one, `"unknown"` when no control tick saw it (log lines). */
  readonly previousOwner: (worldId: string) => string;
  /** Worlds whose lease this process was granted by a lease step at least once (a resume from the store is a first grant). */
  readonly granted: Set<string>;
  /** The store reads of a new grant, bounded per tick, one in flight per world (src/server/cluster-stored.ts). */
  readonly reads: GrantReads;
}

/** Record that another instance held `worldId` under `token` (keeps the highest). */
export const noteSeenToken = (seen: Map<string, number>, worldId: string, token: number): void => {
  seen.set(worldId, Math.max(seen.get(worldId) ?? 0, token));
};

/**
 * A grant of `worldId` under `token`: when an earlier grant here was given back for a read that had not answered and
 * this token does not follow its one (tokens count grants: another instance held the world since, and may have
 * deleted it or written a checkpoint), the reads still in flight or answered are dropped — their answers no longer
 * hold — and this grant sends new ones.
 */
const dropStaleReads = (x: LeaseTickContext, worldId: string, token: number): void => {
  const before = x.reads.givenBack.get(worldId);
  x.reads.givenBack.delete(worldId);
  if (before === undefined || token === before + 1) return;
  x.reads.isStored.forget(worldId);
  x.reads.newerCheckpoint.forget(worldId);
};

/** One more occurrence in a row for `worldId` in `streaks`: the count so far (logged at the 1st, 10th, 100th…: `isLoggedOccurrence`). */
const inRow = (streaks: Map<string, number>, worldId: string): number => {
  const n = (streaks.get(worldId) ?? 0) + 1;
  streaks.set(worldId, n);
  return n;
};

/**
 * The `read` of the grant of `worldId` under `token` has not answered: give the lease back, logged `why` at the 1st,
 * 10th, 100th… tick in a row (`ticks`; a store outage would log it at every tick) until {@link answered}.
 */
const giveBack = async (x: LeaseTickContext, worldId: string, token: number, read: Read, why: string): Promise<true> => {
  const o = x.opts;
  x.reads.givenBack.set(worldId, token);
  const ticks = inRow(x.reads.unanswered[read], worldId);
  if (isLoggedOccurrence(ticks)) o.logger.warn({ world: worldId, fencingToken: token, waitMs: orphanScanWaitMs(o.leaseTtlMs), ticks }, why);
  await o.coordinator.release(worldId, o.instanceId).catch(() => undefined);
  return true;
};

/** Whether a grant of `worldId` was given back for a read of the store still in flight (not answered yet). */
const readPending = (x: LeaseTickContext, worldId: string): boolean =>
  x.reads.givenBack.has(worldId) && (x.reads.isStored.pending(worldId) || x.reads.newerCheckpoint.pending(worldId));

/** A grant's reads of the store ({@link GrantReads}). */
type Read = keyof GrantReads['unanswered'];

/** The `read` of `worldId` answered (or failed): its run of unanswered ticks ends. */
const answered = (x: LeaseTickContext, worldId: string, read: Read): void => void x.reads.unanswered[read].delete(worldId);

/**
 * After a grant of `worldId` to a copy not owned here: when its stored record is gone, give the
 * lease back and drop the copy; when the store cannot be read, or has not answered within the tick's
 * bound (the lookup goes on: the next grant takes its answer), give it back too (tried again at the next
 * tick). True: the lease was given back (do not step or adopt). Never rejects.
 */
const recordGone = async (x: LeaseTickContext, worldId: string, token: number): Promise<boolean> => {
  const o = x.opts;
  if (!o.staleCopies?.droppable(worldId) || !knowsStored(o)) return false;
  let stored: Answer<boolean> | null;
  try {
    stored = await x.reads.isStored.within(worldId, orphanScanWaitMs(o.leaseTtlMs));
  } catch (err) {
    answered(x, worldId, 'isStored');
    // Logged at the 1st, 10th, 100th… failure in a row (a store that refuses connections fails at every tick).
    const failures = inRow(x.reads.failed, worldId);
    if (isLoggedOccurrence(failures))
      o.logger.warn(
        { world: worldId, failures, err },
        "cluster: the store could not be read to check the world's record; lease given back until the next tick",
      );
    await o.coordinator.release(worldId, o.instanceId).catch(() => undefined);
    return true;
  }
  if (stored === null)
    return giveBack(
      x,
      worldId,
      token,
      'isStored',
      "cluster: the store has not answered the check of the world's record; lease given back until a grant takes the answer",
    );
  answered(x, worldId, 'isStored');
  x.reads.failed.delete(worldId); // the store answered: a later failure starts a new run
  if (stored.value) return false;
  await o.coordinator.release(worldId, o.instanceId).catch(() => undefined);
  o.staleCopies.drop(worldId);
  o.logger.info({ world: worldId }, 'cluster: copy of a world whose stored record is gone dropped');
  return true;
};

/**
 * Whether the first grant of `worldId` here, with nobody seen holding it, resumes it from the store: its
 * copy here was restored from its stored record and `token` is not its first (an earlier holder is gone).
 */
const resumesStored = (x: LeaseTickContext, worldId: string, token: number): boolean =>
  token > 1 && !x.granted.has(worldId) && (x.opts.restoredFromStore?.(worldId) ?? false);

/**
 * A resume whose copy is older than the store's last checkpoint of the world (an earlier holder wrote one
 * after this instance's start-up restore, and its lease lapsed before a control tick here saw it): logged,
 * then taken over from the store like a failover. A failed check counts as stale (`adopt` meets the outage);
 * one the store has not answered within the tick's bound is null (not known yet: the check goes on). A stale
 * copy never steps: until an adoption got through, every grant of its world takes it over (`GrantReads.mustAdopt`),
 * whether that adoption met a store outage, failed or has not ended when the lease lapsed.
 */
const staleResume = async (x: LeaseTickContext, worldId: string): Promise<boolean | null> => {
  const o = x.opts;
  if (!o.adopt || !o.newerCheckpointStored) return false;
  const r = await x.reads.newerCheckpoint.within(worldId, orphanScanWaitMs(o.leaseTtlMs)).catch(() => ({ value: true }));
  if (r === null) return null;
  answered(x, worldId, 'newerCheckpoint');
  if (r.value)
    o.logger.info(
      { world: worldId, previousOwner: x.previousOwner(worldId) },
      'cluster: the copy restored at start is older than the stored checkpoint; taking the world over from the store',
    );
  return r.value;
};

/**
 * A lease granted here (not held before): unless its world's record is gone, a takeover (another instance
 * held it) is restored from its last checkpoint with an `adopt` hook, and counted once the world steps
 * here (`failovers`); a resume of the copy restored at start (`resumed`) is counted and logged, the copy
 * kept; a copy found stale before (`GrantReads.mustAdopt`) is taken over, whatever `found` says. True: done (the
 * caller announces nothing); false: the caller announces the token.
 */
const takeOver = async (x: LeaseTickContext, worldId: string, token: number, found: 'takeover' | 'resumed' | 'none'): Promise<boolean> => {
  dropStaleReads(x, worldId, token);
  if (await recordGone(x, worldId, token)) {
    // Deleted where it was owned (not stepped, not adopted), or given back unchecked: a resume's lease was never used
    // here, so its next grant is a resume again (checked against the store's last checkpoint, counted, logged).
    if (found === 'resumed') x.granted.delete(worldId);
    return true;
  }
  // A copy marked stale is taken over, unless its adoption is still in flight (a lease re-acquired meanwhile: that
  // adoption ends under the token held then, src/server/cluster-migration.ts `#adopted`, or gives the lease back).
  let kind = x.reads.mustAdopt.has(worldId) && !x.held.has(worldId) ? 'takeover' : found;
  if (kind === 'none') return false;
  if (kind === 'resumed') {
    const stale = await staleResume(x, worldId);
    // Not known yet: the copy must not step before it is (it may be older than the store's checkpoint). Counted as
    // never granted here, the next grant is a resume again and takes the check's answer.
    if (stale === null) {
      x.granted.delete(worldId);
      return giveBack(
        x,
        worldId,
        token,
        'newerCheckpoint',
        'cluster: the store has not answered whether the copy restored at start is its last checkpoint; lease given back until a grant takes the answer',
      );
    }
    if (stale) kind = 'takeover'; // marked stale below, where its adoption starts
  }
  if (kind === 'resumed' || !x.opts.adopt) {
    x.counters.failovers++;
    if (kind === 'resumed')
      x.opts.logger.info(
        { world: worldId, fencingToken: token, previousOwner: x.previousOwner(worldId) },
        'cluster: world resumed from its stored record (an earlier holder of its lease is gone)',
      );
    return false;
  }
  // Another instance held it: our copy is stale. Fence the store, then restore its last checkpoint (counted
  // once restored; the tick waits for it a bounded time, the world held meanwhile). Marked stale until an adoption
  // got through: a failed one gives the lease back, and a grant after it (a lease of ours re-acquired after a lapse
  // included) takes the world over again instead of stepping the copy.
  x.reads.mustAdopt.add(worldId);
  await x.takeover.adoptInTick(worldId, token, () => x.reads.mustAdopt.delete(worldId));
  return true;
};

/**
 * One lease step of a world whose lease was handed here and whose adopt request has not come
 * (`WorldTakeover.waitHandover`): renew it; once {@link HANDOVER_GRACE_TICKS} ticks passed without
 * the request, take the world over as a failover. A lease this handle no longer holds (handed back by
 * a refusal, released) or that is someone else's ends the wait. Resolves as {@link tickWorldLease}.
 */
const handedLease = async (x: LeaseTickContext, worldId: string, held: boolean, onError: (err: unknown) => void): Promise<boolean> => {
  const o = x.opts;
  if (!held) {
    x.takeover.endHandoverWait(worldId);
    return true;
  }
  let r: Awaited<ReturnType<typeof o.coordinator.renew>>;
  try {
    r = await o.coordinator.renew(worldId, o.instanceId, o.leaseTtlMs);
  } catch (err) {
    x.counters.leaseFailures++;
    onError(err);
    return false;
  }
  if (!x.takeover.awaitingHandover(worldId)) return true; // the adopt request came meanwhile: takeHandover has it
  if (!r.ok) {
    x.counters.leaseFailures++;
    x.takeover.endHandoverWait(worldId);
    if (r.owner) noteSeenToken(x.seenTokens, worldId, r.owner.fencingToken);
    return true;
  }
  x.counters.leaseRenewals++;
  if (x.takeover.waitHandover(worldId)) return true;
  o.logger.warn(
    { world: worldId, fencingToken: r.fencingToken, graceTicks: HANDOVER_GRACE_TICKS, previousOwner: x.previousOwner(worldId) },
    'cluster: no adopt request came for the world lease handed here; taking the world over as a failover',
  );
  if (!(await takeOver(x, worldId, r.fencingToken, 'takeover'))) await x.announce(worldId, r.fencingToken);
  return true;
};

/**
 * Renew or acquire the lease of `worldId` for this instance, announce a new token to the store,
 * and adopt the world from its checkpoint after a failover. Resolves false when a coordinator
 * call failed (the control tick counts it against reachability; `onError` is told the error),
 * true otherwise, whether or not the lease was granted. Never rejects.
 */
export const tickWorldLease = async (
  x: LeaseTickContext,
  worldId: string,
  onError: (err: unknown) => void = () => {},
): Promise<boolean> => {
  const o = x.opts;
  const c = o.coordinator;
  const id = o.instanceId;
  const held = c.heldLease(worldId) !== null;
  // Handed here, its adopt request not here yet: renewed and held, taken over as a failover only after the grace.
  if (x.takeover.awaitingHandover(worldId)) return handedLease(x, worldId, held, onError);
  // Being taken over right now (a handover in progress): `takeHandover` renews and adopts it.
  if (!held && x.held.has(worldId)) return true;
  // Declined here (a newer build wrote its checkpoint, or its game data does not fit this game): never renewed or
  // acquired again, left to an instance that can run it.
  if (x.takeover.tooNew(worldId)) {
    if (held && !x.held.has(worldId)) await c.release(worldId, id).catch(() => undefined);
    return true;
  }
  // Given back with its announce or a grant's read still in flight (the store has not answered): not acquired again until
  // the store answered. Each grant would mint a token, find the answer pending and give the lease back — the token would
  // climb by one per tick (and, for an announce, every token be sent to the store after the heal). Another instance may
  // take the world meanwhile: the answer then no longer holds here (`dropStaleReads`; an announce's token is not held).
  if (!held && (x.announcing(worldId) || readPending(x, worldId))) return true;
  try {
    let r = held ? await c.renew(worldId, id, o.leaseTtlMs) : await c.acquire(worldId, id, o.leaseTtlMs, x.minToken(worldId));
    // Our lease expired and nobody took it (a short partition): take it again now, with a new token.
    if (held && !r.ok && r.owner === null) {
      x.counters.leaseFailures++;
      r = await c.acquire(worldId, id, o.leaseTtlMs, x.minToken(worldId));
      if (r.ok) {
        x.counters.leaseAcquired++;
        x.granted.add(worldId);
        // Deleted by whoever held it meanwhile, or a stale copy taken over from the store instead (`mustAdopt`).
        if (await takeOver(x, worldId, r.fencingToken, 'none')) return true;
        o.logger.info({ world: worldId, fencingToken: r.fencingToken }, 'cluster: world lease re-acquired after it lapsed');
        await x.announce(worldId, r.fencingToken);
      }
      return true;
    }
    if (r.ok) {
      if (held) x.counters.leaseRenewals++;
      else {
        x.counters.leaseAcquired++;
        const seen = (x.seenTokens.get(worldId) ?? 0) > 0; // another instance held it
        const kind = seen ? 'takeover' : resumesStored(x, worldId, r.fencingToken) ? 'resumed' : 'none';
        x.granted.add(worldId);
        const takeover = kind !== 'none';
        o.logger.info(
          { world: worldId, fencingToken: r.fencingToken, takeover, ...(takeover ? { previousOwner: x.previousOwner(worldId) } : {}) },
          'cluster: world lease acquired',
        );
        if (seen && x.held.has(worldId)) return true; // a handover to us landed meanwhile: takeHandover adopts it
        // Ours without a token minted for us: handed here by a migration whose adopt request is on its way.
        if (seen && !r.minted && x.takeover.waitHandover(worldId)) {
          o.logger.info(
            { world: worldId, fencingToken: r.fencingToken, from: x.previousOwner(worldId) },
            'cluster: world lease handed here; waiting for its adopt request',
          );
          return true;
        }
        if (await takeOver(x, worldId, r.fencingToken, kind)) return true;
      }
      await x.announce(worldId, r.fencingToken);
    } else {
      if (held) {
        x.counters.leaseFailures++;
        o.logger.warn({ world: worldId, owner: r.owner?.instanceId ?? null }, 'cluster: lease renewal refused');
      }
      if (r.owner) noteSeenToken(x.seenTokens, worldId, r.owner.fencingToken);
    }
    return true;
  } catch (err) {
    if (held) x.counters.leaseFailures++;
    onError(err);
    return false;
  }
};
