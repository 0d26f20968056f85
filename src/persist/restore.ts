/**
 * Bringing persisted worlds back at start: every world record in the store (`listWorldConfigs`),
 * rebuilt from its newest checkpoint of the same incarnation, then brought up to its record —
 * the record's config if newer, and world time never behind the last clock record (after a
 * crash the checkpoint may be older than the clock: world time continues from the record, the
 * simulation state from the checkpoint; overdue NPCs catch up through the tiers' coarse catch-up).
 */
import type { Logger } from '../log.js';
import type { Store } from '../store/types.js';
import { isUnreadableJson } from '../store/rows.js';
import { ErrorCode, isWorldtickError, WorldtickError, worldRecordUnusable } from '../errors.js';
import { populateNpcs } from '../world/populate.js';
import { createSimWorld, updateWorldConfig, type CreateWorldOptions, type SimWorld } from '../world/sim-world.js';
import { restoreWorld, WORLD_SNAPSHOT_SCHEMA } from './world-snapshot.js';
import { checkCheckpointMeta } from './snapshot-checks.js';
import { MAX_SNAPSHOT_RAW_BYTES } from './snapshot-format.js';
import { parseWorldRecord, type WorldRecord } from './world-record.js';
import { defaultSchedulerConfig, mergeSchedulerConfig, type SchedulerConfig } from '../config/scheduler-config.js';
import { startWorldClockAt, type WorldClockStart } from '../world/world-clock.js';

/** Checkpoints tried per world at start: the newest and, if it cannot be read, the one kept before it (`saveCheckpoint` keeps 2). */
const CHECKPOINT_TRIES = 2;

/** One persisted world as found at start. */
export interface PersistedWorld {
  record: WorldRecord;
  /**
   * The rebuilt world: from its checkpoint, or (an admin world without a usable checkpoint, or the
   * default world when `freshDefault` is given) fresh from its record, built at the record's clock.
   * Null for the default world without a checkpoint otherwise (the runtime keeps the world it built
   * and applies the record to it).
   */
  world: SimWorld | null;
  /** The checkpoint used, if any. */
  checkpoint: { step: number; worldTime: number; createdAt: number } | null;
  /** Wall ms to load and rebuild. */
  ms: number;
}

/**
 * Make `world` match its record: the record's config when it is newer than the world's, and world
 * time not behind the record's clock. A record whose config does not validate (a damaged row: the
 * runtime writes only configs it validated) changes no config: the world keeps the one it has — its
 * checkpoint's, or the defaults — logged at error level with `logger`, and the record is rewritten with
 * it the next time the world's record is written. Before (December 7 2026) the refusal discarded the
 * world: the default world's restored checkpoint was dropped and a new world written over its record.
 */
export const applyWorldRecord = (world: SimWorld, rec: WorldRecord, logger?: Logger): void => {
  if (rec.configVersion > world.configVersion || world.configVersion === 0) {
    try {
      updateWorldConfig(world, rec.config);
    } catch (err) {
      if (!isWorldtickError(err) || err.code !== ErrorCode.CONFIG_INVALID) throw err;
      logger?.error(
        { err, world: world.id },
        "stored world record's config not valid; the world keeps its checkpoint's config (or the defaults)",
      );
    }
    world.configVersion = Math.max(rec.configVersion, world.configVersion);
  }
  if (rec.clock.now > world.clock.now) world.clock.now = rec.clock.now;
  if (rec.clock.step > world.clock.step) world.clock.step = rec.clock.step;
};

/** `config` when it validates as a world's config, else undefined (a damaged record: {@link applyWorldRecord} logs it). */
const validConfig = (config: SchedulerConfig): SchedulerConfig | undefined => {
  try {
    mergeSchedulerConfig(defaultSchedulerConfig(), config);
    return config;
  } catch (err) {
    if (!isWorldtickError(err) || err.code !== ErrorCode.CONFIG_INVALID) throw err;
    return undefined;
  }
};

/**
 * How a runtime with a game rebuilds its worlds: the pipeline a restored world runs, the game slot
 * installed on it, and how a world without a usable checkpoint is built fresh.
 */
