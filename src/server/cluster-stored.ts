/**
 * What the shared store holds, as the cluster service asks it (src/server/cluster-service.ts): the
 * stored worlds with their records' stamps (orphan failover, src/server/cluster-takeover.ts), and
 * whether one world has a record — a new world's id (an admin create) and a copy whose world may have
 * been deleted elsewhere (src/server/cluster-lease-tick.ts) — by a lookup of that one record
 * (`storedRecord`), not by listing them all.
 */
import { parseWorldRecord } from '../persist/world-record.js';
import type { ClusterServiceOptions } from './cluster-types.js';
import type { StoredWorldStamp } from './not-started.js';

/** The stored worlds with their records' stamps (`storedRecords`, else `storedWorlds` without stamps). Call only with one of them set. */
export const listStored = async (o: ClusterServiceOptions): Promise<StoredWorldStamp[]> => {
  if (o.storedRecords)
    return (await o.storedRecords()).map((r) => ({
      worldId: r.worldId,
      updatedAt: r.updatedAt,
      ...(parseWorldRecord(r.config)?.pending ? { pending: true as const } : {}),
    }));
  return (await o.storedWorlds!()).map((worldId) => ({ worldId, updatedAt: null }));
};

/**
 * How long one control tick waits for the orphan scan's listing (ms): a sixth of the lease TTL, at
 * least 50 ms (1 s at the default TTL of 6 s); a new grant's reads of the store too ({@link GrantReads}), and
 * its fencing-token announce and a failover's restore (at least the fence-row lock wait:
 * src/server/cluster-fence-announce.ts, src/server/cluster-takeover.ts). The tick renews no lease while it waits, and a query on
 * a connection the network silently dropped waits the store's whole query timeout (5 s), longer than
 * the renewals can wait (docs/CLUSTER.md "Partition").
 */
export const orphanScanWaitMs = (leaseTtlMs: number): number => Math.max(50, Math.floor(leaseTtlMs / 6));

/**
 * {@link listStored} for the control tick: each call waits at most `waitMs` and resolves null when the
 * store has not answered by then ({@link boundedPerKey}: one listing in flight at most). Rejects as the listing does.
 */
export const storedLister = (o: ClusterServiceOptions): ((waitMs: number) => Promise<StoredWorldStamp[] | null>) => {
  const list = boundedPerKey(() => listStored(o));
  return async (waitMs) => (await list.within('', waitMs))?.value ?? null;
};

/** A store's answer, boxed: null (not answered yet) differs from an answer that is falsy. */
export interface Answer<T> {
  readonly value: T;
}

/** `call` for the control tick, per key: see {@link boundedPerKey}. */
export interface BoundedCalls<T> {
  /** Wait at most `waitMs` (ms) for the call of `key` (sent now unless one is in flight or answered): null when it has not answered. */
  within(key: string, waitMs: number): Promise<Answer<T> | null>;
  /** Drop the call of `key` (in flight or answered): its answer no longer holds; the next {@link within} sends another. */
  forget(key: string): void;
  /** Whether the call of `key` is in flight (sent, not settled yet). */
  pending(key: string): boolean;
  /** The keys with a call in flight or answered. */
  keys(): IterableIterator<string>;
}

/**
 * `call` for the control tick, per key (a world's id): each call waits at most `waitMs` and resolves null when
 * the store has not answered by then. The call is not dropped: it stays the one in flight for its key, and the
 * next call with that key waits for it (or takes its answer, come meanwhile) instead of sending another, so a
 * silent store never holds more than one per key (unless forgotten). Rejects as the call does. An answer no later
 * call takes is kept (one per key).
 */
export const boundedPerKey = <T>(call: (key: string) => Promise<T>): BoundedCalls<T> => {
  const pending = new Map<string, Promise<Answer<T>>>();
  const unsettled = new Set<Promise<Answer<T>>>();
  const within = async (key: string, waitMs: number): Promise<Answer<T> | null> => {
    let run = pending.get(key);
    if (!run) {
      const sent = call(key).then((value) => ({ value }));
      unsettled.add(sent);
      const settled = (): void => void unsettled.delete(sent);
      sent.then(settled, settled);
      run = sent;
      pending.set(key, run);
    }
    const done = (): void => {
      if (pending.get(key) === run) pending.delete(key);
    };
    try {
      const r = await settledWithin(run, waitMs);
      if (r !== null) done();
      return r;
    } catch (err) {
      done();
      throw err;
    }
  };
  const isPending = (key: string): boolean => {
    const run = pending.get(key);
    return run !== undefined && unsettled.has(run);
  };
  return { within, forget: (key) => void pending.delete(key), pending: isPending, keys: () => pending.keys() };
};

/**
 * What `work` settles to if it does within `waitMs` (ms), else null; rejects as `work` does within it.
 * `work` goes on after the wait (its caller keeps it, for a later call to take). For a control tick's
 * wait on the store (the listing above, a fencing-token announce: src/server/cluster-fence-announce.ts).
 */
