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
