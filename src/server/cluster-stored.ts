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
