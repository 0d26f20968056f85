/**
 * The runtime's durable side, split out of src/server/runtime.ts: opening the store, the
 * checkpointer and its writer thread, bringing persisted worlds back at start (restored-player
 * cleanup, restore listeners), and the flush/close at stop (docs/DURABILITY.md).
 */
import { query } from 'bitecs';
import type { ServerOptions } from '../cli/options.js';
import { despawnEntity } from '../core/world-core.js';
import { ErrorCode, isWorldtickError, storeClosed, WorldtickError } from '../errors.js';
import type { GameDefinition } from '../game/definition.js';
import { createGameWorld, installGame } from '../game/world.js';
import { runMigration } from '../game/migrate.js';
import type { Logger } from '../log.js';
import type { LoopRunner } from '../loop/loop-runner.js';
import { type CheckpointWriter, InlineCheckpointWriter, WorkerCheckpointWriter } from '../persist/checkpoint-writer.js';
import { Checkpointer, type CheckpointerOptions } from '../persist/checkpointer.js';
import { applyWorldRecord, loadPersistedWorlds, type RestoreBuilders } from '../persist/restore.js';
import { removeUnconfirmedCreate } from './unconfirmed-create.js';
import { openStore, resolveStoreTarget, type OpenStoreOptions } from '../store/open-store.js';
import { type DataDirLock, lockDataDir } from './data-dir-lock.js';
import { beforeDataDirLock, type CreatedStore, createdSqliteStore, removeCreatedStore } from './fresh-store.js';
import { lockPostgresStore, postgresWhere, type StoreLock } from './pg-store-lock.js';
import { idleInTransactionTimeoutForLease, poolWaitForLease } from '../store/postgres-pool.js';
import type { Store } from '../store/types.js';
import type { SimWorld } from '../world/sim-world.js';
import type { WorldClockStart } from '../world/world-clock.js';
import type { NotStartedWorlds } from './not-started.js';
import { DEFAULT_WORLD_ID, defaultWorldPhysics } from './runtime-world.js';

/** What a {@link Runtime.onWorldRestored} listener is told about a restored world. */
export interface WorldRestoredInfo {
  /** `default` (the embedded world) or `admin` (created through the admin API). */
  origin: 'default' | 'admin';
  /** The checkpoint the state came from (null: the world was rebuilt from its record only). */
  checkpoint: { step: number; worldTime: number; createdAt: number } | null;
}

/** See {@link Runtime.onWorldRestored}. */
export type WorldRestoredListener = (world: SimWorld, info: WorldRestoredInfo) => void | Promise<void>;

/** What the persistence wiring needs from the runtime (read lazily: parts are built after it). */
export interface RuntimePersistenceDeps {
  options: ServerOptions;
  logger: Logger;
  game?: GameDefinition;
  /** `--scenario crowd`: the stored default world is neither restored nor overwritten. */
  crowd: boolean;
  /** The fence a world's records and checkpoints carry (see {@link CheckpointerOptions.fence}). */
  fence: NonNullable<CheckpointerOptions['fence']>;
  /** The instance owning a world now (see {@link CheckpointerOptions.owner}). */
  owner?: CheckpointerOptions['owner'];
  /**
   * Build the default world anew at a stored record's clock (a game runtime): used at start when the
   * stored default world has no usable checkpoint, so the game's timers and `onWorldCreated` run on
   * the world time it continues from. Absent: the world built at construction gets the record's clock.
   */
  rebuildDefault?: (clock: WorldClockStart) => SimWorld;
}

/** What {@link RuntimePersistence.open} needs to put restored worlds in place. */
export interface RestoreTargets {
  runner: LoopRunner;
  /** The current default world. */
  defaultWorld: () => SimWorld;
  /** Replace the default world by a restored one (remove, destroy, swap, declare tasks, add, attach). */
  swapDefault: (world: SimWorld) => void;
  /** Attach a game's services (scenes) to a restored admin-created world. */
  attach: (world: SimWorld) => void;
  /** Which stored admin worlds to restore (cluster `--standby-copies`); absent: every one. */
  keep?: ((worldId: string) => boolean) | undefined;
  /** Where an admin world left out at start is listed, with why (a newer build wrote its checkpoint). */
  notStarted?: NotStartedWorlds;
  /**
   * Re-apply stored operator state (src/server/ops-persist.ts): `runtime` once before any world is
   * restored, `world` for each world once it is in place — before the loop starts and before the
   * game server takes sessions (both start after `open`).
   */
  restoreOps?: {
    runtime: (store: Store) => Promise<void>;
    world: (store: Store, world: SimWorld, incarnation: string) => Promise<unknown>;
  };
}

