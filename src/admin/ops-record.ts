/**
 * The durable form of operator state (docs/ADMIN.md, "Durable"): what the admin API changed at
 * runtime and must survive a restart or a move to another instance. One record per world
 * (maintenance flag, controller override, tasks declared through the API) and one per runtime
 * (the runtime-wide maintenance flag). Written by src/server/ops-persist.ts on every change, read
 * back and re-applied before a restored world ticks or takes sessions.
 *
 * Times: `since` is an ISO date; an override's `expiresAt` is wall-clock ms since the epoch (the
 * in-process override runs on the monotonic clock, `performance.now()`, which does not survive the
 * process: the remaining time is converted at save and back at restore).
 */
import { MODES, type ControllerMode } from '../controller/controller.js';
import type { DeclaredTask } from '../periodic/declared-tasks.js';

/** One maintenance flag. `since` is an ISO date. */
export interface MaintenanceFlag {
  on: boolean;
  reason: string;
  since: string | null;
}

/** Record format version. */
export const OPS_RECORD_FORMAT = 1;

/** A controller override as stored. */
export interface StoredOverride {
  mode: ControllerMode;
  reason: string;
  /** Wall-clock ms since the epoch when it ends. */
  expiresAt: number;
}

/** A world's operator state as stored. */
export interface WorldOpsRecord {
  format: typeof OPS_RECORD_FORMAT;
  /** The world record's incarnation it belongs to (a world deleted and created again does not inherit it); null if unknown. */
  incarnation: string | null;
  /** The world's own maintenance flag (not counting the runtime's). */
  maintenance: MaintenanceFlag;
  /** The override in force when written, or null. */
  override: StoredOverride | null;
  /** Tasks declared through `POST …/periodic` (the config file's are declared from the config file). */
  tasks: DeclaredTask[];
}

/** The runtime's operator state as stored. */
export interface RuntimeOpsRecord {
  format: typeof OPS_RECORD_FORMAT;
  maintenance: MaintenanceFlag;
}

/** The world state part of a {@link WorldOpsRecord} (what OpsState produces and re-applies). */
export type WorldOpsState = Omit<WorldOpsRecord, 'format' | 'incarnation'>;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A stored maintenance flag, or null when it is not one. */
const parseFlag = (v: unknown): MaintenanceFlag | null => {
  if (!isObj(v) || typeof v.on !== 'boolean') return null;
  const reason = typeof v.reason === 'string' ? v.reason.slice(0, 200) : '';
  const since = typeof v.since === 'string' ? v.since.slice(0, 40) : null;
  return v.on ? { on: true, reason, since } : { on: false, reason: '', since: null };
};

const parseOverride = (v: unknown): StoredOverride | null => {
  if (!isObj(v) || !MODES.includes(v.mode as ControllerMode)) return null;
  if (typeof v.expiresAt !== 'number' || !Number.isFinite(v.expiresAt)) return null;
  return { mode: v.mode as ControllerMode, reason: typeof v.reason === 'string' ? v.reason.slice(0, 200) : '', expiresAt: v.expiresAt };
};

/**
 * Read a stored world record; null when it is not one this build understands. Task declarations
 * are returned as stored: they are validated again when declared (a bad one is skipped, logged).
 */
export const parseWorldOpsRecord = (v: unknown): WorldOpsRecord | null => {
  if (!isObj(v) || v.format !== OPS_RECORD_FORMAT) return null;
  const maintenance = parseFlag(v.maintenance);
  if (!maintenance || !Array.isArray(v.tasks)) return null;
  return {
    format: OPS_RECORD_FORMAT,
    incarnation: typeof v.incarnation === 'string' ? v.incarnation : null,
    maintenance,
    override: parseOverride(v.override),
    tasks: v.tasks.filter(isObj) as Partial<DeclaredTask>[] as DeclaredTask[],
  };
};

/** Read a stored runtime record; null when it is not one. */
export const parseRuntimeOpsRecord = (v: unknown): RuntimeOpsRecord | null => {
  if (!isObj(v) || v.format !== OPS_RECORD_FORMAT) return null;
  const maintenance = parseFlag(v.maintenance);
  return maintenance ? { format: OPS_RECORD_FORMAT, maintenance } : null;
};
