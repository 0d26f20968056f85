/**
 * The coordination seam between worldtick instances (docs/CLUSTER.md).
 *
 * One interface, two implementations, one contract test suite
 * (test/unit/cluster/coordinator-contract.test.ts):
 * - {@link LocalCoordinator} (`local-coordinator.ts`): in-process, the embedded default.
 * - {@link RedisCoordinator} (`redis-coordinator.ts`): many instances sharing one Redis.
 *
 * A coordinator object is one instance's handle on the cluster (as Colyseus' `Presence`): it
 * answers cluster-wide questions (who is alive, who owns world X) and also keeps what only this
 * handle can know — the last renewals it *sent* for the leases it holds, from which
 * {@link Coordinator.leaseValidUntil} is computed on the local monotonic clock.
 *
 * Clocks: every `ttlMs` is a duration in milliseconds. `leaseValidUntil` and
 * `LeaseGranted.validUntil` are instants on the coordinator's monotonic clock
 * ({@link Coordinator.now}, `performance.now()` by default) — never compare them with
 * `Date.now()`. `InstanceRecord.heartbeatAt` is wall-clock epoch milliseconds (informational).
 */

/** What an instance measures about itself and reports with every heartbeat. */
export interface InstanceLoad {
  /** Connected game sessions (all worlds). */
  readonly sessions: number;
  /** Step cost: milliseconds of world stepping per wall second, summed over the instance's worlds. */
  readonly stepCostMs: number;
  /** Process CPU use as a fraction of one core (may exceed 1 with worker threads). */
  readonly cpu: number;
}

/** How an instance announces itself. */
export interface InstanceInfo {
  /** Unique per process start (a restarted process registers under a new id). */
  readonly id: string;
  /** Where game clients connect (`ws://host:port`), used in redirects. */
  readonly gameUrl: string;
  /** The instance's admin HTTP base URL. */
  readonly adminUrl: string;
  /** Most game sessions the instance accepts (0 while it drains or stops: it takes no world). */
  readonly capacity: number;
  readonly load: InstanceLoad;
  /**
   * Whether the instance is draining (`POST /api/v1/cluster/drain`), as opposed to stopping, which also
   * announces capacity 0. Absent: not draining.
   */
  readonly draining?: boolean;
}

/** A live instance as listed by {@link Coordinator.listInstances}. */
export interface InstanceRecord extends InstanceInfo {
  /** As announced; false for a record without the flag (an older build's: a rolling upgrade mixes builds). */
  readonly draining: boolean;
  /** Wall-clock epoch ms of the last register/heartbeat, as the instance reported it. */
  readonly heartbeatAt: number;
  /** The presence TTL the instance registered with (ms). */
  readonly ttlMs: number;
  /** Milliseconds until the record expires unless heartbeated again. */
  readonly ttlRemainingMs: number;
}

/** The current owner of a world's lease. */
export interface LeaseOwner {
  readonly worldId: string;
  readonly instanceId: string;
  /** Monotonically increasing per world across every owner; the store refuses writes carrying a smaller one. */
  readonly fencingToken: number;
  /** Milliseconds until the lease expires unless renewed. */
  readonly ttlRemainingMs: number;
}

/** A lease was granted (acquire, renew) or handed over. */
export interface LeaseGranted {
  readonly ok: true;
  readonly worldId: string;
  /** The instance that now owns the lease. */
  readonly instanceId: string;
  readonly fencingToken: number;
  readonly ttlMs: number;
  /**
   * Whether this call minted a new fencing token: true for an acquire of a lease nobody held and
   * for a handover; false for a renew and for an acquire that extended a lease `instanceId` already
   * owned (a lease handed to it, or its own from before a restart with the same id).
   */
  readonly minted: boolean;
  /**
   * Monotonic-clock instant (ms) until which the holder may act as owner: the request's send
   * time + ttl − safety margin. For a handover this is what the *new* owner would get if it
   * had sent the request; the new owner must call `renew` to hold a validity of its own.
   */
  readonly validUntil: number;
}

/** The lease was refused: someone else owns it (or, for renew/handover, nobody does). */
export interface LeaseRefused {
  readonly ok: false;
  readonly worldId: string;
  /** The current owner, or null when the world has no lease at all. */
  readonly owner: LeaseOwner | null;
}

/** Result of acquire, renew and handover. */
export type LeaseResult = LeaseGranted | LeaseRefused;

/** A lease this coordinator handle holds, as it knows it locally. */
export interface HeldLease {
  readonly worldId: string;
  readonly instanceId: string;
  readonly fencingToken: number;
  /** Monotonic-clock ms; see {@link Coordinator.leaseValidUntil}. */
  readonly validUntil: number;
}

/** A JSON value, as carried by cluster messages. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** A small cluster message: a JSON object with a string `type`. */
export interface ClusterMessage {
  readonly type: string;
  readonly [key: string]: JsonValue;
}

/** Well-known message types (others are allowed; receivers ignore types they do not know). */
export const ClusterMessageType = {
  /** `{ type: 'migrate', worldId, from, to }`: the balancer asks `from` to move `worldId` to `to`. */
  MIGRATE: 'migrate',
  /** `{ type: 'moved', worldId, to, fencingToken }`: ownership of `worldId` changed hands. */
  MOVED: 'moved',
} as const;