/** The runtime's store, checkpointer and restore logic. */
export interface RuntimePersistence {
  readonly checkpointer: Checkpointer;
  /** The open store, or throws `WT_ERR_STORE_CLOSED` outside start..stop. */
  storeOf(): Store;
  /** The open store, or null. */
  current(): Store | null;
  /** Restore recipes of a world: the default world's physics, a game's pipeline and install. */
  restoreBuilders(): RestoreBuilders;
  /** Register a listener for restored worlds (see {@link Runtime.onWorldRestored}). */
  onWorldRestored(listener: WorldRestoredListener): void;
  /**
   * Open the store, install the checkpoint writer, restore persisted worlds (default first) and track a
   * new default world. Writes nothing but what opening the store does (a fresh store's schema, an
   * older store's migrations): records and checkpoints wait for {@link commit}.
   */
  open(targets: RestoreTargets): Promise<void>;
  /** The start is committed: the checkpointer's timer starts, and a new default world's first record and checkpoint are written. */
  commit(): Promise<void>;
  /** Full checkpoints of every tracked world, then the writer closes (before the worlds are destroyed). */
  flush(): Promise<void>;
  /** A refused start's stop: the writer closes (writes in flight end) without final records or checkpoints. */
  discard(): Promise<void>;
  /**
   * Close the store (last). `refused` (a start that failed): a store that start created is removed —
   * a SQLite file with its WAL, lock file and the folders made for it; a PostgreSQL schema, when this
   * single instance holds the database's lock (src/server/fresh-store.ts).
   */
  close(o?: { refused?: boolean }): Promise<void>;
}

/**
 * The options of the runtime's stores — the main thread's and the checkpoint writer thread's, each with
 * a pool of `--store-pool-size` connections on PostgreSQL. In cluster mode a PostgreSQL session left
 * idle inside a transaction (this process paused mid-write) is ended about when its lease lapses,
 * freeing the world's fence row for the next owner (docs/CLUSTER.md "A writer paused mid-write"), and a
 * wait for a free pooled connection is bounded by a third of the TTL (1–5 s) unless `--store-pool-wait`
 * says otherwise: the control tick waits for the store.
 */
export const runtimeStoreOptions = (
  options: Pick<ServerOptions, 'store' | 'dataDir' | 'storePoolSize' | 'storePoolWaitSeconds' | 'storeCheck' | 'redis' | 'leaseTtlSeconds'>,
): OpenStoreOptions => {
  const ttlMs = options.leaseTtlSeconds * 1000;
  const poolWaitMs = Math.ceil(options.storePoolWaitSeconds * 1000);
  return {
    store: options.store,
    dataDir: options.dataDir,
    maxConnections: options.storePoolSize,
    check: options.storeCheck === 'off' ? 'off' : 'quick',
    ...(poolWaitMs > 0 ? { poolWaitMs } : options.redis ? { poolWaitMs: poolWaitForLease(ttlMs) } : {}),
    ...(options.redis ? { idleInTransactionTimeoutMs: idleInTransactionTimeoutForLease(ttlMs) } : {}),
  };
};

/**
 * How a game's worlds are rebuilt from the store: on the game's pipeline with its slot installed, a
 * world without a usable checkpoint built fresh by the game, and a checkpoint of a lower version of
 * the game migrated by its `migrate` hook (src/game/migrate.ts). Start and cluster takeover alike.
 */
export const gameRestoreBuilders = (game: GameDefinition, physics?: (worldId: string) => unknown): RestoreBuilders => {
  const hook = game.migrate;
  return {
    systems: game.pipeline,
    install: (w) => installGame(game, w),
    fresh: (o) => createGameWorld(game, o),
    ...(physics ? { physics } : {}),
    // A checkpoint of a lower version of the game: the game's hook, once, before the world's first step,
    // on the world without the checkpoint's player entities (removed at every restore: players come back by resuming).
    ...(hook
      ? {
          migrate: (w: SimWorld, from: number) => {
            for (const eid of [...query(w, [w.stores.Player])]) despawnEntity(w, eid);
            runMigration(hook, game, w, from);
          },
        }
      : {}),
  };
};

/**
 * A PostgreSQL store that cannot be reached at start: the same `WT_ERR_STORE_UNAVAILABLE`, its message
 * naming where it was looked for (host, port, database; never the user or password) and what to check.
 */
