/**
 * Types of the cluster service (src/server/cluster-service.ts): its options, counters and
 * recorded step ranges. Split out so the service's parts (takeover, step ranges) share them
 * without importing the service.
 */
import type { Coordinator, InstanceLoad } from '../cluster/coordinator.js';
import type { Logger } from '../log.js';
import type { Fence, FenceOptions } from '../store/types.js';
import type { SimWorld } from '../world/sim-world.js';

/**
 * The store's side of fencing the cluster service uses. `endFencedOutWriters` (PostgreSQL): end the
 * sessions of writers of the world inside a fenced transaction under an older token — a previous
 * owner paused mid-statement holds the fence row, and no server timeout ends it (docs/CLUSTER.md
 * "A writer paused mid-write"); called when an announce gave up on the row. Returns what it ended.
 */
export interface ClusterFenceStore {
  fence(f: Fence, options?: FenceOptions): Promise<number>;
  endFencedOutWriters?(
    worldId: string,
    token: number,
  ): Promise<ReadonlyArray<{ pid: number; token: number; state?: string; waitEvent?: string | null }>>;
}

/** What the cluster service needs from the runtime. */
export interface ClusterServiceOptions {
  readonly coordinator: Coordinator;
  readonly instanceId: string;
  /** Wall ms a world lease lasts unless renewed; renewed every third of it. */
  readonly leaseTtlMs: number;
  /** Presence TTL (ms). Default `leaseTtlMs`. */
  readonly presenceTtlMs?: number;
  /** Stop stepping this long before the lease validity ends (room for one step). Default min(250, ttl/10). */
  readonly stepGuardMs?: number;
  /** Gate stepping and route clients by ownership (cluster mode). False: one instance, nothing gated. */
  readonly enforce: boolean;
  readonly logger: Logger;
  /** This instance's worlds (the loop runner's). */
  readonly worlds: () => readonly SimWorld[];
  readonly gameUrl: () => string;
  readonly adminUrl: () => string;
  /** Most sessions this instance accepts (read at register). */
  readonly capacity: () => number;
  readonly load: () => InstanceLoad;
  /** Close a world's sessions (the game server's `closeWorldSessions`). */
  readonly closeSessions: (worldId: string, code: number, reason: string) => number;
  /**
   * Optional durable-store fence: a new token is announced (`store.fence`) before the world
   * steps with it; a refusal keeps the world stopped with that token (when the store has seen a
   * higher one, the lease is given back and the next grant is seeded above it). The announce waits at
   * most `fenceLockWaitMs` for the world's fence row (`options.lockWaitMs`).
   */
  readonly store?: ClusterFenceStore;
  /**
   * Longest wait (ms) of an announce for the world's fence row while another writer holds it (a
   * previous owner paused mid-write): past it the announce fails, the world is not stepped, and the
   * next control tick tries again. Default {@link fenceLockWaitMs}: a sixth of the lease TTL, 50–1000 ms,
   * so the control tick (every third of it) is never held up past its period.
   */
  readonly fenceLockWaitMs?: number;
  /** Wall clock, epoch ms (step ranges). Default Date.now. */
  readonly epochNow?: () => number;
  /**
   * Take a world over from the store (src/server/cluster-migration.ts): called, with stepping held,
   * after this instance was granted a world another instance held (failover, a standby copy) or
   * one it does not host (an orphan, a handover), and after the store accepted the new token.
   * Resolves true when the world is in the runner, restored from its last checkpoint; rejects with
   * `WT_ERR_CHECKPOINT_TOO_NEW` when a newer build wrote that checkpoint (the world is declined), with
   * `WT_ERR_WORLD_NOT_FOUND` when no record is stored and there is no local copy (the world was deleted: the
   * lease is given back with an info line, src/server/nothing-stored.ts).
   */
  readonly adopt?: (worldId: string, token: number, why: 'failover' | 'migration') => Promise<boolean>;
  /**
   * Whether this instance's copy of `worldId` was restored from the store's record (at start, or by an
   * adoption): a first grant of such a copy whose token is not the world's first resumes it from the store
   * (counted with the failovers; src/server/cluster-lease-tick.ts).
   */
  readonly restoredFromStore?: (worldId: string) => boolean;
  /**
   * Whether the store holds a checkpoint of `worldId` other than the one its copy here was restored from
   * (an earlier holder checkpointed after this instance's start-up restore): such a resume is taken over
   * from the store with `adopt` instead of keeping the stale copy. Rejecting counts as newer (`adopt`
   * meets the outage). Without it the copy is kept.
   */
  readonly newerCheckpointStored?: (worldId: string) => Promise<boolean>;
  /** A world's new fencing token was accepted by the store (the runtime fences the world's ledger with it). */
  readonly onToken?: (worldId: string, token: number) => void;
  /** Ids of the worlds the durable store knows (failover of worlds nobody hosts: orphans). */
  readonly storedWorlds?: () => Promise<string[]>;
  /**
   * The same with each record's last write (wall ms, `listWorldConfigs`); preferred over `storedWorlds`:
   * a world refused as written by a newer build is tried again once its record changed (src/server/not-started.ts).
   */
  readonly storedRecords?: () => Promise<ReadonlyArray<{ worldId: string; updatedAt: number; config?: unknown }>>;
  /**
   * Whether one world has a record in the store (`hasWorldConfig`: one row by its key), for the checks of
   * one id — a new world's, a copy's whose world may be deleted; without it they list the stored worlds.
   */
  readonly storedRecord?: (worldId: string) => Promise<boolean>;
  /**
   * Copies of worlds this instance hosts but does not own (standby copies, an old owner's copy) whose
   * stored record is gone (the world was deleted on another instance): `droppable` says whether a copy
   * may go (not the default world), `drop` removes it from this instance (docs/CLUSTER.md "Deleting a world").
   */
  readonly staleCopies?: { droppable(worldId: string): boolean; drop(worldId: string): void };
}

