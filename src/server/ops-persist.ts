/**
 * Operator state on the durable store (docs/ADMIN.md, "Durable"; docs/CLUSTER.md): the
 * {@link OpsDurability} the runtime gives its OpsState, and the restore step every restored or
 * adopted world goes through before it ticks or takes a session.
 *
 *   scope `world:<id>`             { format, incarnation, maintenance, override, tasks }  fenced by the world's owner
 *   scope `runtime`                { format, maintenance }   (one instance; in cluster mode
 *   scope `runtime:<instanceId>`    the flag belongs to the instance: it comes back to an instance
 *                                   restarted with the same --instance-id)
 *
 * Writes of one scope are chained so they commit in call order (each carries the state of its
 * call: the last committed is the newest). A failed write is logged and answered `durable: false`.
 */
import type { MaintenanceFlag, OpsDurability, OpsRestoreSummary, OpsState } from '../admin/ops-state.js';
import { OPS_RECORD_FORMAT, parseRuntimeOpsRecord, parseWorldOpsRecord, type WorldOpsRecord } from '../admin/ops-record.js';
import type { Logger } from '../log.js';
import type { Fence, Store } from '../store/types.js';
import type { SimWorld } from '../world/sim-world.js';

/** Store scope of a world's operator state. */
export const worldOpsScope = (worldId: string): string => `world:${worldId}`;

/** What the persistence of operator state needs from the runtime (read lazily). */
export interface OpsPersistDeps {
  logger: Logger;
  /** The open store, or null (before start / after stop: nothing is written). */
  store: () => Store | null;
  /** The fence of a world's writes: a fence, null (cluster mode, not owned here: not written), undefined (one instance). */
  fence: (worldId: string) => Fence | null | undefined;
  /** The world record's incarnation (src/persist/world-record.ts), if known. */
  incarnation: (worldId: string) => string | undefined;
  /** Scope of the runtime flag (`runtime`, or `runtime:<instanceId>` in cluster mode). */
  runtimeScope: () => string;
}

/** The runtime's operator-state persistence. */
export interface OpsPersistence {
  /** Give this to `new OpsState({ durability })`. */
  readonly durability: OpsDurability;
  /** Read the runtime flag and apply it to `worlds` (at start, before any world is restored or ticks). */
  restoreRuntime(store: Store, ops: OpsState, worlds: readonly SimWorld[]): Promise<void>;
  /**
   * Read a world's record and re-apply it (maintenance, unexpired override, declared tasks), then the
   * effective maintenance. `incarnation`: the world record's (a record of another incarnation is ignored).
   * Called for each world restored at start and each world adopted (migration, failover), before it steps.
   */
  restoreWorld(store: Store, ops: OpsState, world: SimWorld, incarnation: string): Promise<OpsRestoreSummary | null>;
}

/** Build the operator-state persistence of a runtime. */
export const createOpsPersistence = (deps: OpsPersistDeps): OpsPersistence => {
  const { logger } = deps;
  const chains = new Map<string, Promise<unknown>>();
  /** Run `write` after the previous write of `scope`; resolves whether it committed. */
  const queue = (scope: string, what: string, write: (st: Store) => Promise<unknown>): Promise<boolean> => {
    const prev = chains.get(scope) ?? Promise.resolve();
    const next = prev.then(async () => {
      const st = deps.store();
      if (!st) {
        logger.warn({ scope }, `operator state not written (${what}): the store is not open`);
        return false;
      }
      try {
        await write(st);
        return true;
      } catch (err) {
        logger.error({ err, scope }, `operator state could not be written (${what}); the change holds in this process only`);
        return false;
      }
    });
    chains.set(scope, next);
    void next.then(() => {
      if (chains.get(scope) === next) chains.delete(scope);
    });
    return next;
  };

  const durability: OpsDurability = {
    saveWorld(worldId, state) {
      const fence = deps.fence(worldId);
      if (fence === null) {
        logger.warn({ world: worldId }, 'operator state not written: this instance does not own the world');
        return Promise.resolve(false);
      }
      const rec: WorldOpsRecord = { format: OPS_RECORD_FORMAT, incarnation: deps.incarnation(worldId) ?? null, ...state };
      return queue(worldOpsScope(worldId), 'world', (st) => st.putOperatorState(worldOpsScope(worldId), rec, fence ? { fence } : {}));
    },
    saveRuntime(flag: MaintenanceFlag) {
      const scope = deps.runtimeScope();
      return queue(scope, 'runtime', (st) => st.putOperatorState(scope, { format: OPS_RECORD_FORMAT, maintenance: flag }));
    },
    deleteWorld(worldId) {
      return queue(worldOpsScope(worldId), 'delete', (st) => st.deleteOperatorState(worldOpsScope(worldId)));
    },
  };

  return {
    durability,
    async restoreRuntime(store, ops, worlds) {
      const scope = deps.runtimeScope();
      const row = await store.getOperatorState(scope);
      if (!row) return;
      const rec = parseRuntimeOpsRecord(row.state);
      if (!rec) {
        logger.warn({ scope }, 'stored runtime operator state not understood; ignored');
        return;
      }
      ops.restoreRuntime(rec.maintenance, worlds);
      if (rec.maintenance.on) logger.info({ scope: 'runtime', maintenance: rec.maintenance }, 'runtime maintenance restored');
    },
    async restoreWorld(store, ops, world, incarnation) {
      const row = await store.getOperatorState(worldOpsScope(world.id));
      let rec = row ? parseWorldOpsRecord(row.state) : null;
      if (row && !rec) logger.warn({ world: world.id }, 'stored operator state not understood; ignored');
      if (rec && rec.incarnation !== null && rec.incarnation !== incarnation) rec = null; // an earlier world of that id
      const summary = ops.restoreWorld(world, rec);
      if (rec)
        logger.info(
          {
            world: world.id,
            maintenance: summary.maintenance ? rec.maintenance : false,
            override: summary.overrideSeconds === null ? null : { mode: rec.override?.mode, remainingSeconds: summary.overrideSeconds },
            overrideExpired: summary.overrideExpired,
            tasks: summary.tasks,
            ...(summary.skipped.length ? { skipped: summary.skipped } : {}),
          },
          'operator state restored',
        );
      return rec ? summary : null;
    },
  };
};
