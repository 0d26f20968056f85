/**
 * Records of admin creates never confirmed (docs/CLUSTER.md "A create answered 503 whose instance dies"). In
 * cluster mode a create writes its world's record marked `pending` and confirms it (writes it again without
 * the mark) right before answering `201` (src/server/created-world-durable.ts). A pending record hosted by
 * nobody is one whose create was answered `503` (the record landed late, after the client gave up) or never
 * answered, and whose instance died (or stalled past its lease) before its undo removed it: the client was
 * told the world does not exist, so it is never brought to life. An instance granted its lease (an orphan
 * failover, a standby copy's takeover) removes it instead, under its own fencing token, already announced —
 * so the creating instance, should it come back, can no longer confirm it (its write is fenced out, its create
 * answered 503) — and gives the lease back. A migration never meets one: a world migrates only once hosted,
 * that is after its create was confirmed. Records without the mark (the default world's, those written before
 * the mark existed) are confirmed. One instance (no `--redis`) writes the mark too and removes a pending
 * record at its next start ({@link removeUnconfirmedCreate}).
 */
import { isWorldtickError, worldNotDurable } from '../errors.js';
import type { Logger } from '../log.js';
import { parseWorldRecord } from '../persist/world-record.js';
import type { Store } from '../store/types.js';

/**
 * Before `worldId` is taken over under `token` (announced to the store): when its stored record is pending,
 * remove it (fenced with `token`, that incarnation only) and throw `WT_ERR_WORLD_NOT_DURABLE` (the caller
 * adopts nothing and gives the lease back, quietly). A failed delete is logged: the record is still never
 * adopted, and the next instance granted the lease tries again. Rejects as the store's read does (an outage:
 * the caller's usual handling). Resolves when the record is not pending (or gone).
 */
export const refuseUnconfirmedCreate = async (store: Store, logger: Logger, worldId: string, token: number): Promise<void> => {
  const rec = parseWorldRecord((await store.getWorldConfig(worldId))?.config);
  if (!rec?.pending) return;
  const fields = { world: worldId, fencingToken: token, incarnation: rec.incarnation };
  try {
    await store.deleteWorldConfig(worldId, { incarnation: rec.incarnation, fence: { worldId, token } });
    logger.warn(
      fields,
      'cluster: stored world not taken over: its create was never confirmed (answered 503, its instance gone); record removed',
    );
  } catch (err) {
    const fenced = isWorldtickError(err, 'WT_ERR_STORE_FENCED'); // another instance holds a newer token: it removes it
    logger[fenced ? 'info' : 'warn'](
      { ...fields, err },
      'cluster: stored world not taken over: its create was never confirmed; removing its record failed, left to the next holder of its lease',
    );
  }
  throw worldNotDurable(worldId, 'its create was never confirmed (a stored record marked pending)');
};

/** Whether `worldId`'s stored record is of a create never confirmed (marked pending); rejects when the store cannot be read. */
export const isUnconfirmedCreate = async (store: Store, worldId: string): Promise<boolean> =>
  parseWorldRecord((await store.getWorldConfig(worldId))?.config)?.pending === true;

/**
 * One instance (no `--redis`), at start: the record of `incarnation` of `worldId`, marked pending, is of a create
 * whose instance died before confirming or undoing it (one instance owns the store: nobody else is creating it);
 * removed (that incarnation only, unfenced). A failed delete is logged; the record is not restored either way.
 */
export const removeUnconfirmedCreate = async (store: Store, logger: Logger, worldId: string, incarnation: string): Promise<void> => {
  try {
    await store.deleteWorldConfig(worldId, { incarnation });
    logger.warn(
      { world: worldId, incarnation },
      'stored record of a create never confirmed removed (its instance stopped before removing it)',
    );
  } catch (err) {
    logger.warn({ world: worldId, incarnation, err }, 'stored record of a create never confirmed could not be removed; not restored');
  }
};