export interface RestoreBuilders {
  readonly systems?: CreateWorldOptions['systems'];
  readonly install?: (world: SimWorld) => void;
  readonly fresh?: (o: {
    id: string;
    capacity: number;
    seed: number;
    size: number;
    config: unknown;
    npcs: number;
    physics?: unknown;
    /** The record's clock: the world is built at it (before populate and the game's timers), not at 0. */
    clock: WorldClockStart;
  }) => SimWorld;
  /**
   * The default world rebuilt at its record's `clock` when it has no usable checkpoint (a game
   * runtime: its timers and `onWorldCreated` must see the world time it continues from). Absent:
   * the runtime keeps the world it built and only moves its clock (a world without a game).
   */
  readonly freshDefault?: (clock: WorldClockStart) => SimWorld;
  /**
   * The game's `migrate` hook, run on a world restored from a checkpoint a lower version of the game
   * wrote (src/game/migrate.ts): throws `WT_ERR_CHECKPOINT_INCOMPATIBLE` when the hook throws.
   */
  readonly migrate?: (world: SimWorld, from: number) => void;
  /** The physics block a world is rebuilt with when its record holds none (the default world's: from the start options). */
  readonly physics?: (worldId: string) => unknown;
}

/** Log a checkpoint refused as written by a newer build (`err`: `WT_ERR_CHECKPOINT_TOO_NEW`); the error to throw, naming the world. */
const tooNew = (logger: Logger, worldId: string, step: number, err: WorldtickError): WorldtickError => {
  const d = err.details as { what: string; found: number; known: number };
  logger.error(
    { world: worldId, step, what: d.what, found: d.found, known: d.known },
    `checkpoint written by a newer build (snapshot ${d.what} ${d.found}; this build knows up to ${d.known}): ` +
      `world not loaded here, its checkpoints and record left as they are; run a build that knows ${d.what} ${d.found}`,
  );
  return new WorldtickError(err.code, `world ${JSON.stringify(worldId)}: ${err.message}`, { details: { ...d, worldId, step } });
};

/**
 * True for the refusals that leave a world unloaded by this build, with nothing else tried (no older
 * checkpoint, no rebuild from its record): a checkpoint a newer build wrote (`WT_ERR_CHECKPOINT_TOO_NEW`),
 * one whose game data this version of the game cannot hold (`WT_ERR_CHECKPOINT_INCOMPATIBLE`), or a
 * record that can neither restore nor build the world (`WT_ERR_WORLD_RECORD_UNUSABLE`: a damaged row).
 */
export const isNotLoadableHere = (err: unknown): err is WorldtickError =>
  isWorldtickError(err, ErrorCode.CHECKPOINT_TOO_NEW) ||
  isWorldtickError(err, ErrorCode.CHECKPOINT_INCOMPATIBLE) ||
  isWorldtickError(err, ErrorCode.WORLD_RECORD_UNUSABLE);

/** Log a checkpoint refused as game data this game cannot hold (`WT_ERR_CHECKPOINT_INCOMPATIBLE`); the error to throw, naming the world. */
const incompatible = (logger: Logger, worldId: string, step: number, err: WorldtickError): WorldtickError => {
  const problems = (err.details as { problems: string[] }).problems;
  logger.error(
    { world: worldId, step, code: err.code, problems },
    `checkpoint holds game data this version of the game cannot hold: world not loaded here, its checkpoints and record left as they are; ${problems.join('; ')}`,
  );
  return new WorldtickError(err.code, `world ${JSON.stringify(worldId)}: ${err.message}`, { details: { problems, worldId, step } });
};

/**
 * Load every persisted world (default one first). Unreadable checkpoints are logged and skipped; so
 * is every world other than the default one that `keep` refuses (cluster mode: left to the instances
 * that keep a standby copy of it, logged once). An admin world whose newest checkpoint a newer build
 * wrote (`WT_ERR_CHECKPOINT_TOO_NEW`), whose game data this game cannot hold, or whose record cannot
 * run it (`WT_ERR_WORLD_RECORD_UNUSABLE`) is not loaded (logged, and told to `refused` with the error
 * and its record's `updatedAt`: src/server/not-started.ts). For the default world the first two are
 * thrown (the runtime cannot serve it, and must not build it afresh); an unusable record of it is
 * skipped (the caller builds the default world afresh, as without a record).
 */
