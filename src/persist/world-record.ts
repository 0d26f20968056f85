/**
 * The persisted record of a world (the store's world-config row, `putWorldConfig`): how to
 * rebuild it (capacity, seed, size, origin), its scheduler config, and its clock — rewritten
 * every {@link CLOCK_RECORD_STEPS} steps, so world time survives a crash to within that many
 * steps even though full checkpoints are rarer. `incarnation` ties checkpoints to this record: a
 * checkpoint of an earlier world of the same id (deleted, then created again) is never loaded.
 */
import { randomUUID } from 'node:crypto';
import type { SchedulerConfig } from '../config/scheduler-config.js';
import type { WorldPhysicsConfig } from '../physics/physics-world.js';
import type { SimWorld } from '../world/sim-world.js';

/** Steps between clock records (the original design: world time persisted at least every 10 steps). */
export const CLOCK_RECORD_STEPS = 10;

/** Record format version. */
export const WORLD_RECORD_FORMAT = 1;

/** Who made the world: the runtime's embedded default world, or the admin API. */
export type WorldOrigin = 'default' | 'admin';

/** A world's persisted record. Times: `clock.now` world seconds; `clock.at` wall ms since the epoch. */
export interface WorldRecord {
  format: typeof WORLD_RECORD_FORMAT;
  origin: WorldOrigin;
  incarnation: string;
  capacity: number;
  seed: number;
  size: number;
  /** NPCs populated at creation (used only if no checkpoint exists). */
  npcs: number;
  config: SchedulerConfig;
  configVersion: number;
  clock: { now: number; step: number; at: number };
  /**
   * An admin-created world's resolved physics config (null: physics off); it is rebuilt with it.
   * Absent for the default world (it takes the start options' physics) and in records written
   * before it was stored (such an admin world comes back with its checkpoint's physics block, schema 7
   * on, else without physics).
   */
  physics?: WorldPhysicsConfig | null;
  /**
   * Written by an admin create until the create is answered `201`: a record that may have landed after the
   * create was answered `503` (its client gave up, the COMMIT did not). Never restored or taken over
   * (src/server/unconfirmed-create.ts). Absent: confirmed (every other record, and every record written
   * before the mark existed).
   */
  pending?: true;
}

/** A record for `world` now (config and clock copied). */
export const worldRecordOf = (
  world: SimWorld,
  base: Pick<WorldRecord, 'origin' | 'incarnation' | 'npcs'> & { readonly pending?: boolean },
): WorldRecord => ({
  format: WORLD_RECORD_FORMAT,
  origin: base.origin,
  incarnation: base.incarnation,
  capacity: world.capacity,
  seed: world.seed,
  size: world.bounds.maxX - world.bounds.minX,
  npcs: base.npcs,
  config: structuredClone(world.config),
  configVersion: world.configVersion,
  clock: { now: world.clock.now, step: world.clock.step, at: Date.now() },
  // Admin worlds only (their block came in a create body of at most 64 KB): the default world takes the
  // start options' physics, whose map file may be megabytes — not rewritten every 10 steps.
  ...(base.origin === 'admin' ? { physics: world.physics ? physicsBlockOf(world.physics.config) : null } : {}),
  ...(base.pending ? { pending: true } : {}),
});

/** The physics block to store: the resolved config without its in-memory `resolved` mark, so it is validated again when loaded. */
const physicsBlockOf = (c: WorldPhysicsConfig): WorldPhysicsConfig => {
  const { resolved: _resolved, ...block } = c as WorldPhysicsConfig & { resolved?: true };
  return block;
};

/** A fresh incarnation id. */
export const newIncarnation = (): string => randomUUID();

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Read a stored value as a record; null when it is not one this build understands. */
export const parseWorldRecord = (v: unknown): WorldRecord | null => {
  if (!isObj(v) || v.format !== WORLD_RECORD_FORMAT) return null;
  if (v.origin !== 'default' && v.origin !== 'admin') return null;
  if (typeof v.incarnation !== 'string' || !isNum(v.capacity) || !isNum(v.seed) || !isNum(v.size) || !isNum(v.npcs)) return null;
  if (!isObj(v.config) || !isNum(v.configVersion) || !isObj(v.clock) || !isNum(v.clock.now) || !isNum(v.clock.step)) return null;
  return {
    format: WORLD_RECORD_FORMAT,
    origin: v.origin,
    incarnation: v.incarnation,
    capacity: v.capacity,
    seed: v.seed,
    size: v.size,
    npcs: v.npcs,
    config: v.config as Partial<SchedulerConfig> as SchedulerConfig, // merged and validated by the world that loads it
    configVersion: v.configVersion,
    clock: { now: v.clock.now, step: v.clock.step, at: isNum(v.clock.at) ? v.clock.at : 0 },
    // Validated again by the world built with it (a bad block: WT_ERR_CONFIG_INVALID, that world is skipped, logged).
    ...(isObj(v.physics)
      ? { physics: v.physics as Partial<WorldPhysicsConfig> as WorldPhysicsConfig }
      : v.physics === null
        ? { physics: null }
        : {}),
    ...(v.pending === true ? { pending: true } : {}),
  };
};
