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
 *
 * Durable (docs/ADMIN.md, "Durable"): with an {@link OpsDurability} (the runtime's, on its store),
 * every change is written before the route answers — the world's flag, override and API-declared
 * tasks as one record, the runtime flag as another — and {@link OpsState.restoreWorld} /
 * {@link OpsState.restoreRuntime} put them back when a world is restored or adopted.
 */
import { forceControllerMode } from '../controller/controller.js';
import { declareTask, type DeclaredTask } from '../periodic/declared-tasks.js';
import type { SimWorld } from '../world/sim-world.js';
import type { MaintenanceFlag, WorldOpsState } from './ops-record.js';

export type { MaintenanceFlag } from './ops-record.js';

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
  /**
   * Cluster mode: a standby copy of a world another instance owns and steps (no steps here, no
   * heartbeat expected): never stale. Always false on a single instance.
   */
  standby: boolean;
  stale: boolean;
}

/** The scheduler's heartbeat interval (wall seconds; src/periodic/scheduler.ts default). */
const HEARTBEAT_SECONDS = 1;

const OFF: MaintenanceFlag = { on: false, reason: '', since: null };

/**
 * Where operator state is made durable (src/server/ops-persist.ts). Each call resolves once the
 * state given is committed (true) or could not be written (false: logged by the implementation;
 * the change stays in force in this process). Calls of one scope are written in call order.
 */
export interface OpsDurability {
  saveWorld(worldId: string, state: WorldOpsState): Promise<boolean>;
  saveRuntime(flag: MaintenanceFlag): Promise<boolean>;
  /** The world was deleted: its record goes. */
  deleteWorld(worldId: string): Promise<boolean>;
}

/** What {@link OpsState.restoreWorld} re-applied. */
export interface OpsRestoreSummary {
  maintenance: boolean;
  /** Remaining wall seconds of the override put back (null: none, or it had expired). */
  overrideSeconds: number | null;
  /** An override was stored but its time was up: not put back. */
  overrideExpired: boolean;
  /** Names of the tasks declared again. */
  tasks: string[];
  /** Stored tasks not declared, with why (a task of that name exists, or the declaration is no longer valid). */
  skipped: Array<{ name: string; why: string }>;
}

/** Maintenance flags and change counters. */
export class OpsState {
  readonly #worlds = new Map<string, MaintenanceFlag>();
  /** Tasks declared through the API, per world (what is stored; the config file's are not). */
  readonly #tasks = new Map<string, Map<string, DeclaredTask>>();
  #runtime: MaintenanceFlag = { ...OFF };
  readonly #durable: OpsDurability | null;
  /** Changes applied, by kind. */
  readonly changes: Record<OpsChangeKind, number> = { maintenance: 0, override: 0, task: 0, trigger: 0 };
  /** Wall seconds without a heartbeat after which a running world makes `/readyz` red. */
  readonly staleSeconds: number;

  /** Whether a world is a standby copy here (another instance owns and steps it); see {@link HeartbeatState.standby}. */
  readonly #standby: (worldId: string) => boolean;

  constructor(opts: { heartbeatStaleSeconds?: number; durability?: OpsDurability; standby?: (worldId: string) => boolean } = {}) {
    this.staleSeconds = opts.heartbeatStaleSeconds ?? 5;
    this.#durable = opts.durability ?? null;
    this.#standby = opts.standby ?? (() => false);
  }

  /** True when changes are written to a store. */
  get durable(): boolean {
    return this.#durable !== null;
  }

  /** A task was declared through the API on `worldId` (stored with the world's state). */
  taskDeclared(worldId: string, task: DeclaredTask): void {
    let m = this.#tasks.get(worldId);
    if (!m) this.#tasks.set(worldId, (m = new Map()));
    m.set(task.name, { ...task });
  }

  /** A declared task was removed through the API. */
  taskRemoved(worldId: string, name: string): void {
    this.#tasks.get(worldId)?.delete(name);
  }