/** Receives messages published on a channel this handle subscribed to. */
export type MessageHandler = (message: ClusterMessage, channel: string) => void;

/** Stops a subscription; idempotent. */
export type Unsubscribe = () => Promise<void>;

/** Counters a coordinator handle keeps about input it refused. */
export interface CoordinatorCounters {
  /** Messages received that were not a JSON object with a string `type` (dropped). */
  badMessages: number;
  /** Subscriber callbacks that threw (the error is swallowed; other handlers still run). */
  handlerErrors: number;
  /** Connection errors reported by the backend client (always 0 in-process). */
  backendErrors: number;
  /**
   * Damaged keys met (lease keys, fence counters, instance records, index sets: keys no script writes so,
   * src/cluster/redis-scripts.ts), each time one was met: a listing skips it (so this rises every control
   * tick while it stays) or rebuilds it (an index set), an acquire replaces it. Always 0 in-process.
   */
  damagedRecords: number;
}

/**
 * The coordination layer: presence, world-ownership leases with fencing, and small messages.
 *
 * Failure semantics: a method that cannot reach the backend rejects with
 * `WT_ERR_CLUSTER_UNAVAILABLE` and the caller must assume nothing changed *and* nothing is
 * known — in particular a failed `renew` does not extend {@link leaseValidUntil}.
 */
export interface Coordinator {
  /** `'local'` or `'redis'`. */
  readonly kind: string;
  /** Where the backend is, for logs: `host:port/db` (never a user or password); absent in process. */
  readonly target?: string;
  readonly counters: Readonly<CoordinatorCounters>;
  /** The monotonic clock (ms) lease validity is measured on. */
  now(): number;

  /** Announces (or re-announces) an instance; it stays listed for `ttlMs` unless heartbeated. */
  register(instance: InstanceInfo, ttlMs: number): Promise<void>;
  /**
   * Renews an instance's presence for its registered TTL and records its load, and whether it drains
   * when `draining` is given (left as it is otherwise).
   * Resolves false when the record had already expired: the instance must `register` again.
   */
  heartbeat(instanceId: string, load: InstanceLoad, draining?: boolean): Promise<boolean>;
  /** Removes an instance at once (clean shutdown). */
  deregister(instanceId: string): Promise<void>;
  /** Every instance whose presence has not expired, sorted by id. */
  listInstances(): Promise<InstanceRecord[]>;

  /**
   * Takes the lease of a world for `ttlMs` if nobody holds it (a fresh, larger fencing token;
   * `minted` true), or extends it if `instanceId` already does (same token; `minted` false). Exactly one of many racing
   * callers wins. `minToken` (default 0): a fresh token is above it — the fence counter is
   * raised first; how a counter the coordinator lost (Redis restarted without its data) is
   * re-seeded above the store's highest token.
   */
  acquire(worldId: string, instanceId: string, ttlMs: number, minToken?: number): Promise<LeaseResult>;
  /** Extends a lease `instanceId` holds; refused (with the owner) if it expired or is someone else's. */
  renew(worldId: string, instanceId: string, ttlMs: number): Promise<LeaseResult>;
  /** Gives up a lease if `instanceId` holds it; resolves whether it did. */
  release(worldId: string, instanceId: string): Promise<boolean>;
  /**
   * Moves a lease from `fromInstanceId` (which must hold it) to `toInstanceId` atomically, with
   * a new, larger fencing token. This handle stops considering the lease valid before the
   * request is sent. The new owner calls `renew` to start its own validity. `minToken` (default 0):
   * the new token is above it too — the highest token the caller knows was granted (its own, the
   * store's fence), so a lease or counter damaged in the coordinator cannot make a token repeat.
   */
  handover(worldId: string, fromInstanceId: string, toInstanceId: string, ttlMs: number, minToken?: number): Promise<LeaseResult>;
  /** The current owner of a world, or null. */
  getOwner(worldId: string): Promise<LeaseOwner | null>;
  /** Every world with a live lease and its owner, sorted by world id. */
  listLeases(): Promise<LeaseOwner[]>;
  /**
   * `worldId` was deleted and its lease released: drop its fencing-token counter when no lease of it
   * is live. Only for a backend whose tokens fence no store writes (one instance, `enforce: false`):
   * a world created again under the id then counts from 1. The Redis backend has none (its
   * `fence:<world>` counters are kept on purpose: docs/CLUSTER.md "Deleting a world").
   */
  forgetWorld?(worldId: string): void;
  /**
   * Until when (monotonic ms, {@link now}) this handle can prove it owns `worldId`: the send
   * time of its last successful acquire/renew + ttl − safety margin; null if it holds no
   * lease on the world (never had one, released it, handed it over, or was refused). The
   * runtime stops stepping the world once `now()` passes it.
   */
  leaseValidUntil(worldId: string): number | null;
  /** The lease this handle holds on `worldId` (token and validity), or null. */
  heldLease(worldId: string): HeldLease | null;

  /** Sends a message to every subscriber of `channel` on every instance (including this one). */
  publish(channel: string, message: ClusterMessage): Promise<void>;
  /** Delivers messages published on `channel` to `handler`, asynchronously, in publish order. */
  subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe>;

  /** Releases connections and timers. Leases and presence are left to expire (call release/deregister first for a clean exit). */
  close(): Promise<void>;
}
