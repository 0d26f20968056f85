/**
 * What the runtime does with a world created through the admin API (`POST /api/v1/worlds`,
 * src/server/runtime.ts): the game's modules attach their services (scenes), a lease is taken at
 * once, the world is persisted (record + first checkpoint) and gets its ledger. The `201` waits
 * for the record (a crash right after it must not lose the world: on PostgreSQL the write is
 * async). Cluster mode: the lease is taken and its token announced at once, the record written
 * with that fence, within a bound; otherwise `WT_ERR_WORLD_NOT_DURABLE` (503) and nothing is kept
 * (src/server/created-world-durable.ts).
 */
import { detachLedger } from '../ledger/world-ledger.js';
import type { Checkpointer } from '../persist/checkpointer.js';
import { entityCount, type SimWorld } from '../world/sim-world.js';
import type { ClusterService } from './cluster-service.js';
import { createDurableTimeoutMs, makeCreatedWorldDurable } from './created-world-durable.js';

/** What {@link createdWorldHook} needs from the runtime. */
export interface CreatedWorldHookDeps {
  readonly cluster: ClusterService;
  readonly checkpointer: Checkpointer;
  /** Attach the game's services (scenes) and the world's shard workers. */
  readonly attach: (world: SimWorld) => void;
  /** Attach the world's ledger on the durable store. */
  readonly withLedger: (world: SimWorld) => void;
}

/**
 * The admin server's `onWorldCreated` hook of the runtime: resolves once the created world is
 * durable (the `201`), rejects with `WT_ERR_WORLD_NOT_DURABLE` (the `503`) after giving back what
 * it took.
 */
export const createdWorldHook =
  (deps: CreatedWorldHookDeps) =>
  async (world: SimWorld): Promise<void> => {
    const { cluster, checkpointer, attach, withLedger } = deps;
    attach(world);
    checkpointer.track(world, { origin: 'admin', npcs: entityCount(world) });
    withLedger(world);
    cluster.hold(world.id); // no orphan failover of its record before the runner has it
    try {
      await makeCreatedWorldDurable({ cluster, checkpointer, timeoutMs: createDurableTimeoutMs(cluster.leaseTtlMs) }, world.id);
    } catch (err) {
      cluster.forget(world.id);
      void detachLedger(world);
      void checkpointer.untrack(world.id, { forget: true }); // deletes a record once a write in flight settled
      throw err;
    } finally {
      cluster.unhold(world.id);
    }
    setImmediate(() => void cluster.kick());
    void checkpointer.checkpoint(world.id);
  };
