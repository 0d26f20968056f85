/**
 * What the runtime does with a world created through the admin API (`POST /api/v1/worlds`,
 * src/server/runtime-admin.ts): the game's modules attach their services (scenes), a lease is taken at
 * once, the world is persisted (record + first checkpoint) and gets its ledger. The `201` waits
 * for the record (a crash right after it must not lose the world: on PostgreSQL the write is
 * async); it is written marked pending, then confirmed, so that one landing after a 503 is never taken over or
 * restored (src/server/unconfirmed-create.ts). Cluster mode: the lease is taken and its token announced at once,
 * the record written with that fence, within a bound (3 s); otherwise `WT_ERR_WORLD_NOT_DURABLE` (503) and nothing is kept
 * (src/server/created-world-durable.ts). From the claim until the runner has the world (or its failed
 * create is undone) the control tick renews that lease (`ClusterService.claim`, `created`, `forget`).
 *
 * A slow store (not a down one) may still commit the record after the 503: the write's client gave
 * up, the COMMIT did not. So a failed create is undone in the background — once the durable work
 * settled, the record of that world's incarnation is deleted by a delete that waits for a write of
 * it still in flight (`Store.deleteWorldConfig`), retried until it succeeds — and until then the
 * world stays held (no orphan failover here) under its lease, still renewed (no other instance adopts
 * the late record as an orphan, however long the undo takes), and a create of the same id is
 * answered 503 as well. The id is free again once the undo is done (docs/ADMIN.md).
 *
 * The undo's delete is fenced with this instance's token: should this instance stall past its lease while it
 * undoes and another instance take the world over from the late record, the store refuses the delete, and the
 * undo has the world deleted where it runs now (or takes the lease back when nobody holds it), so that the
 * world answered 503 ends up gone everywhere and is not written back (docs/CLUSTER.md "A failed create taken
 * over while it is undone").
 */
import { isWorldtickError, worldNotDurable } from '../errors.js';
import { detachLedger } from '../ledger/world-ledger.js';
import type { Logger } from '../log.js';
import type { Checkpointer } from '../persist/checkpointer.js';
import { parseWorldRecord } from '../persist/world-record.js';
import type { Fence, Store } from '../store/types.js';
import { entityCount, type SimWorld } from '../world/sim-world.js';
import type { ClusterService } from './cluster-service.js';
import { CREATE_DURABLE_TIMEOUT_MS, makeCreatedWorldDurable } from './created-world-durable.js';

/** Longest wait (wall ms) for the undo of a failed create before its 503 is sent (the undo goes on after it). */
const UNDO_GRACE_MS = 1000;
/** First pause (wall ms) between attempts of an undo's delete; doubled up to {@link UNDO_RETRY_MAX_MS}. */
const UNDO_RETRY_MS = 250;
const UNDO_RETRY_MAX_MS = 5000;
/** Longest wait (wall ms) for the answer of the delete sent to the instance that took a failed create over. */
const DELETE_ELSEWHERE_TIMEOUT_MS = 10_000;

/** What {@link createdWorldHook} needs from the runtime. */
export interface CreatedWorldHookDeps {
  readonly cluster: ClusterService;
  readonly checkpointer: Checkpointer;
  /** Attach the game's services (scenes) and the world's shard workers. */
  readonly attach: (world: SimWorld) => void;
  /** Attach the world's ledger on the durable store. */
  readonly withLedger: (world: SimWorld) => void;
  /** The open store, or null once it closed (an undo in progress then ends). */
  readonly store: () => Store | null;
  readonly logger: Logger;
  /** The cluster's admin token: the undo asks the instance that took a failed create over to delete it. */
  readonly adminToken: string;
}

/**
 * Undo a failed create of `worldId` (see the module comment): once `settled` (its durable work and
 * the record write in flight, as its client saw them), delete the record of `incarnation` (one that
 * landed late included), under this instance's fencing token, retrying until done or the store closed.
 * Refused as fenced, another instance took the world over from the late record while this instance
 * stalled: the world is deleted there ({@link deleteWhereTakenOver}), so that it is gone everywhere as
 * the 503 said. Never rejects.
 */
const undoCreate = async (deps: CreatedWorldHookDeps, worldId: string, incarnation: string, settled: Promise<unknown>): Promise<void> => {
  await settled;
  let fence: Fence | undefined;
  let tookBack = false; // the lease taken back here once: that attempt's next one goes without a pause
  for (let pause = UNDO_RETRY_MS; ; pause = Math.min(UNDO_RETRY_MAX_MS, pause * 2)) {
    const store = deps.store();
    if (!store) return;
    // This instance's token (its lease's, else the one it announced), once the durable work settled; none when
    // the create never took the lease (then no record was written either).
    fence ??= deps.cluster.deleteFence(worldId);
    try {
      if (await store.deleteWorldConfig(worldId, { incarnation, ...(fence ? { fence } : {}) }))
        deps.logger.warn({ world: worldId }, 'admin create: the record of a create answered 503 landed late; removed');
      return;
    } catch (err) {
      if (isWorldtickError(err, 'WT_ERR_STORE_CLOSED')) return;
      if (isWorldtickError(err, 'WT_ERR_STORE_FENCED')) {
        const next = await deleteWhereTakenOver(deps, store, worldId, incarnation);
        if (next === 'gone') return;
        fence = undefined; // the next attempt's is the lease's again (taken back here when nobody held it)
        if (next === 'now' && !tookBack) {
          tookBack = true;
          continue; // the lease was just taken back: delete under it at once (the pauses are for a failing store)
        }
      } else
        deps.logger.warn(
          { world: worldId, err, retryInMs: pause },
          'admin create: removing the record of a failed create failed; retrying',
        );
      await new Promise((resolve) => setTimeout(resolve, pause).unref());
    }
  }
};

