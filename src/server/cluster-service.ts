/**
 * Cluster mode of the runtime (docs/CLUSTER.md, "Running many instances"): one runtime
 * `Service` that keeps this instance's presence, holds the leases of the worlds it can serve,
 * and gates stepping on them.
 *
 *   control tick (every ttl/3)            watchdog (every 50 ms)          loop runner
 *   heartbeat / register                  canStep(w) went false?          canStep(w) before
 *   renew held, acquire the others ──▶    close w's sessions (4015)        every step
 *   refresh view (instances, leases)      canStep(w) went true? log
 *
 * A world steps only while `now + stepGuardMs < leaseValidUntil(world)` on the coordinator's
 * monotonic clock: an instance cut off from Redis stops before its lease can expire, so no
 * other instance can be granted the world while this one still steps it. Every step is
 * recorded in a bounded list of step ranges (fencing token, steps, wall times) so tests and
 * operators can check that no two instances ever stepped one world at the same time.
 *
 * With `enforce: false` (one instance, LocalCoordinator) nothing is gated or routed: the
 * runtime behaves as without a cluster, and fencing tokens are still held and exposed.
 */
import type { Coordinator, InstanceRecord, LeaseOwner } from '../cluster/coordinator.js';
import { WorldLoadMeter } from './world-load.js';
import { ControlTickTimer } from './control-tick-timer.js';
import type { Fence } from '../store/types.js';
import type { SimWorld } from '../world/sim-world.js';
import type { Service } from './service.js';
import { emptyClusterCounters, type ClusterCounters, type ClusterServiceOptions, type StepRange } from './cluster-types.js';
import { StepRangeLog } from './cluster-step-ranges.js';
import type { WorldTakeover } from './cluster-takeover.js';
import type { ClusterView, WorldOwner } from './cluster-view.js';
import {
  instanceInfo,
  logReachability,
  renewHeldLeases,
  runControlTick,
  type ControlTickContext,
  type DrainState,
} from './cluster-control-tick.js';
import type { FenceAnnouncer } from './cluster-fence-announce.js';
import type { AdminWorldLeases } from './cluster-claim.js';
import { wireCluster } from './cluster-wiring.js';
import { watchStepping, type WatchContext } from './cluster-watchdog.js';
import { createNotStartedWorlds, type NotStartedWorlds } from './not-started.js';

export type { ClusterCounters, ClusterServiceOptions, StepRange } from './cluster-types.js';
const WATCHDOG_MS = 50;

/** The cluster service. A class: it owns timers and a coordinator handle. */
export class ClusterService implements Service {
  readonly name = 'cluster';
  readonly counters: ClusterCounters = emptyClusterCounters();
  /** Stored worlds this instance does not run, and why (src/server/not-started.ts); filled at start and by declined takeovers. */
  readonly notStarted: NotStartedWorlds = createNotStartedWorlds();
  readonly #o: ClusterServiceOptions;
  readonly #guard: number;
  readonly #epochNow: () => number;
  readonly #serving = new Set<string>();
  #drain: DrainState = 'none';
  readonly #fences: FenceAnnouncer; // tokens announced to the store, and refused ones (src/server/cluster-fence-announce.ts)
  readonly #ranges = new StepRangeLog(); // who stepped what (src/server/cluster-step-ranges.ts)
  readonly #seenTokens = new Map<string, number>(); // highest token seen per world as another instance's (failovers)
  readonly #granted = new Set<string>(); // `LeaseTickContext.granted`; a deleted world's forgotten (#drop)
  /** Instances and leases as of the last control tick (src/server/cluster-view.ts). */
  readonly #view: ClusterView;
  // While a tick runs past its interval, the held leases whose step is done are renewed (`renewHeldLeases`).
  readonly #control = new ControlTickTimer(
    () => this.#runTick(),
    () => renewHeldLeases(this.#tickCtx).then(() => this.#watch()),
  );
  #watchdog: NodeJS.Timeout | null = null;
  #reachable = true;
  /** Worlds whose stepping is held (migrating out, being adopted): not stepped, sessions kept. */
  readonly #held = new Set<string>();
  /** Leases of worlds being created or deleted through the admin API (src/server/cluster-claim.ts). */
  readonly #admin: AdminWorldLeases;
  readonly #meter = new WorldLoadMeter(); // per-world step cost, sampled by the control tick (balancing)
  readonly #takeover: WorldTakeover; // adoption and orphan failover (src/server/cluster-takeover.ts)
  readonly #tickCtx: ControlTickContext; // what the control tick reaches (src/server/cluster-control-tick.ts)
  readonly #watchCtx: WatchContext; // what the watchdog reaches (src/server/cluster-watchdog.ts)

