/**
 * A takeover that finds nothing to take over (docs/CLUSTER.md "A failed create taken over while it is
 * undone"): the world's record was removed before this instance's takeover read it — the undo of a failed
 * create or a delete landed first — and there is no local copy. Not a failure: the world was deleted. The
 * mover says so with `WT_ERR_WORLD_NOT_FOUND`, and the takeover gives the lease back with an info line
 * (src/server/cluster-takeover.ts) instead of the error of a takeover that failed.
 */
import { worldNotFound } from '../errors.js';
import type { Store } from '../store/types.js';

/**
 * `worldId`'s load found nothing to restore and there is no local copy: reject with `WT_ERR_WORLD_NOT_FOUND`
 * when the store holds no record of it (deleted); resolve false (a failed takeover) when it holds one that
 * could not be restored, or when there is no store to ask or it cannot be read.
 */
export const refuseNothingStored = async (store: Store | undefined, worldId: string): Promise<false> => {
  const stored = store ? await store.hasWorldConfig(worldId).catch(() => true) : true;
  if (!stored) throw worldNotFound(worldId);
  return false;
};