export const loadPersistedWorlds = async (
  store: Store,
  logger: Logger,
  defaultWorldId: string,
  build: RestoreBuilders = {},
  keep?: (worldId: string) => boolean,
  refused?: (worldId: string, err: WorldtickError, recordUpdatedAt: number) => void,
  unconfirmed?: (worldId: string, incarnation: string) => Promise<void>,
): Promise<PersistedWorld[]> => {
  const out: PersistedWorld[] = [];
  const all = await store.listWorldConfigs();
  const rows = keep ? all.filter((r) => r.worldId === defaultWorldId || keep(r.worldId)) : all;
  if (rows.length < all.length) {
    const left = all.filter((r) => !rows.includes(r)).map((r) => r.worldId);
    logger.info({ worlds: left.slice(0, 20), count: left.length }, 'stored worlds not restored here (standby copies on other instances)');
  }
  rows.sort((a, b) => (a.worldId === defaultWorldId ? -1 : b.worldId === defaultWorldId ? 1 : a.worldId < b.worldId ? -1 : 1));
  for (const row of rows) {
    // A create's record not confirmed (answered 503, or its instance died first): not a world, handed to
    // `unconfirmed` (src/server/unconfirmed-create.ts: one instance removes it; in a cluster the instance granted its lease does).
    const pending = row.worldId === defaultWorldId ? null : parseWorldRecord(row.config);
    if (pending?.origin === 'default') {
      // Only the default world's record says so (a hand edit, or a row renamed): it must not be applied to the default world.
      logger.warn({ world: row.worldId }, 'stored world record not understood (origin default under another id); world skipped');
      refused?.(row.worldId, worldRecordUnusable(row.worldId, "it is the default world's record under another id"), row.updatedAt);
      continue;
    }
    if (pending?.pending) {
      logger.warn({ world: row.worldId }, 'stored world not restored: its create was never confirmed');
      await unconfirmed?.(row.worldId, pending.incarnation);
      continue;
    }
    let p: PersistedWorld | null;
    try {
      p = await loadPersistedWorld(store, logger, row.worldId, row.config, build);
    } catch (err) {
      // The default world's record unusable: built afresh by the caller, as without a record (logged by loadPersistedWorld).
      if (row.worldId === defaultWorldId && isWorldtickError(err, ErrorCode.WORLD_RECORD_UNUSABLE)) continue;
      if (!isNotLoadableHere(err) || row.worldId === defaultWorldId) throw err;
      refused?.(row.worldId, err, row.updatedAt);
      continue; // logged by loadPersistedWorld
    }
    if (p) out.push(p);
  }
  return out;
};

/**
 * Load one persisted world from its stored record `config` (read with `store.getWorldConfig` when
 * omitted) and its newest checkpoint of the same incarnation; null when there is no record (logged).
 * Used at start and by the cluster when this instance takes a world over (migration, failover). Throws
 * (logged) `WT_ERR_CHECKPOINT_TOO_NEW` when the checkpoint was written by a newer build (nothing else
 * is tried, nothing built, nothing written), `WT_ERR_CHECKPOINT_INCOMPATIBLE` when its game data does
 * not fit the game, and `WT_ERR_WORLD_RECORD_UNUSABLE` when the record is not understood or the world
 * cannot be built from it.
 */