  /** The world's operator state now: its own flag, the override in force (wall-clock expiry), API-declared tasks. */
  worldState(world: SimWorld, nowWallMs = Date.now(), nowMonoMs = performance.now()): WorldOpsState {
    const o = world.controller.override;
    const remainingMs = o ? o.untilWallMs - nowMonoMs : 0;
    return {
      maintenance: this.worldFlag(world.id),
      override: o && remainingMs > 0 ? { mode: o.mode, reason: o.reason, expiresAt: nowWallMs + remainingMs } : null,
      tasks: [...(this.#tasks.get(world.id)?.values() ?? [])].map((t) => ({ ...t })),
    };
  }

  /** Write the world's state; resolves true once durable (false: not written, or no store to write to). */
  async saveWorld(world: SimWorld): Promise<boolean> {
    return this.#durable ? this.#durable.saveWorld(world.id, this.worldState(world)) : false;
  }

  /** Write the runtime flag; resolves true once durable. */
  async saveRuntime(): Promise<boolean> {
    return this.#durable ? this.#durable.saveRuntime(this.runtime) : false;
  }

  /**
   * Put a world's stored state back (restore at start, adoption by this instance), replacing what
   * this process held for that id: its flag, the override if its time is not up (the remaining wall
   * time, from `expiresAt`), the declared tasks (one whose name is taken is skipped). Then the
   * effective maintenance (with the runtime's flag) is applied. Counts nothing: not an operator change.
   */
  restoreWorld(world: SimWorld, state: WorldOpsState | null, nowWallMs = Date.now()): OpsRestoreSummary {
    const out: OpsRestoreSummary = { maintenance: false, overrideSeconds: null, overrideExpired: false, tasks: [], skipped: [] };
    this.#worlds.delete(world.id);
    this.#tasks.delete(world.id);
    if (state?.maintenance.on) {
      this.#worlds.set(world.id, { ...state.maintenance });
      out.maintenance = true;
    }
    const o = state?.override;
    if (o) {
      const seconds = (o.expiresAt - nowWallMs) / 1000;
      if (seconds > 0) {
        forceControllerMode(world, o.mode, seconds, o.reason);
        out.overrideSeconds = seconds;
      } else out.overrideExpired = true;
    }
    for (const t of state?.tasks ?? []) {
      const name = typeof t.name === 'string' ? t.name.slice(0, 64) : '?';
      if (world.periodic.status().some((x) => x.name === name)) {
        // Declared already (the config file's, or this process's copy of the world): kept, still listed as the operator's.
        if (typeof t.name === 'string') this.taskDeclared(world.id, t);
        out.skipped.push({ name, why: 'a task of that name exists' });
        continue;
      }
      try {
        this.taskDeclared(world.id, declareTask(world, t, `stored task ${name}`));
        out.tasks.push(name);
      } catch (err) {
        out.skipped.push({ name, why: err instanceof Error ? err.message.slice(0, 200) : String(err) });
      }
    }
    this.apply(world);
    return out;
  }

  /** Put the stored runtime flag back and apply it to every world given (at start, before they tick). Counts nothing. */
  restoreRuntime(flag: MaintenanceFlag, worlds: readonly SimWorld[]): void {
    this.#runtime = flag.on ? { ...flag } : { ...OFF };
    for (const w of worlds) this.apply(w);
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

  /** Forget a deleted world (and delete its stored state). */
  forget(worldId: string): void {
    this.release(worldId);
    void this.#durable?.deleteWorld(worldId);
  }

  /**
   * Forget a world that left this process (migrated away, a copy dropped) without touching its stored
   * state: that moved with the world (the new owner restored it), or went with the world's delete.
   */
  release(worldId: string): void {
    this.#worlds.delete(worldId);
    this.#tasks.delete(worldId);
  }

  /** Heartbeat state of a world. */
  heartbeat(world: Beating): HeartbeatState {
    const ageSeconds = world.periodic.heartbeatAgeSeconds();
    const limitSeconds = Math.max(this.staleSeconds, HEARTBEAT_SECONDS + 3 * world.config.simulation.tickIntervalSeconds);
    const paused = world.clock.paused && world.fault === null;
    // A standby copy (cluster mode: another instance owns the world) does not step here, so it has no
    // heartbeat; counting it would turn /readyz red on every instance but the owner.
    const standby = this.#standby(world.id);
    return { worldId: world.id, ageSeconds, limitSeconds, paused, standby, stale: !paused && !standby && ageSeconds > limitSeconds };
  }
}