/** The default of {@link ClusterServiceOptions.fenceLockWaitMs} for a lease TTL (ms): ttl/6, at least 50, at most 1000. */
export const fenceLockWaitMs = (leaseTtlMs: number): number => Math.min(1000, Math.max(50, Math.floor(leaseTtlMs / 6)));

/** One stretch of consecutive steps of a world under one fencing token. */
export interface StepRange {
  readonly worldId: string;
  readonly instanceId: string;
  readonly fencingToken: number;
  fromStep: number;
  toStep: number;
  /** Wall epoch ms when the first step started / the last step ended. */
  readonly startMs: number;
  endMs: number;
}

/** Counters of the cluster service (metrics, tests). */
export interface ClusterCounters {
  leaseRenewals: number;
  leaseFailures: number;
  leaseAcquired: number;
  /** Worlds this instance stopped serving because its lease lapsed or was refused. */
  leasesLost: number;
  /**
   * Lapses of a served world's lease validity (its renewal late) that the renewal ended within the grace, under the
   * same token: the world paused and stepped on with its sessions (src/server/cluster-watchdog.ts).
   */
  leaseLapsesRecovered: number;
  /** Worlds taken over after another instance had held them (a higher token than we ever saw). */
  failovers: number;
  /** Worlds handed to another instance by migration (this instance was the source). */
  migrations: number;
  redirects: number;
  forwardedAdmin: number;
  /** Admin writes forwarded here as to the owner of a world this instance hosts but holds no lease of (refused 503). */
  forwardedRefused: number;
  heartbeatFailures: number;
  reRegistrations: number;
  fenceRefusals: number;
  /**
   * Announces of a new fencing token that gave up waiting for the world's fence row (another writer
   * holds it: a previous owner paused mid-write): not stepped, tried again at the next control tick.
   */
  fenceLockTimeouts: number;
  /**
   * Store sessions of fenced-out writers (a world's previous owner, an older token) ended because
   * the announce of a new token gave up on the fence row they held (PostgreSQL only).
   */
  fenceWritersEnded: number;
  /** Worlds handed to this instance that it refused to adopt (it was draining or stopping). */
  adoptRefusals: number;
  /** Worlds declined (handed or failed over here) because a newer build wrote their checkpoint (`WT_ERR_CHECKPOINT_TOO_NEW`). */
  checkpointTooNew: number;
  /** Worlds declined (handed or failed over here) because their game data does not fit this game (`WT_ERR_CHECKPOINT_INCOMPATIBLE`). */
  gameIncompatible: number;
  /** Redirect tickets accepted because the previous secret (`--cluster-secret-previous`) signed them. */
  ticketsPreviousSecret: number;
}

/** Every counter at 0. */
export const emptyClusterCounters = (): ClusterCounters => ({
  leaseRenewals: 0,
  leaseFailures: 0,
  leaseAcquired: 0,
  leasesLost: 0,
  leaseLapsesRecovered: 0,
  failovers: 0,
  migrations: 0,
  redirects: 0,
  forwardedAdmin: 0,
  forwardedRefused: 0,
  heartbeatFailures: 0,
  reRegistrations: 0,
  fenceRefusals: 0,
  fenceLockTimeouts: 0,
  fenceWritersEnded: 0,
  adoptRefusals: 0,
  checkpointTooNew: 0,
  gameIncompatible: 0,
  ticketsPreviousSecret: 0,
});