/**
 * The undo's delete of `worldId`'s record was refused as fenced: another instance holds a higher token (it
 * took the world over from the late record while this instance stalled past its lease). `gone` once the world
 * answered 503 is gone: its record (of `incarnation`) is no longer stored, or the instance that owns the
 * world now deleted it (`DELETE /api/v1/worlds/{id}` sent there, marked as forwarded, which stops the world,
 * deletes its record under that instance's token and gives the lease back after). `now`: nobody held the
 * lease and it was taken here, so the next attempt, at once, deletes the record under a token above the
 * store's. `later`: try again after the pause (not answering, not hosting the world yet, its delete not
 * durable yet, the store not readable, or the lease taken by someone else meanwhile). Never rejects.
 */
const deleteWhereTakenOver = async (
  deps: CreatedWorldHookDeps,
  store: Store,
  worldId: string,
  incarnation: string,
): Promise<'gone' | 'now' | 'later'> => {
  const { cluster, logger } = deps;
  let ours: boolean;
  try {
    ours = parseWorldRecord((await store.getWorldConfig(worldId))?.config)?.incarnation === incarnation;
  } catch (err) {
    logger.warn({ world: worldId, err }, 'admin create: the store could not be read to undo a failed create; retrying');
    return 'later';
  }
  if (!ours) return 'gone'; // deleted by the instance that took it over, or a world of the same id created since
  const owner = cluster.ownerOf(worldId);
  if (!owner) {
    // Nobody holds it (the instance that took it over died or gave it back): take the lease here, a token above
    // the store's, and delete under it at the next attempt. Refused (someone took it meanwhile): after the pause.
    return cluster.claim(worldId).then(
      (token) => {
        logger.info({ world: worldId, fencingToken: token }, 'admin create: lease of a failed create taken back to delete its record');
        return 'now' as const;
      },
      () => 'later' as const,
    );
  }
  if (owner.instanceId === cluster.instanceId || !owner.adminUrl) return 'later'; // the view catches up within a tick
  try {
    const res = await fetch(`${owner.adminUrl}/api/v1/worlds/${encodeURIComponent(worldId)}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${deps.adminToken}`, 'x-worldtick-forwarded-by': cluster.instanceId },
      signal: AbortSignal.timeout(DELETE_ELSEWHERE_TIMEOUT_MS),
    });
    const json = (await res.json().catch(() => ({}))) as { durable?: unknown };
    if (res.status === 200 && json.durable === true) {
      logger.warn(
        { world: worldId, owner: owner.instanceId },
        'admin create: a failed create was taken over by another instance while it was undone; deleted there',
      );
      return 'gone';
    }
    logger.warn(
      { world: worldId, owner: owner.instanceId, status: res.status },
      'admin create: a failed create was taken over by another instance while it was undone; its delete there is not done yet, retrying',
    );
  } catch (err) {
    logger.warn(
      { world: worldId, owner: owner.instanceId, err },
      'admin create: the instance that took a failed create over did not answer its delete; retrying',
    );
  }
  return 'later';
};

/**
 * The admin server's `onWorldCreated` hook of the runtime: resolves once the created world is
 * durable (the `201`), rejects with `WT_ERR_WORLD_NOT_DURABLE` (the `503`) after giving back what
 * it took.
 */
export const createdWorldHook = (deps: CreatedWorldHookDeps) => {
  /** Ids whose failed create is being undone. */
  const undoing = new Set<string>();
  return async (world: SimWorld): Promise<void> => {
    const { cluster, checkpointer, attach, withLedger } = deps;
    if (undoing.has(world.id)) throw worldNotDurable(world.id, 'a failed create of this id is still being undone');
    attach(world);
    // Its record is written pending until confirmed right before the 201 (created-world-durable.ts).
    checkpointer.track(world, { origin: 'admin', npcs: entityCount(world), pending: true });
    withLedger(world);
    cluster.hold(world.id); // no orphan failover of its record before the runner has it
    let work: Promise<void> = Promise.resolve();
    try {
      await makeCreatedWorldDurable({ cluster, checkpointer, timeoutMs: CREATE_DURABLE_TIMEOUT_MS, onWork: (w) => (work = w) }, world.id);
    } catch (err) {
      void detachLedger(world);
      const incarnation = checkpointer.incarnationOf(world.id) ?? ''; // tracked above
      // Untracked now (no more record writes); the promise waits for a write in flight.
      const untracked = checkpointer.untrack(world.id, { forget: false });
      undoing.add(world.id);
      const undone = undoCreate(deps, world.id, incarnation, Promise.allSettled([work, untracked])).finally(() => {
        cluster.forget(world.id);
        cluster.unhold(world.id);
        undoing.delete(world.id);
      });
      // Usually quick (nothing in flight): then the id is free when the 503 goes out. Bounded, so that the
      // 503 of a create forwarded by another instance still beats its forward timeout.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([undone, new Promise((resolve) => (timer = setTimeout(resolve, UNDO_GRACE_MS)))]);
      clearTimeout(timer);
      throw err;
    }
    cluster.created(world.id); // the runner has it next (the caller adds it): its lease renews as a hosted world's
    cluster.unhold(world.id);
    setImmediate(() => void cluster.kick());
    void checkpointer.checkpoint(world.id);
  };
};