  constructor(opts: ClusterServiceOptions) {
    this.#o = opts;
    this.#guard = opts.stepGuardMs ?? Math.min(250, opts.leaseTtlMs / 10);
    this.#epochNow = opts.epochNow ?? Date.now;
    const parts = wireCluster({
      opts,
      counters: this.counters,
      notStarted: this.notStarted,
      held: this.#held,
      serving: this.#serving,
      ranges: this.#ranges,
      seenTokens: this.#seenTokens,
      granted: this.#granted,
      meter: this.#meter,
      guardMs: this.#guard,
      drain: () => this.#drain,
      stopped: () => this.#control.stopped,
      drop: (worldId) => this.#drop(worldId),
      watch: () => this.#watch(),
      canStep: (w) => this.canStep(w),
    });
    this.#fences = parts.fences;
    this.#view = parts.view;
    this.#admin = parts.admin;
    this.#takeover = parts.takeover;
    this.#tickCtx = parts.tickCtx;
    this.#watchCtx = parts.watchCtx;
  }

  get instanceId(): string {
    return this.#o.instanceId;
  }

  /** Draining or stopping (docs/CLUSTER.md "Draining an instance"): announced with capacity 0, takes no world. */
  get draining(): boolean {
    return this.#drain !== 'none';
  }

  /** Why capacity 0 is announced: `draining` (a drain), `stopping` (a clean stop), `none`. */
  get drainState(): DrainState {
    return this.#drain;
  }

  /**
   * Start or end draining (`why` 'stopping': a clean stop, not flagged `draining` in the presence record): announce
   * capacity 0 at once (no placement, migration or balance picks it), acquire no world it does not hold, update its
   * own record in the view now. Held leases renew. Rejects when the coordinator cannot be reached (state set anyway).
   */
  async setDraining(on: boolean, why: 'draining' | 'stopping' = 'draining'): Promise<void> {
    this.#drain = on ? why : 'none';
    this.#view.refreshOwn();
    await this.#o.coordinator.register(instanceInfo(this.#o, this.#drain), this.#o.presenceTtlMs ?? this.#o.leaseTtlMs);
  }

  /** Whether `worldId` has a record in the shared store, looked up alone (src/server/cluster-stored.ts); rejects when it cannot be read. */
  isStored(worldId: string): Promise<boolean> {
    return this.#admin.isStored(worldId);
  }

  get enforce(): boolean {
    return this.#o.enforce;
  }

  /** The world lease TTL (ms). */
  get leaseTtlMs(): number {
    return this.#o.leaseTtlMs;
  }

  /** How long (ms) a fencing-token announce waits for the world's fence row (`--fence-lock-wait`, default a sixth of the TTL). */
  get fenceLockWaitMs(): number {
    return this.#fences.lockWaitMs;
  }

  get coordinator(): Coordinator {
    return this.#o.coordinator;
  }

  /** Whether the last control tick reached the coordinator. */
  get reachable(): boolean {
    return this.#reachable;
  }

  async start(): Promise<void> {
    await this.#control.kick(); // first grants before the game server accepts anyone
    this.#control.start(Math.max(10, Math.floor(this.#o.leaseTtlMs / 3)));
    this.#watchdog = setInterval(() => this.#watch(), WATCHDOG_MS);
    this.#watchdog.unref();
  }