export const settledWithin = async <T>(work: Promise<T>, waitMs: number): Promise<T | null> => {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), waitMs);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
};

/**
 * The store reads of a new grant in the control tick (src/server/cluster-lease-tick.ts), each waited for at
 * most `waitMs` ({@link boundedPerKey}: one in flight per world): whether the world has a stored record
 * ({@link isStoredWorld}), and whether the store's last checkpoint is another than the one its copy here was
 * restored from (`newerCheckpointStored`; false without it).
 */
export interface GrantReads {
  readonly isStored: BoundedCalls<boolean>;
  readonly newerCheckpoint: BoundedCalls<boolean>;
  /** The token of the last grant per world given back because one of these reads had not answered (until the next grant). */
  readonly givenBack: Map<string, number>;
  /**
   * Worlds whose copy here is stale: a resume's check found it older than the store's last checkpoint (or could not
   * read it), or a takeover of the world began here. Every grant (a lease of ours re-acquired after a lapse included)
   * takes them over from the store (never steps the copy) until an adoption got through, or until another instance is
   * seen holding the world (its grants here are takeovers then: src/server/cluster-control-tick.ts).
   */
  readonly mustAdopt: Set<string>;
  /**
   * Grants in a row given back because a read of a world had not answered, per read and world (warnings logged 1st, 10th,
   * 100th…). One per read in flight: the world is not acquired again until its read settled (src/server/cluster-lease-tick.ts).
   */
  readonly unanswered: { readonly isStored: Map<string, number>; readonly newerCheckpoint: Map<string, number> };
  /** Checks in a row of a world's record that failed (the store threw), per world (warnings logged 1st, 10th, 100th…). */
  readonly failed: Map<string, number>;
}

/** {@link GrantReads} over the options' store lookups. */
export const grantReads = (o: ClusterServiceOptions): GrantReads => ({
  isStored: boundedPerKey((id) => isStoredWorld(o, id)),
  newerCheckpoint: boundedPerKey(async (id) => (await o.newerCheckpointStored?.(id)) ?? false),
  givenBack: new Map(),
  mustAdopt: new Set(),
  unanswered: { isStored: new Map(), newerCheckpoint: new Map() },
  failed: new Map(),
});

/** Drop what {@link GrantReads} keeps of the worlds `keep` says no to (no longer hosted here: gone, moved away). */
export const pruneGrantReads = (r: GrantReads, keep: (worldId: string) => boolean): void => {
  for (const calls of [r.isStored, r.newerCheckpoint]) for (const w of [...calls.keys()]) if (!keep(w)) calls.forget(w);
  for (const m of [r.givenBack, r.unanswered.isStored, r.unanswered.newerCheckpoint, r.failed])
    for (const w of [...m.keys()]) if (!keep(w)) m.delete(w);
  for (const w of [...r.mustAdopt]) if (!keep(w)) r.mustAdopt.delete(w);
};

/** Whether the options say what the store holds (`storedRecord`, `storedRecords` or `storedWorlds`). */
export const knowsStored = (o: ClusterServiceOptions): boolean => !!(o.storedRecord || o.storedRecords || o.storedWorlds);

/**
 * Whether `worldId` has a record in the shared store: `storedRecord` (one row by its key), else found in
 * the listing; false when the options say nothing of the store. Rejects when the store cannot be read.
 */
export const isStoredWorld = async (o: ClusterServiceOptions, worldId: string): Promise<boolean> => {
  if (o.storedRecord) return o.storedRecord(worldId);
  if (!o.storedRecords && !o.storedWorlds) return false;
  return (await listStored(o)).some((r) => r.worldId === worldId);
};

/** What {@link restoredCopyHooks} reads of the checkpointer: a world's restore at start or by an adoption. */
interface RestoredReports {
  report(worldId: string): { readonly restored: { readonly fromStep: number } | null } | null;
}

/**
 * The runtime's `restoredFromStore` and `newerCheckpointStored` (src/server/cluster-lease-tick.ts, a resume
 * from the store): a copy restored from the store's record, and whether the store's last checkpoint of the
 * world is another than the one the copy was restored from (by step; none stored is step -1).
 */
export const restoredCopyHooks = (
  checkpointer: RestoredReports,
  store: () => { loadCheckpoint(worldId: string): Promise<{ readonly step: number } | undefined> },
): Pick<ClusterServiceOptions, 'restoredFromStore' | 'newerCheckpointStored'> => ({
  restoredFromStore: (id) => (checkpointer.report(id)?.restored ?? null) !== null,
  newerCheckpointStored: async (id) => {
    const fromStep = checkpointer.report(id)?.restored?.fromStep ?? -1;
    return ((await store().loadCheckpoint(id))?.step ?? -1) !== fromStep;
  },
});