const storeOpenFailure = (err: unknown, target: ReturnType<typeof resolveStoreTarget>): unknown => {
  if (!isWorldtickError(err, ErrorCode.STORE_UNAVAILABLE) || target.kind !== 'postgres') return err;
  const where = postgresWhere(target.url);
  const sqlState = sqlStateOf(err);
  const database = where.slice(where.indexOf('/') + 1); // as the URL spells it (no decoding that could throw here)
  // The server answered and refused: say what it refused (a missing database, a login), not that it is down.
  const hint =
    sqlState === '3D000'
      ? `database ${JSON.stringify(database)} does not exist on the PostgreSQL at ${where}: create it first (createdb -O <user> ${database}; a start never creates the database), or fix the name in --store (WORLDTICK_STORE)`
      : sqlState === '28P01' || sqlState === '28000'
        ? `the PostgreSQL at ${where} refused the login: check the user and password of --store (WORLDTICK_STORE) and pg_hba.conf`
        : `PostgreSQL at ${where} did not answer at start: check --store (WORLDTICK_STORE) and that the server runs and accepts connections there`;
  return new WorldtickError(ErrorCode.STORE_UNAVAILABLE, `${err.message} — ${hint}`, { cause: err, details: err.details });
};

/** The PostgreSQL SQLSTATE (`3D000`…) of the first error in `err`'s cause chain that has one, or null. */
const sqlStateOf = (err: unknown): string | null => {
  let e: unknown = err;
  for (let depth = 0; depth < 8 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return null;
};

/** Build the persistence wiring of a runtime (nothing opened until `open`). */
export const createRuntimePersistence = (deps: RuntimePersistenceDeps): RuntimePersistence => {
  const { options, logger, game, crowd } = deps;
  const storeOptions = runtimeStoreOptions(options);
  let store: Store | null = null;
  let writer: CheckpointWriter | null = null;
  let dirLock: DataDirLock | null = null;
  let pgLock: StoreLock | null = null;
  let newDefault = false;
  // What a refused start takes back: a store it created (src/server/fresh-store.ts); null once committed.
  let created: CreatedStore | null = null;
  const restoredListeners: WorldRestoredListener[] = [];
  const storeOf = (): Store => {
    if (!store) throw storeClosed();
    return store;
  };
  const checkpointer = new Checkpointer({
    store: storeOf,
    logger,
    intervalSeconds: options.checkpointIntervalSeconds,
    // Cluster mode: records and checkpoints carry the owner's fencing token (none written without proof of ownership).
    fence: deps.fence,
    ...(deps.owner ? { owner: deps.owner } : {}),
  });

  const releaseLocks = async (): Promise<void> => {
    dirLock?.release();
    dirLock = null;
    const l = pgLock;
    pgLock = null;
    await l?.release();
  };

  /** A refused start (the store closed, its locks still held): remove what it created (src/server/fresh-store.ts). */
  const takeBack = async (): Promise<void> => {
    const c = created;
    created = null;
    await (c ? removeCreatedStore(c, logger, releaseLocks) : releaseLocks());
  };

  const restoreBuilders = (): RestoreBuilders => {
    const physics = (id: string): unknown => (id === DEFAULT_WORLD_ID ? defaultWorldPhysics(options) : undefined);
    return game ? gameRestoreBuilders(game, physics) : { physics };
  };

  /** Bring back every persisted world (default first), then persist the default world if it is new. */
  const restorePersisted = async (st: Store, t: RestoreTargets): Promise<void> => {
    const { runner } = t;
    // A game's worlds come back on the game's pipeline with its slot and its component stores (checkpoint schema 2).
    const builders = restoreBuilders();
    const found = await loadPersistedWorlds(
      st,
      logger,
      DEFAULT_WORLD_ID,
      deps.rebuildDefault && !crowd ? { ...builders, freshDefault: deps.rebuildDefault } : builders,
      t.keep,
      (id, err, updatedAt) => t.notStarted?.add(id, err, 'start', updatedAt),
      // One instance owns the store: a create's record not confirmed is of a create whose instance died; removed.
      options.redis.trim() ? undefined : (id, incarnation) => removeUnconfirmedCreate(st, logger, id, incarnation),
    );
    await t.restoreOps?.runtime(st);
    for (const p of found) {
      const id = p.record.origin === 'default' ? DEFAULT_WORLD_ID : (p.world?.id ?? '');
      if (p.record.origin === 'default') {
        if (crowd) {
          logger.warn({ world: DEFAULT_WORLD_ID }, 'crowd scenario: the stored default world is not restored (nor overwritten)');
          continue;
        }
        // With --record too: the recording then starts from a checkpoint of the restored world (src/replay/start-checkpoint.ts).
        if (p.world) {
          t.swapDefault(p.world);
        } else applyWorldRecord(t.defaultWorld(), p.record, logger);
      } else {
        if (!p.world || runner.has(id)) continue;
        runner.add(p.world);
        t.attach(p.world);
      }
      const w = runner.get(id);
      // Player entities in a checkpoint belong to sessions that ended with the process: players come
      // back by resuming (src/net/durable-sessions.ts), their wallets caught up from the ledger.
      if (p.world) for (const eid of [...query(w, [w.stores.Player])]) despawnEntity(w, eid);
      // Maintenance, override and declared tasks as the operator left them (also the path of an adopted world).
      await t.restoreOps?.world(st, w, p.record.incarnation);
      checkpointer.track(w, {
        origin: p.record.origin,
        incarnation: p.record.incarnation,
        npcs: p.record.npcs,
        restored: { fromStep: p.checkpoint?.step ?? -1, fromWorldTime: p.checkpoint?.worldTime ?? 0, worldTime: w.clock.now, ms: p.ms },
      });
      logger.info(
        { world: id, origin: p.record.origin, fromStep: p.checkpoint?.step ?? null, worldTime: w.clock.now, ms: Math.round(p.ms) },
        'world restored',
      );
      for (const l of restoredListeners) await l(w, { origin: p.record.origin, checkpoint: p.checkpoint });
    }
    // A new default world: tracked now, its first record and checkpoint written once the start is committed.
    newDefault = !crowd && !checkpointer.has(DEFAULT_WORLD_ID);
    if (newDefault) checkpointer.track(t.defaultWorld(), { origin: 'default', npcs: options.npcs });
  };

  return {
    checkpointer,
    storeOf,
    current: () => store,
    restoreBuilders,
    onWorldRestored(listener) {
      restoredListeners.push(listener);
    },
    async open(targets) {
      // One server per SQLite data directory, one single instance per PostgreSQL database — or the instances
      // of a cluster, which take its lock shared: the lock before the store (data-dir-lock.ts, pg-store-lock.ts).
      const target = resolveStoreTarget(storeOptions);
      if (target.kind === 'sqlite') {
        const before = beforeDataDirLock(target.dataDir);
        dirLock = lockDataDir(target.dataDir);
        created = createdSqliteStore(before); // whether the store was there, looked at under the lock
      }
      // The store first (the data directory is created): worlds are restored from it before they tick.
      try {
        if (target.kind === 'postgres') pgLock = await lockPostgresStore(target.url, logger, { shared: Boolean(options.redis) });
        store = await openStore(storeOptions);
      } catch (err) {
        await takeBack();
        throw storeOpenFailure(err, target);
      }
      const migration = store.migration;
      // A PostgreSQL schema this start created (none was there): dropped again if the start is refused;
      // not in cluster mode, where other instances may be using it already (their lock is shared).
      if (target.kind === 'postgres' && migration?.from === 0 && !options.redis) created = { kind: 'postgres', url: target.url };
      logger.info(
        {
          store: store.kind,
          dataDir: store.kind === 'sqlite' ? options.dataDir : undefined,
          schemaVersion: migration?.to ?? (await store.schemaVersion()),
          checkMs: store.checkMs == null ? undefined : Math.round(store.checkMs),
        },
        'store opened',
      );
      // An upgrade says what it did to the data (a fresh store: from 0).
      if (migration?.applied.length)
        logger.info(
          { store: store.kind, from: migration.from, to: migration.to, applied: migration.applied.map((m) => `${m.version}: ${m.name}`) },
          migration.from === 0 ? 'store schema created' : 'store schema migrated',
        );
      // Checkpoints are compressed and written on a worker thread with its own store connection.
      try {
        // SQLite: the thread's connection must find the file this one opened (a deleted data directory is not made anew).
        const identity = store.fileIdentity;
        writer = new WorkerCheckpointWriter(identity ? { ...storeOptions, expectIdentity: identity } : storeOptions);
      } catch (err) {
        logger.warn({ err }, 'checkpoint writer thread unavailable; checkpoints are written on the main thread');
        writer = new InlineCheckpointWriter(storeOf);
      }
      checkpointer.setWriter(writer);
      await restorePersisted(store, targets);
    },
    async flush() {
      if (store) await checkpointer.flush();
      if (writer) await writer.close();
      writer = null;
    },
    async commit() {
      created = null;
      checkpointer.start();
      if (!newDefault) return;
      await checkpointer.record(DEFAULT_WORLD_ID);
      const r = checkpointer.report(DEFAULT_WORLD_ID);
      // The first one starts the writer thread: not awaited. Cluster mode: taken already once its lease was granted.
      if (r && r.saved === 0 && !r.inProgress) void checkpointer.checkpoint(DEFAULT_WORLD_ID);
    },
    async discard() {
      if (writer) await writer.close();
      writer = null;
    },
    async close(o = {}) {
      if (store) {
        await store.close();
        store = null;
        logger.info('store closed');
      }
      if (o.refused) await takeBack();
      await releaseLocks();
    },
  };
};
