/**
 * What the shared store holds, as the cluster service asks it (src/server/cluster-service.ts): the
 * stored worlds with their records' stamps (orphan failover, src/server/cluster-takeover.ts), and
 * whether one world has a record — a new world's id (an admin create) and a copy whose world may have
 * been deleted elsewhere (src/server/cluster-lease-tick.ts) — by a lookup of that one record
 * (`storedRecord`), not by listing them all.
 */
import type { ClusterServiceOptions } from './cluster-types.js';
import type { StoredWorldStamp } from './not-started.js';

/** The stored worlds with their records' stamps (`storedRecords`, else `storedWorlds` without stamps). Call only with one of them set. */
export const listStored = async (o: ClusterServiceOptions): Promise<StoredWorldStamp[]> => {
  if (o.storedRecords) return (await o.storedRecords()).map((r) => ({ worldId: r.worldId, updatedAt: r.updatedAt }));
  return (await o.storedWorlds!()).map((worldId) => ({ worldId, updatedAt: null }));
};

/**
 * How long one control tick waits for the orphan scan's listing (ms): a sixth of the lease TTL, at
 * least 50 ms (1 s at the default TTL of 6 s); a new grant's fencing-token announce too (at least its
 * fence-row lock wait: src/server/cluster-fence-announce.ts). The tick renews no lease while it waits, and a query on
 * a connection the network silently dropped waits the store's whole query timeout (5 s), longer than
 * the renewals can wait (docs/CLUSTER.md "Partition").
 */
export const orphanScanWaitMs = (leaseTtlMs: number): number => Math.max(50, Math.floor(leaseTtlMs / 6));

/**
 * {@link listStored} for the control tick: each call waits at most `waitMs` and resolves null when the
 * store has not answered by then. The listing is not dropped: it stays the one in flight, and the next
 * call waits for it (or takes its answer, come meanwhile) instead of sending another, so a silent store
 * never holds more than one listing. Rejects as the listing does.
 */
export const storedLister = (o: ClusterServiceOptions): ((waitMs: number) => Promise<StoredWorldStamp[] | null>) => {
  let pending: Promise<{ records: StoredWorldStamp[] }> | null = null;
  return async (waitMs) => {
    const listing = (pending ??= listStored(o).then((records) => ({ records })));
    try {
      const r = await settledWithin(listing, waitMs);
      if (r !== null) pending = null;
      return r?.records ?? null;
    } catch (err) {
      pending = null;
      throw err;
    }
  };
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
