/**
 * Checks of a checkpoint header read back (src/persist/world-restore.ts) before anything is built
 * from it. A checkpoint file is data from outside the process (a disk, a database, another build): a
 * corrupt or hostile one must give `WT_ERR_CHECKPOINT_CORRUPT`, never a crash, and never make the
 * reader allocate more than the file itself and its world's record justify. The header sizes what is
 * allocated before any section is read — the world's capacity (every store), the player grid — so
 * those are checked here, against the record the world is restored for when the caller has it.
 */
import { checkpointTooNew } from '../errors.js';
import { checkpointCorrupt, SNAPSHOT_FORMAT_VERSION } from './snapshot-format.js';

/** Largest world capacity a checkpoint may name (the same bound as world creation's). */
const MAX_CAPACITY = 50_000_000;
/** The player grid's initial slot count (src/tiers/spatial-index.ts), allowed whatever the capacity. */
const MIN_PLAYER_GRID = 15;

/** What a restore expects of the checkpoint: the world record it is restored for. */
export interface SnapshotExpect {
  /** The world id the checkpoint must be of. */
  worldId?: string;
  /** The capacity of the world's record (a checkpoint naming another one is refused: it would size every store). */
  capacity?: number;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const count = (v: unknown, max: number): v is number => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= max;
const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/**
 * Check the header's snapshot schema against `known` (this build's `WORLD_SNAPSHOT_SCHEMA`) before
 * anything else of it: a schema newer than `known` throws `WT_ERR_CHECKPOINT_TOO_NEW` (a newer build
 * wrote it; reading what this build knows of it would silently drop the rest), one that is not a
 * positive integer `WT_ERR_CHECKPOINT_CORRUPT`. Absent = 1 (checkpoints written before the field).
 */
export const checkSnapshotSchema = (header: object, known: number): void => {
  const schema: unknown = Reflect.get(header, 'schema');
  if (schema === undefined) return;
  if (!Number.isSafeInteger(schema) || (schema as number) < 1) throw checkpointCorrupt('bad header: schema');
  if ((schema as number) > known) throw checkpointTooNew('schema', schema as number, known);
};

/**
 * Check a checkpoint row's `meta` (written beside the data by the checkpointer: `format`, `schema`)
 * before its bytes are touched: a container format newer than this build's
 * ({@link SNAPSHOT_FORMAT_VERSION}) or a schema newer than `knownSchema` throws
 * `WT_ERR_CHECKPOINT_TOO_NEW` — even when the newer build changed how the bytes are compressed.
 * Absent or non-integer values say nothing (rows of builds before them).
 */
export const checkCheckpointMeta = (meta: object, knownSchema: number): void => {
  const format: unknown = Reflect.get(meta, 'format');
  const schema: unknown = Reflect.get(meta, 'schema');
  if (Number.isSafeInteger(format) && (format as number) > SNAPSHOT_FORMAT_VERSION)
    throw checkpointTooNew('format', format as number, SNAPSHOT_FORMAT_VERSION);
  if (Number.isSafeInteger(schema) && (schema as number) > knownSchema) throw checkpointTooNew('schema', schema as number, knownSchema);
};

/**
 * Check the parts of a world snapshot header that size allocations or are copied into the world
 * as they are; throws `WT_ERR_CHECKPOINT_CORRUPT` naming the first bad one.
 */
export const checkSnapshotHeader = (header: object, expect: SnapshotExpect = {}): void => {
  const h = header as Record<string, unknown>; // read as untrusted JSON: every field checked below
  const bad = (what: string): never => {
    throw checkpointCorrupt(`bad header: ${what}`);
  };
  if (typeof h.worldId !== 'string' || h.worldId.length > 256) bad('worldId');
  if (expect.worldId !== undefined && h.worldId !== expect.worldId) bad(`worldId is not ${JSON.stringify(expect.worldId)}`);
  if (!Number.isSafeInteger(h.capacity) || (h.capacity as number) < 1 || (h.capacity as number) > MAX_CAPACITY) bad('capacity');
  if (expect.capacity !== undefined && h.capacity !== expect.capacity)
    bad(`capacity ${String(h.capacity)} is not the record's ${expect.capacity}`);
  if (!finite(h.seed) || !finite(h.size)) bad('seed/size');
  const clock = h.clock;
  if (!isObj(clock) || !finite(clock.now) || !Number.isSafeInteger(clock.step) || typeof clock.paused !== 'boolean') bad('clock');
  for (const k of ['originNow', 'originStep', 'originDt'] as const)
    if (isObj(clock) && clock[k] !== undefined && !finite(clock[k])) bad(`clock.${k}`);
  if (!isObj(h.counters) || !Object.values(h.counters).every(finite)) bad('counters');
  if (!Number.isSafeInteger(h.configVersion)) bad('configVersion');
  const ent = h.entities;
  const capacity = h.capacity as number;
  if (!isObj(ent) || !count(ent.aliveCount, capacity) || !count(ent.maxId, capacity)) bad('entities');
  if (isObj(ent) && (!strings(ent.components) || !Array.isArray(ent.queries) || !ent.queries.every(strings))) bad('entities.components');
  if (isObj(ent) && ent.gameComponents !== undefined && !strings(ent.gameComponents)) bad('entities.gameComponents');
  if (isObj(ent) && ent.gameQueries !== undefined && !(Array.isArray(ent.gameQueries) && ent.gameQueries.every(strings)))
    bad('entities.gameQueries');
  if (!isObj(h.npcSim) || !isObj(h.tierStats)) bad('npcSim');
  const sp = h.spatial;
  if (!isObj(sp) || !count(sp.playerCapacity, Math.max(MIN_PLAYER_GRID, capacity))) bad('spatial.playerCapacity');
  if (isObj(sp) && (!finite(sp.speed) || !finite(sp.margin) || !finite(sp.playerMargin) || typeof sp.bound !== 'boolean')) bad('spatial');
  if (!strings(h.fields) || !h.fields.every((f) => f.split('.').length === 2)) bad('fields');
  if (h.gameFields !== undefined && (!strings(h.gameFields) || !h.gameFields.every((f) => f.split('.').length === 2))) bad('gameFields');
};
