/**
 * The durable half of an admin-created world (docs/DURABILITY.md, docs/CLUSTER.md): the `201` of
 * `POST /api/v1/worlds` waits for the world's record in the store, written marked pending, then confirmed
 * (written again without the mark, src/persist/world-record.ts). In cluster mode the record is
 * fenced, so the lease is taken at once (not at the next control tick) and its token announced to
 * the store first; all of it within a bound, or the create fails with `WT_ERR_WORLD_NOT_DURABLE`
 * (the caller then releases everything: lease, record, world).
 */
import { isWorldtickError, worldNotDurable } from '../errors.js';
import type { Checkpointer } from '../persist/checkpointer.js';
import type { ClusterService } from './cluster-service.js';

/** What {@link makeCreatedWorldDurable} needs. */
export interface CreatedWorldDurableDeps {
  readonly cluster: ClusterService;
  readonly checkpointer: Checkpointer;
  /** Longest wait for lease + token + record (cluster mode); see {@link CREATE_DURABLE_TIMEOUT_MS}. */
  readonly timeoutMs: number;
  /**
   * Given the durable work (cluster mode), which may go on after the bound rejected the create: a
   * failed create is undone once it settled (src/server/admin-created-world.ts).
   */
  readonly onWork?: (work: Promise<void>) => void;
}

/**
 * The bound (wall ms) of a cluster create's durable part: 3 s, whatever the lease TTL — under the 5 s
 * timeout of a create forwarded by another instance, with the up to 1 s wait for the undo of a failed
 * one. The lease taken at the create is renewed by the control tick meanwhile (`ClusterService.claim`),
 * so it does not lapse within the bound; it was the TTL (at least 1 s) while it was not, and with a
 * short TTL, creates on a loaded instance were refused whose record landed a moment later.
 */
export const CREATE_DURABLE_TIMEOUT_MS = 3000;

/**
 * Write the record of a tracked world (tracked `pending`: marked so), check that it landed, then confirm it (write
 * it again without the mark): one that lands after a 503 is never taken over or restored (src/server/unconfirmed-create.ts).
 */
const writeAndConfirm = async (checkpointer: Checkpointer, worldId: string): Promise<void> => {
  const before = checkpointer.report(worldId)?.recordsWritten ?? 0;
  await checkpointer.record(worldId);
  // record() logs and swallows a failed write (or skips one without a fence): check it landed.
  // The store's error (lastRecordError) ends the 503's message: the operator sees why without the log.
  const cause = (): string | null => checkpointer.report(worldId)?.lastRecordError ?? null;
  if ((checkpointer.report(worldId)?.recordsWritten ?? 0) <= before)
    throw worldNotDurable(worldId, 'its record could not be written', cause());
  if (!(await checkpointer.confirm(worldId))) throw worldNotDurable(worldId, 'its record could not be confirmed', cause());
};

/**
 * Write the record of a created, tracked world; in cluster mode take its lease and announce the
 * token first, check that the record (tracked `pending`) was written, then confirm it, all within `timeoutMs`. Rejects with
 * `WT_ERR_WORLD_NOT_DURABLE` otherwise. Without cluster enforcement: the record write and its confirm, and the
 * same error when either failed (no time bound of its own: the store's timeouts apply).
 */
export const makeCreatedWorldDurable = async (deps: CreatedWorldDurableDeps, worldId: string): Promise<void> => {
  const { cluster, checkpointer } = deps;
  if (!cluster.enforce) {
    // One instance: no lease or fence, and the store's own timeouts bound the writes; only check they landed.
    await writeAndConfirm(checkpointer, worldId);
    return;
  }
  const run = async (): Promise<void> => {
    // An unanswered lease acquire (a coordinator command past its timeout on a loaded instance) is asked again for the
    // first half of the bound: the last attempt (up to a command timeout, at most 1 s) still ends within it, so a
    // coordinator that never answers refuses the create with its own error, not the bound's.
    await cluster.claim(worldId, deps.timeoutMs / 2);
    await writeAndConfirm(checkpointer, worldId);
  };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(worldNotDurable(worldId, `not done within ${deps.timeoutMs} ms`)), deps.timeoutMs);
  });
  const work = run();
  work.catch(() => undefined); // a late rejection after the deadline is not unhandled
  deps.onWork?.(work);
  try {
    await Promise.race([work, deadline]);
  } catch (err) {
    if (isWorldtickError(err, 'WT_ERR_WORLD_NOT_DURABLE')) throw err;
    throw worldNotDurable(worldId, err instanceof Error ? err.message : String(err));
  } finally {
    clearTimeout(timer);
  }
};
