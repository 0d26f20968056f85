/**
 * The stored side of `DELETE /api/v1/worlds/{id}` (src/admin/routes-worlds.ts, docs/ADMIN.md):
 * the world's record and checkpoints are deleted (after a write of them still in flight), and the
 * answer's `durable` says whether the first attempt did it. A failed delete is retried in the
 * background (the store down for a while) until it succeeds, the record belongs to a world of the
 * same id created since, or the store closed.
 *
 * Cluster mode: the world's lease is kept — renewed, never given back — until the record is gone,
 * so no other instance adopts the deleted world from its still-present record meanwhile
 * (`ClusterService.forget`, docs/CLUSTER.md "Deleting a world"). Another instance's copy of the
 * world (a standby copy, an old owner's) is dropped there once the record is gone ({@link dropStaleCopy}).
 */
import { isWorldtickError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Checkpointer } from '../persist/checkpointer.js';
import type { Fence, Store } from '../store/types.js';
import { destroySimWorld, type SimWorld } from '../world/sim-world.js';
import type { ClusterService } from './cluster-service.js';

/** First pause (wall ms) between attempts of a failed record delete; doubled up to {@link RETRY_MAX_MS}. */
const RETRY_MS = 250;
const RETRY_MAX_MS = 5000;

/** What {@link deleteWorldRecord} needs from the runtime. */
export interface DeletedWorldDeps {
  readonly cluster: ClusterService;
  readonly checkpointer: Checkpointer;
  /** The open store, or null once it closed (a retry in progress then ends). */
  readonly store: () => Store | null;
  readonly logger: Logger;
}

/**
 * Retry the delete of `worldId`'s record of `incarnation` until it succeeds or the store closed.
 * Never rejects.
 */
const retryDelete = async (deps: DeletedWorldDeps, worldId: string, incarnation: string, fence: Fence | undefined): Promise<void> => {
  for (let pause = RETRY_MS; ; pause = Math.min(RETRY_MAX_MS, pause * 2)) {
    await new Promise((resolve) => setTimeout(resolve, pause).unref());
    const store = deps.store();
    if (!store) return;
    try {
      // Only that incarnation: a world of the same id created since keeps its own; fenced: not once another instance took it over.
      await store.deleteWorldConfig(worldId, { incarnation, ...(fence ? { fence } : {}) });
      deps.logger.info({ world: worldId }, 'world record deleted after a retry');
      return;
    } catch (err) {
      if (isWorldtickError(err, 'WT_ERR_STORE_CLOSED')) return;
      if (isWorldtickError(err, 'WT_ERR_STORE_FENCED')) {
        deps.logger.warn(
          { world: worldId, details: err.details },
          'world record not deleted: another instance took the world over; it runs there',
        );
        return;
      }
      deps.logger.warn({ world: worldId, err, retryInMs: pause * 2 }, 'world record delete failed again; retrying');
    }
  }
};

/**
 * Delete the stored record and checkpoints of the deleted world `worldId` and give its lease back
 * once they are gone. Resolves whether the first attempt deleted them (the answer's `durable`);
 * after a failure the delete is retried in the background, the lease kept until it succeeds.
 */
export const deleteWorldRecord = (deps: DeletedWorldDeps, worldId: string): Promise<boolean> => {
  const incarnation = deps.checkpointer.incarnationOf(worldId);
  // Under this instance's token: refused once another instance took the world over (its lease lapsed meanwhile).
  const fence = deps.cluster.deleteFence(worldId);
  const first = deps.checkpointer.untrack(worldId, { forget: true, ...(fence ? { fence } : {}) }); // waits for a write of it in flight
  const gone = first.then((ok) => (ok || incarnation === undefined ? undefined : retryDelete(deps, worldId, incarnation, fence)));
  deps.cluster.forget(worldId, gone);
  return first;
};

/** What {@link dropStaleCopy} needs from the runtime. */
export interface StaleCopyDeps {
  readonly runner: { has(id: string): boolean; get(id: string): SimWorld; remove(id: string): void };
  /** Detach what a deleted world holds outside it (sessions, game hooks, ledger, shard workers). */
  readonly detach: (world: SimWorld) => void;
  readonly checkpointer: Checkpointer;
  readonly cluster: () => ClusterService;
}

/**
 * Drop this instance's copy of `worldId`, a world it hosts but does not own whose stored record is gone
 * (deleted on another instance; the cluster service's `staleCopies.drop`, docs/CLUSTER.md "Deleting a
 * world"): removed as a delete does, without touching the store (nothing of it is left there).
 */
export const dropStaleCopy = (deps: StaleCopyDeps, worldId: string): void => {
  if (!deps.runner.has(worldId)) return;
  const world = deps.runner.get(worldId);
  deps.runner.remove(worldId);
  deps.detach(world);
  void deps.checkpointer.untrack(worldId, { forget: false });
  deps.cluster().forget(worldId);
  destroySimWorld(world);
};