export const loadPersistedWorld = async (
  store: Store,
  logger: Logger,
  worldId: string,
  config?: unknown,
  build: RestoreBuilders = {},
): Promise<PersistedWorld | null> => {
  const t0 = performance.now();
  const stored = config === undefined ? await store.getWorldConfig(worldId) : { config };
  if (!stored) {
    // Nothing to load: most often the world was deleted (its record removed) since it was found. Info, not
    // warn: the caller says what it concluded (a takeover of a deleted world, a local copy continuing).
    logger.info({ world: worldId }, 'stored world record not found; world skipped');
    return null;
  }
  const rec = parseWorldRecord(stored.config);
  if (!rec) {
    logger.warn({ world: worldId }, 'stored world record not understood; world skipped');
    throw worldRecordUnusable(worldId, 'it is not a world record this build reads');
  }
  let world: SimWorld | null = null;
  let checkpoint: PersistedWorld['checkpoint'] = null;
  const migrate = build.migrate;
  // Physics: the start options' for the default world; an admin world's own stored block (records
  // written before it was stored have none: such a world comes back with its checkpoint's block, schema 7 on,
  // else without physics).
  const physics = rec.origin === 'admin' && rec.physics !== undefined ? (rec.physics ?? false) : build.physics?.(worldId);
  // The newest checkpoint of this incarnation, or — when it cannot be read — the one kept before it.
  let ck = await store.loadCheckpoint(worldId);
  // A checkpoint row whose meta is not JSON (a damaged row) cannot say its incarnation: the one before it is tried.
  for (let skipped = 0; ck && isUnreadableJson(ck.meta) && skipped < CHECKPOINT_TRIES; skipped++) {
    const older = await store.loadCheckpoint(worldId, { before: ck.id });
    const next = older && older.id < ck.id ? older : undefined;
    logger.error(
      { world: worldId, step: ck.step, meta: ck.meta.unreadable, olderStep: next?.step ?? null },
      next
        ? 'checkpoint row unreadable (its meta); trying the one before it'
        : 'checkpoint row unreadable (its meta); world starts from its record',
    );
    ck = next;
  }
  for (let tries = 0; ck && ck.meta.incarnation === rec.incarnation && tries < CHECKPOINT_TRIES; tries++) {
    try {
      // The game slot is installed before the state loads: the game's component stores are in the checkpoint.
      // The checkpoint must be of this world and its record's capacity (which sizes every store), and
      // inflates to at most the raw size its row recorded: a corrupt or hostile row is refused, not allocated.
      // The row's own meta first: a newer build's checkpoint is refused before its bytes are inflated.
      checkCheckpointMeta(ck.meta, WORLD_SNAPSHOT_SCHEMA);
      const raw: unknown = Reflect.get(ck.meta, 'rawBytes');
      const crc: unknown = Reflect.get(ck.meta, 'crc32'); // rows written before it have none
      world = await restoreWorld(ck.data, {
        expect: { worldId, capacity: rec.capacity },
        ...(Number.isSafeInteger(crc) && (crc as number) >= 0 ? { crc32: crc as number } : {}),
        ...(Number.isSafeInteger(raw) && (raw as number) > 0 && (raw as number) < MAX_SNAPSHOT_RAW_BYTES
          ? { maxRawBytes: raw as number }
          : {}),
        ...(build.systems ? { systems: build.systems } : {}),
        ...(physics !== undefined ? { physics } : {}),
        ...(build.install ? { install: build.install } : {}),
        ...(migrate
          ? {
              migrate: (w: SimWorld, from: number) => {
                migrate(w, from);
                // What changed is the game's business; that the hook ran (and from which version) is the operator's.
                logger.info({ world: worldId, step: ck?.step, game: w.game?.name, from, to: w.game?.version }, 'game migrated');
              },
            }
          : {}),
        changes: (c) =>
          logger.warn(
            { world: worldId, step: ck?.step, ...c },
            'game definition changed since the checkpoint; its data carried over by the rules',
          ),
      });
      checkpoint = { step: ck.step, worldTime: ck.worldTime, createdAt: ck.createdAt };
      break;
    } catch (err) {
      if (!isWorldtickError(err)) throw err;
      // A newer build wrote it: no older checkpoint, no rebuild from the record (either would lose what it holds).
      if (err.code === ErrorCode.CHECKPOINT_TOO_NEW) throw tooNew(logger, worldId, ck.step, err);
      // Game data this version of the game cannot hold: neither (an older checkpoint holds the same data).
      if (err.code === ErrorCode.CHECKPOINT_INCOMPATIBLE) throw incompatible(logger, worldId, ck.step, err);
      const older = tries + 1 < CHECKPOINT_TRIES ? await store.loadCheckpoint(worldId, { before: ck.id }) : undefined;
      const next = older && older.id < ck.id && older.meta.incarnation === rec.incarnation ? older : undefined;
      logger.error(
        { err, world: worldId, step: ck.step, olderStep: next?.step ?? null },
        next ? 'checkpoint unreadable; trying the one before it' : 'checkpoint unreadable; world starts from its record',
      );
      ck = next;
    }
  }
  try {
    if (!world && rec.origin === 'admin') {
      const o = {
        id: worldId,
        capacity: rec.capacity,
        seed: rec.seed,
        size: rec.size,
        config: validConfig(rec.config),
        npcs: Math.min(rec.npcs, rec.capacity),
        ...(physics !== undefined ? { physics } : {}),
        clock: { now: rec.clock.now, step: rec.clock.step },
      };
      if (build.fresh) world = build.fresh(o);
      else {
        const { clock, ...core } = o;
        world = createSimWorld(core);
        startWorldClockAt(world, clock); // before populate: NPC deadlines relative to the record's time
        populateNpcs(world, { count: o.npcs });
      }
    } else if (!world && build.freshDefault) world = build.freshDefault({ now: rec.clock.now, step: rec.clock.step });
    if (world) applyWorldRecord(world, rec, logger);
  } catch (err) {
    if (!isWorldtickError(err)) throw err;
    logger.error({ err, world: worldId }, 'stored world could not be rebuilt; world skipped');
    throw worldRecordUnusable(worldId, `the world cannot be built from it: ${err.message}`);
  }
  return { record: rec, world, checkpoint, ms: performance.now() - t0 };
};
