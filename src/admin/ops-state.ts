/**
 * Operator controls the admin API changes at runtime: maintenance (per world and for the whole
 * runtime), with a counter per kind of change, and the heartbeat check behind `/readyz`.
 *
 * Maintenance of a world = its own flag OR the runtime's. While on:
 * - the world's periodic scheduler holds every non-critical task (triggers count as `held`);
 * - its job queue starts no job (running ones finish and are applied);
 * - the game server refuses new sessions (`MAINTENANCE`, close 4013) and keeps existing players
 *   (a resume of a parked player is accepted).
 * One instance per admin server (owned, passed around; no module state).
 */
import type { SimWorld } from '../world/sim-world.js';

/** One maintenance flag. `since` is an ISO date. */
export interface MaintenanceFlag {
  on: boolean;
  reason: string;
  since: string | null;
}

/** Kinds of operator change (the label of `worldtick_admin_ops_changes_total`). */
export type OpsChangeKind = 'maintenance' | 'override' | 'task' | 'trigger';

/** What the heartbeat check needs from a world. */
type Beating = Pick<SimWorld, 'id' | 'clock' | 'fault' | 'periodic' | 'config'>;

/** Heartbeat state of one world. */
export interface HeartbeatState {
  worldId: string;
  /** Wall seconds since the last heartbeat. */
  ageSeconds: number;
  /** Age beyond which it counts as lost: max(staleSeconds, 1 s heartbeat + 3 × tickIntervalSeconds). */
  limitSeconds: number;
  /** Deliberately paused (no steps, no heartbeat expected): never stale. */
  paused: boolean;
  stale: boolean;
}

/** The scheduler's heartbeat interval (wall seconds; src/periodic/scheduler.ts default). */
const HEARTBEAT_SECONDS = 1;

const OFF: MaintenanceFlag = { on: false, reason: '', since: null };

/** Maintenance flags and change counters. */
export class OpsState {
  readonly #worlds = new Map<string, MaintenanceFlag>();
  #runtime: MaintenanceFlag = { ...OFF };
  /** Changes applied, by kind. */
  readonly changes: Record<OpsChangeKind, number> = { maintenance: 0, override: 0, task: 0, trigger: 0 };
  /** Wall seconds without a heartbeat after which a running world makes `/readyz` red. */
  readonly staleSeconds: number;

  constructor(opts: { heartbeatStaleSeconds?: number } = {}) {
    this.staleSeconds = opts.heartbeatStaleSeconds ?? 5;
  }

  /** Count one change. */
  count(kind: OpsChangeKind): void {
    this.changes[kind]++;
  }

  /** The runtime-wide flag. */
  get runtime(): MaintenanceFlag {
    return { ...this.#runtime };
  }

  /** A world's own flag (not counting the runtime's). */
  worldFlag(worldId: string): MaintenanceFlag {
    return { ...(this.#worlds.get(worldId) ?? OFF) };
  }

  /** True when the world is in maintenance (its own flag or the runtime's). */
  isOn(worldId: string): boolean {
    return this.#runtime.on || (this.#worlds.get(worldId)?.on ?? false);
  }

  /** Set a world's flag and apply the effective state to it. Returns whether anything changed. */
  setWorld(world: SimWorld, on: boolean, reason: string): boolean {
    const cur = this.#worlds.get(world.id) ?? OFF;
    if (cur.on === on) return false;
    if (on) this.#worlds.set(world.id, { on, reason, since: new Date().toISOString() });
    else this.#worlds.delete(world.id);
    this.count('maintenance');
    this.apply(world);
    return true;
  }

  /** Set the runtime flag and apply to every world given. Returns whether anything changed. */
  setRuntime(worlds: readonly SimWorld[], on: boolean, reason: string): boolean {
    if (this.#runtime.on === on) return false;
    this.#runtime = on ? { on, reason, since: new Date().toISOString() } : { ...OFF };
    this.count('maintenance');
    for (const w of worlds) this.apply(w);
    return true;
  }

  /** Apply the effective maintenance state to a world's scheduler and job queue (also for new worlds). */
  apply(world: SimWorld): void {
    const on = this.isOn(world.id);
    world.periodic.setMaintenance(on);
    world.jobs.held = on;
  }

  /** Forget a deleted world. */
  forget(worldId: string): void {
    this.#worlds.delete(worldId);
  }

  /** Heartbeat state of a world. */
  heartbeat(world: Beating): HeartbeatState {
    const ageSeconds = world.periodic.heartbeatAgeSeconds();
    const limitSeconds = Math.max(this.staleSeconds, HEARTBEAT_SECONDS + 3 * world.config.simulation.tickIntervalSeconds);
    const paused = world.clock.paused && world.fault === null;
    return { worldId: world.id, ageSeconds, limitSeconds, paused, stale: !paused && ageSeconds > limitSeconds };
  }
}