  async stop(): Promise<void> {
    if (this.#watchdog) clearInterval(this.#watchdog);
    await this.#control.stop();
    const c = this.#o.coordinator;
    const id = this.#o.instanceId;
    // A clean exit frees the worlds at once. Deregistered first, so the others' `instance left` line names the worlds
    // (released first, a read between the two saw it live holding nothing).
    const held = this.#o.worlds().filter((w) => c.heldLease(w.id));
    await c.deregister(id).catch(() => undefined);
    await Promise.allSettled(held.map((w) => c.release(w.id, id)));
    await c.close();
  }

  /** Run a control tick now (a world was created), unless one is running. */
  kick(): Promise<void> {
    return this.#control.kick();
  }

  /** The loop runner's gate: this instance can prove it owns the world for one more step (never one declined as too new). */
  canStep(world: SimWorld): boolean {
    if (this.#held.has(world.id) || this.#takeover.tooNew(world.id)) return false;
    if (!this.#o.enforce) return true;
    const c = this.#o.coordinator;
    const v = c.leaseValidUntil(world.id);
    if (v === null || c.now() + this.#guard >= v) return false;
    if (this.#o.store) {
      const held = c.heldLease(world.id);
      if (!held || this.#fences.announced(world.id) !== held.fencingToken) return false;
    }
    return true;
  }

  /**
   * The fence durable writes for `worldId` must carry ({ worldId, token }), or null when this instance cannot
   * prove ownership now (no lease, one about to lapse, or its token not announced to the store yet: a copy's record is not written under a new grant).
   */
  fence(worldId: string): Fence | null {
    const held = this.#o.coordinator.heldLease(worldId);
    if (!held || this.#takeover.tooNew(worldId)) return null; // a world declined here is never written here
    if (this.#o.enforce && this.#o.coordinator.now() + this.#guard >= held.validUntil) return null;
    if (this.#o.enforce && this.#o.store && this.#fences.announced(worldId) !== held.fencingToken) return null;
    return { worldId, token: held.fencingToken };
  }

  /** Owner of a world as of the last control tick (this instance's own leases are exact). */
  ownerOf(worldId: string): WorldOwner | null {
    return this.#view.ownerOf(worldId);
  }

  /** The instance that held `worldId` before this one, `"unknown"` when no control tick saw one (`ClusterView.previousOwner`). */
  previousOwner(worldId: string): string {
    return this.#view.previousOwner(worldId) ?? 'unknown';
  }

  /** Live instances and leases as of the last control tick. */
  view(): { instances: readonly InstanceRecord[]; leases: readonly LeaseOwner[] } {
    return { instances: this.#view.instances, leases: [...this.#view.leases.values()] };
  }

  /** Worlds this instance steps now (without `enforce`: the worlds whose lease it holds). */
  serving(): string[] {
    if (!this.#o.enforce)
      return this.#o
        .worlds()
        .filter((w) => this.#o.coordinator.heldLease(w.id) !== null)
        .map((w) => w.id);
    return [...this.#serving];
  }

  /** Recorded step ranges (oldest first per world), including the open one. */
  stepRanges(): StepRange[] {
    return this.#ranges.all();
  }

  /**
   * Measured load of each world this instance steps: ms of stepping per wall second over the last
   * few control ticks (src/server/world-load.ts; 0 until two samples have it).
   */
  worldLoads(): Array<{ worldId: string; load: number; stepping: boolean }> {
    const serving = new Set(this.serving());
    return this.#o.worlds().map((w) => ({ worldId: w.id, load: this.#meter.load(w.id), stepping: serving.has(w.id) }));
  }

  /** The runner's onStep: extend or open the world's current step range. */
  onStep(world: SimWorld): void {
    this.#meter.onStep(world.id, world.stats.totalMs);
    const held = this.#o.coordinator.heldLease(world.id);
    const token = held ? held.fencingToken : 0;
    this.#ranges.record(world, this.#o.instanceId, token, this.#epochNow());
  }

  /** An admin-created world: its lease taken, its token announced before the `201` (`AdminWorldLeases.claim`: `retryForMs`). */
  claim(worldId: string, retryForMs?: number): Promise<number> {
    return this.#admin.claim(worldId, retryForMs);
  }

  /** The world {@link claim}ed for an admin create joins the runner now: its lease renews as a hosted world's from here. */
  created(worldId: string): void {
    this.#admin.created(worldId);
  }

  /** A world was deleted here (or its create undone): its lease given back once `recordGone` settled (`AdminWorldLeases.forget`). */
  forget(worldId: string, recordGone?: Promise<unknown>): void {
    this.#admin.forget(worldId, recordGone);
  }

  /** Forget what this service keeps of `worldId` (deleted, or its create undone); its lease is the caller's. */
  #drop(worldId: string): void {
    this.#serving.delete(worldId);
    this.#fences.forget(worldId);
    this.#ranges.forget(worldId);
    this.#seenTokens.delete(worldId);
    this.#granted.delete(worldId);
    this.#view.forget(worldId);
    this.#meter.forget(worldId); // a world created again under this id is measured afresh
    if (this.#view.leases.get(worldId)?.instanceId === this.#o.instanceId) this.#view.leases.delete(worldId);
  }

  /** The fence a delete of `worldId`'s record here is made under (`AdminWorldLeases.deleteFence`). */
  deleteFence(worldId: string): Fence | undefined {
    return this.#admin.deleteFence(worldId);
  }

  /** Stop stepping `worldId` (its sessions stay open) until {@link unhold}: a migration's pause. */
  hold(worldId: string): void {
    this.#held.add(worldId);
  }

  /** Let a held world step again (serving() says so at once when it can step: a migration refused, the world taken back). */
  unhold(worldId: string): void {
    this.#held.delete(worldId);
    this.#watch();
  }

  /** Whether stepping of `worldId` is held. */
  isHeld(worldId: string): boolean {
    return this.#held.has(worldId);
  }

  /** Live instances as of the last control tick (placement, balancing, migration targets). */
  instances(): readonly InstanceRecord[] {
    return this.#view.instances;
  }

  /**
   * The highest token of `worldId` this instance knows was granted: its lease's, the one it announced to the
   * store, the store's refusal's, another instance's it saw. A handover mints above it (docs/CLUSTER.md "A damaged key in Redis").
   */
  tokenFloor(worldId: string): number {
    const f = this.#fences;
    const held = this.#o.coordinator.heldLease(worldId)?.fencingToken ?? 0;
    return Math.max(held, f.announced(worldId) ?? 0, f.minToken(worldId), this.#seenTokens.get(worldId) ?? 0);
  }

  /**
   * Migration, source side: hand the lease of `worldId` (held and provable here) to instance `to`
   * (a new fencing token). The world must already be held and checkpointed. The calling handle
   * forgets the lease; `to` starts its validity with {@link takeHandover}.
   */
  async handOver(worldId: string, to: string): Promise<LeaseOwner> {
    const c = this.#o.coordinator;
    const r = await c.handover(worldId, this.#o.instanceId, to, this.#o.leaseTtlMs, this.tokenFloor(worldId));
    if (!r.ok) throw new Error(`handover of ${worldId} to ${to} refused (owner ${r.owner?.instanceId ?? 'none'})`);
    this.#serving.delete(worldId);
    this.#ranges.close(worldId);
    this.#fences.forget(worldId); // announced again with the token it gets if it comes back
    this.#meter.forget(worldId); // measured afresh if it comes back
    this.#seenTokens.set(worldId, r.fencingToken);
    this.#view.leases.set(worldId, { worldId, instanceId: to, fencingToken: r.fencingToken, ttlRemainingMs: r.ttlMs });
    this.counters.migrations++;
    return { worldId, instanceId: to, fencingToken: r.fencingToken, ttlRemainingMs: r.ttlMs };
  }

  /**
   * Migration, target side: the lease of `worldId` was handed to this instance. Renew it (starts
   * this handle's validity), announce the token to the store, adopt the world from its checkpoint,
   * then let it step. Resolves the token; throws when any part fails (the lease then lapses and the
   * world fails over to whichever instance placement picks).
   */
  takeHandover(worldId: string): Promise<number> {
    return this.#takeover.takeHandover(worldId);
  }

  /** Whether `worldId` is moving here: restored by a takeover or a handover, or its handed lease awaiting the adopt request (`WorldTakeover.adopting`). */
  adopting(worldId: string): boolean {
    return this.#takeover.adopting(worldId);
  }

  /** Whether `worldId` is stored (the last listing), unleased in the view and not hosted here: being failed over (`OrphanScan.orphaned`). */
  orphaned(worldId: string): boolean {
    return this.#takeover.orphaned(worldId);
  }

  /** Why an adopt request for `worldId` finds nothing handed here to take in, or null (`WorldTakeover.adoptConflict`). */
  adoptConflict(worldId: string): 'lease-held-here' | 'adopt-in-progress' | null {
    return this.#takeover.adoptConflict(worldId);
  }

  /** Whether the lease of `worldId` was handed here and the control tick waits for its adopt request (docs/CLUSTER.md "Migration"). */
  awaitingHandover(worldId: string): boolean {
    return this.#takeover.awaitingHandover(worldId);
  }

  /**
   * Migration, source side: the target refused `worldId` and handed its lease back. Renew it, announce
   * the new token to the store and record the lease; resolves the token, throws when any part fails.
   */
  takeBack(worldId: string): Promise<number> {
    return this.#takeover.takeBack(worldId);
  }

  #watch(): void {
    watchStepping(this.#watchCtx);
  }

  async #runTick(): Promise<void> {
    const { failures, error } = await runControlTick(this.#tickCtx);
    if ((failures === 0) !== this.#reachable) {
      this.#reachable = failures === 0;
      logReachability(this.#o.logger, this.#o.coordinator, this.#reachable, error);
    }
    this.#watch();
  }
}
