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
import type { Coordinator, InstanceLoad, InstanceRecord, LeaseOwner } from '../cluster/coordinator.js';
import { CloseCode } from '../errors.js';
import { placeWorld } from '../cluster/placement.js';
import { WorldLoadMeter } from './world-load.js';
import type { Logger } from '../log.js';
import type { Fence } from '../store/types.js';
import type { SimWorld } from '../world/sim-world.js';
import type { Service } from './service.js';

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
   * steps with it; a refusal (a newer owner wrote) keeps the world stopped.
   */
  readonly store?: { fence(f: Fence): Promise<number> };
  /** Wall clock, epoch ms (step ranges). Default Date.now. */
  readonly epochNow?: () => number;
  /**
   * Take a world over from the store (src/server/cluster-migration.ts): called, with stepping held,
   * after this instance was granted a world another instance held (failover, a standby copy) or
   * one it does not host (an orphan, a handover), and after the store accepted the new token.
   * Resolves true when the world is in the runner, restored from its last checkpoint.
   */
  readonly adopt?: (worldId: string, token: number, why: 'failover' | 'migration') => Promise<boolean>;
  /** A world's new fencing token was accepted by the store (the runtime fences the world's ledger with it). */
  readonly onToken?: (worldId: string, token: number) => void;
  /** Ids of the worlds the durable store knows (failover of worlds nobody hosts: orphans). */
  readonly storedWorlds?: () => Promise<string[]>;
}

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
  /** Worlds taken over after another instance had held them (a higher token than we ever saw). */
  failovers: number;
  /** Worlds handed to another instance by migration (this instance was the source). */
  migrations: number;
  redirects: number;
  forwardedAdmin: number;
  heartbeatFailures: number;
  reRegistrations: number;
  fenceRefusals: number;
}

const RANGES_PER_WORLD = 64;
const WATCHDOG_MS = 50;

/** The cluster service. A class: it owns timers and a coordinator handle. */
export class ClusterService implements Service {
  readonly name = 'cluster';
  readonly counters: ClusterCounters = {
    leaseRenewals: 0,
    leaseFailures: 0,
    leaseAcquired: 0,
    leasesLost: 0,
    failovers: 0,
    migrations: 0,
    redirects: 0,
    forwardedAdmin: 0,
    heartbeatFailures: 0,
    reRegistrations: 0,
    fenceRefusals: 0,
  };
  readonly #o: ClusterServiceOptions;
  readonly #guard: number;
  readonly #epochNow: () => number;
  readonly #serving = new Set<string>();
  /** Token announced to the store per world (only with `store`). */
  readonly #announced = new Map<string, number>();
  readonly #ranges = new Map<string, StepRange[]>();
  readonly #open = new Map<string, StepRange>();
  /** Highest token seen per world as another instance's (failover detection). */
  readonly #seenTokens = new Map<string, number>();
  #instances: InstanceRecord[] = [];
  #leases = new Map<string, LeaseOwner>();
  #control: NodeJS.Timeout | null = null;
  #watchdog: NodeJS.Timeout | null = null;
  #ticking: Promise<void> | null = null;
  #stopped = false;
  #reachable = true;
  /** Worlds whose stepping is held (migrating out, being adopted): not stepped, sessions kept. */
  readonly #held = new Set<string>();
  /** Per-world step cost, sampled by the control tick (balancing). */
  readonly #meter = new WorldLoadMeter();
  /** Takeovers in progress (restores from the store), by world. */
  readonly #adopting = new Map<string, Promise<boolean>>();
  /** Orphan worlds seen by the previous control tick. */
  #orphansSeen = new Set<string>();

  constructor(opts: ClusterServiceOptions) {
    this.#o = opts;
    this.#guard = opts.stepGuardMs ?? Math.min(250, opts.leaseTtlMs / 10);
    this.#epochNow = opts.epochNow ?? Date.now;
  }

  get instanceId(): string {
    return this.#o.instanceId;
  }

  get enforce(): boolean {
    return this.#o.enforce;
  }

  get coordinator(): Coordinator {
    return this.#o.coordinator;
  }

  /** Whether the last control tick reached the coordinator. */
  get reachable(): boolean {
    return this.#reachable;
  }

  async start(): Promise<void> {
    await this.#tick(); // first grants before the game server accepts anyone
    this.#control = setInterval(() => void this.kick(), Math.max(10, Math.floor(this.#o.leaseTtlMs / 3)));
    this.#control.unref();
    this.#watchdog = setInterval(() => this.#watch(), WATCHDOG_MS);
    this.#watchdog.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#control) clearInterval(this.#control);
    if (this.#watchdog) clearInterval(this.#watchdog);
    await this.#ticking;
    const c = this.#o.coordinator;
    const id = this.#o.instanceId;
    // A clean exit frees the worlds at once instead of after a TTL.
    await Promise.allSettled(
      this.#o
        .worlds()
        .filter((w) => c.heldLease(w.id))
        .map((w) => c.release(w.id, id)),
    );
    await c.deregister(id).catch(() => undefined);
    await c.close();
  }

  /** Run a control tick now (a world was created), unless one is running. */
  kick(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return this.#ticking ?? this.#tick();
  }

  /** The loop runner's gate: this instance can prove it owns the world for one more step. */
  canStep(world: SimWorld): boolean {
    if (this.#held.has(world.id)) return false;
    if (!this.#o.enforce) return true;
    const c = this.#o.coordinator;
    const v = c.leaseValidUntil(world.id);
    if (v === null || c.now() + this.#guard >= v) return false;
    if (this.#o.store) {
      const held = c.heldLease(world.id);
      if (!held || this.#announced.get(world.id) !== held.fencingToken) return false;
    }
    return true;
  }

  /**
   * The fence durable writes for `worldId` must carry ({ worldId, token }), or null when this
   * instance cannot prove ownership right now (then it must not write).
   */
  fence(worldId: string): Fence | null {
    const held = this.#o.coordinator.heldLease(worldId);
    if (!held) return null;
    if (this.#o.enforce && this.#o.coordinator.now() + this.#guard >= held.validUntil) return null;
    return { worldId, token: held.fencingToken };
  }

  /** Owner of a world as of the last control tick (this instance's own leases are exact). */
  ownerOf(worldId: string): { instanceId: string; fencingToken: number; gameUrl: string | null; adminUrl: string | null } | null {
    const held = this.#o.coordinator.heldLease(worldId);
    if (held)
      return { instanceId: this.#o.instanceId, fencingToken: held.fencingToken, gameUrl: this.#o.gameUrl(), adminUrl: this.#o.adminUrl() };
    const l = this.#leases.get(worldId);
    if (!l) return null;
    const inst = this.#instances.find((i) => i.id === l.instanceId);
    return { instanceId: l.instanceId, fencingToken: l.fencingToken, gameUrl: inst?.gameUrl ?? null, adminUrl: inst?.adminUrl ?? null };
  }

  /** Live instances and leases as of the last control tick. */
  view(): { instances: readonly InstanceRecord[]; leases: readonly LeaseOwner[] } {
    return { instances: this.#instances, leases: [...this.#leases.values()] };
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
    const out: StepRange[] = [];
    for (const list of this.#ranges.values()) out.push(...list);
    return out;
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
    const end = this.#epochNow();
    const start = end - world.stats.totalMs;
    const step = world.clock.step;
    const open = this.#open.get(world.id);
    const gapMs = Math.max(250, 3 * world.config.simulation.tickIntervalSeconds * 1000);
    if (open && open.fencingToken === token && open.toStep === step - 1 && start - open.endMs < gapMs) {
      open.toStep = step;
      open.endMs = end;
      return;
    }
    const r: StepRange = {
      worldId: world.id,
      instanceId: this.#o.instanceId,
      fencingToken: token,
      fromStep: step,
      toStep: step,
      startMs: start,
      endMs: end,
    };
    let list = this.#ranges.get(world.id);
    if (!list) this.#ranges.set(world.id, (list = []));
    list.push(r);
    if (list.length > RANGES_PER_WORLD) list.shift();
    this.#open.set(world.id, r);
  }

  /** A world was deleted here: give its lease back. */
  forget(worldId: string): void {
    this.#serving.delete(worldId);
    this.#announced.delete(worldId);
    this.#ranges.delete(worldId);
    this.#open.delete(worldId);
    this.#seenTokens.delete(worldId);
    void this.#o.coordinator.release(worldId, this.#o.instanceId).catch(() => undefined);
  }

  /** Stop stepping `worldId` (its sessions stay open) until {@link unhold}: a migration's pause. */
  hold(worldId: string): void {
    this.#held.add(worldId);
  }

  /** Let a held world step again. */
  unhold(worldId: string): void {
    this.#held.delete(worldId);
  }

  /** Whether stepping of `worldId` is held. */
  isHeld(worldId: string): boolean {
    return this.#held.has(worldId);
  }

  /** Live instances as of the last control tick (placement, balancing, migration targets). */
  instances(): readonly InstanceRecord[] {
    return this.#instances;
  }

  /**
   * Migration, source side: hand the lease of `worldId` (held and provable here) to instance `to`
   * (a new fencing token). The world must already be held and checkpointed. The calling handle
   * forgets the lease; `to` starts its validity with {@link takeHandover}.
   */
  async handOver(worldId: string, to: string): Promise<LeaseOwner> {
    const c = this.#o.coordinator;
    const r = await c.handover(worldId, this.#o.instanceId, to, this.#o.leaseTtlMs);
    if (!r.ok) throw new Error(`handover of ${worldId} to ${to} refused (owner ${r.owner?.instanceId ?? 'none'})`);
    this.#serving.delete(worldId);
    this.#open.delete(worldId);
    this.#meter.forget(worldId); // measured afresh if it comes back
    this.#seenTokens.set(worldId, r.fencingToken);
    this.#leases.set(worldId, { worldId, instanceId: to, fencingToken: r.fencingToken, ttlRemainingMs: r.ttlMs });
    this.counters.migrations++;
    return { worldId, instanceId: to, fencingToken: r.fencingToken, ttlRemainingMs: r.ttlMs };
  }

  /**
   * Migration, target side: the lease of `worldId` was handed to this instance. Renew it (starts
   * this handle's validity), announce the token to the store, adopt the world from its checkpoint,
   * then let it step. Resolves the token; throws when any part fails (the lease then lapses and the
   * world fails over to whichever instance placement picks).
   */
  async takeHandover(worldId: string): Promise<number> {
    const c = this.#o.coordinator;
    const inFlight = this.#adopting.get(worldId);
    if (inFlight) {
      // The control tick was granted it first and is restoring it: one restore, not two.
      if (!(await inFlight)) throw new Error(`world ${worldId} could not be restored`);
      const h = c.heldLease(worldId);
      if (!h) throw new Error(`lease of ${worldId} is not ours`);
      return h.fencingToken;
    }
    this.#held.add(worldId);
    try {
      const r = await c.renew(worldId, this.#o.instanceId, this.#o.leaseTtlMs);
      if (!r.ok) throw new Error(`lease of ${worldId} is not ours (owner ${r.owner?.instanceId ?? 'none'})`);
      if (!(await this.#announce(worldId, r.fencingToken))) throw new Error(`the store refused token ${r.fencingToken} of ${worldId}`);
      if (!this.#o.adopt || !(await this.#o.adopt(worldId, r.fencingToken, 'migration')))
        throw new Error(`world ${worldId} could not be restored`);
      this.#leases.set(worldId, { worldId, instanceId: this.#o.instanceId, fencingToken: r.fencingToken, ttlRemainingMs: r.ttlMs });
      return r.fencingToken;
    } finally {
      this.#held.delete(worldId);
      this.#watch();
    }
  }

  #watch(): void {
    if (!this.#o.enforce) return;
    for (const w of this.#o.worlds()) {
      if (this.#held.has(w.id)) continue;
      const ok = this.canStep(w);
      if (ok && !this.#serving.has(w.id)) {
        this.#serving.add(w.id);
        this.#o.logger.info(
          { world: w.id, instance: this.#o.instanceId, fencingToken: this.#o.coordinator.heldLease(w.id)?.fencingToken },
          'cluster: world lease held, stepping',
        );
      } else if (!ok && this.#serving.has(w.id)) {
        this.#serving.delete(w.id);
        this.#open.delete(w.id);
        this.counters.leasesLost++;
        const closed = this.#o.closeSessions(w.id, CloseCode.LEASE_LOST, 'lease lost');
        this.#o.logger.warn(
          { world: w.id, instance: this.#o.instanceId, closedSessions: closed },
          'cluster: cannot prove ownership of the world, stopped stepping',
        );
      }
    }
  }

  #tick(): Promise<void> {
    const run = this.#runTick().finally(() => {
      this.#ticking = null;
    });
    this.#ticking = run;
    return run;
  }

  async #runTick(): Promise<void> {
    const c = this.#o.coordinator;
    const id = this.#o.instanceId;
    let failures = 0;
    const presence = async (): Promise<void> => {
      try {
        if (!(await c.heartbeat(id, this.#o.load()))) {
          this.counters.reRegistrations++;
          await c.register(this.#info(), this.#o.presenceTtlMs ?? this.#o.leaseTtlMs);
        }
      } catch {
        failures++;
        this.counters.heartbeatFailures++;
      }
    };
    const lease = async (w: SimWorld): Promise<void> => {
      const held = c.heldLease(w.id) !== null;
      // Being taken over right now (a handover in progress): `takeHandover` renews and adopts it.
      if (!held && this.#held.has(w.id)) return;
      try {
        let r = held ? await c.renew(w.id, id, this.#o.leaseTtlMs) : await c.acquire(w.id, id, this.#o.leaseTtlMs);
        // Our lease expired and nobody took it (a short partition): take it again now, with a new token.
        if (held && !r.ok && r.owner === null) {
          this.counters.leaseFailures++;
          r = await c.acquire(w.id, id, this.#o.leaseTtlMs);
          if (r.ok) {
            this.counters.leaseAcquired++;
            this.#o.logger.info(
              { world: w.id, instance: id, fencingToken: r.fencingToken },
              'cluster: world lease re-acquired after it lapsed',
            );
            await this.#announce(w.id, r.fencingToken);
          }
          return;
        }
        if (r.ok) {
          if (held) this.counters.leaseRenewals++;
          else {
            this.counters.leaseAcquired++;
            const takeover = (this.#seenTokens.get(w.id) ?? 0) > 0;
            this.#o.logger.info({ world: w.id, instance: id, fencingToken: r.fencingToken, takeover }, 'cluster: world lease acquired');
            if (takeover && this.#held.has(w.id)) return; // a handover to us landed meanwhile: takeHandover adopts it
            if (takeover) this.counters.failovers++;
            if (takeover && this.#o.adopt) {
              // Another instance held it: our copy is stale. Fence the store, then restore its last checkpoint.
              await this.#adopt(w.id, r.fencingToken, 'failover');
              return;
            }
          }
          await this.#announce(w.id, r.fencingToken);
        } else {
          if (held) {
            this.counters.leaseFailures++;
            this.#o.logger.warn({ world: w.id, instance: id, owner: r.owner?.instanceId ?? null }, 'cluster: lease renewal refused');
          }
          if (r.owner) this.#seenTokens.set(w.id, Math.max(this.#seenTokens.get(w.id) ?? 0, r.owner.fencingToken));
        }
      } catch {
        failures++;
        if (held) this.counters.leaseFailures++;
      }
    };
    const refresh = async (): Promise<void> => {
      try {
        const [instances, leases] = await Promise.all([c.listInstances(), c.listLeases()]);
        this.#instances = instances;
        this.#leases = new Map(leases.map((l) => [l.worldId, l]));
        for (const l of leases)
          if (l.instanceId !== id) this.#seenTokens.set(l.worldId, Math.max(this.#seenTokens.get(l.worldId) ?? 0, l.fencingToken));
      } catch {
        failures++;
      }
    };
    this.#meter.sample(performance.now());
    await Promise.all([presence(), refresh(), ...this.#o.worlds().map(lease)]);
    if (this.#o.enforce && this.#o.adopt && this.#o.storedWorlds && !this.#stopped) failures += await this.#takeOrphans();
    const reachable = failures === 0;
    if (reachable !== this.#reachable) {
      this.#reachable = reachable;
      if (reachable) this.#o.logger.info({ instance: id }, 'cluster: coordinator reachable again');
      else this.#o.logger.warn({ instance: id }, 'cluster: coordinator unreachable');
    }
    this.#watch();
  }

  /** Announce a token to the store once (new owners only); a refusal keeps the world stopped. */
  async #announce(worldId: string, token: number): Promise<boolean> {
    const store = this.#o.store;
    if (!store || this.#announced.get(worldId) === token) return true;
    try {
      await store.fence({ worldId, token });
      this.#announced.set(worldId, token);
      this.#o.onToken?.(worldId, token);
      return true;
    } catch (err) {
      this.counters.fenceRefusals++;
      this.#o.logger.warn({ world: worldId, fencingToken: token, err }, 'cluster: the store refused the fencing token; not stepping');
      return false;
    }
  }

  /** Held: fence the store with the new token, restore the world, then let it step. Failure releases the lease. */
  #adopt(worldId: string, token: number, why: 'failover' | 'migration'): Promise<boolean> {
    const run = this.#adoptNow(worldId, token, why).finally(() => this.#adopting.delete(worldId));
    this.#adopting.set(worldId, run);
    return run;
  }

  async #adoptNow(worldId: string, token: number, why: 'failover' | 'migration'): Promise<boolean> {
    this.#held.add(worldId);
    try {
      const ok = (await this.#announce(worldId, token)) && this.#o.adopt !== undefined && (await this.#o.adopt(worldId, token, why));
      if (!ok) {
        this.#o.logger.error({ world: worldId, fencingToken: token }, 'cluster: world could not be taken over; lease released');
        await this.#o.coordinator.release(worldId, this.#o.instanceId).catch(() => undefined);
      }
      return ok;
    } finally {
      this.#held.delete(worldId);
    }
  }

  /**
   * Failover of worlds nobody hosts: a stored world without a live lease (its owner died) is
   * acquired by the instance placement picks (every instance computes the same pick from the same
   * view; a racing acquire has exactly one winner) and restored from its last checkpoint.
   */
  async #takeOrphans(): Promise<number> {
    const c = this.#o.coordinator;
    const id = this.#o.instanceId;
    let stored: string[];
    try {
      stored = await this.#o.storedWorlds!();
    } catch {
      return 1;
    }
    const hosted = new Set(this.#o.worlds().map((w) => w.id));
    const orphans = stored.filter((w) => !hosted.has(w) && !this.#leases.has(w) && !this.#held.has(w));
    const seenBefore = this.#orphansSeen;
    this.#orphansSeen = new Set(orphans);
    if (!orphans.length) return 0;
    let failures = 0;
    for (const worldId of orphans) {
      // Placement's pick takes it at once; anyone else after two ticks (views can disagree for a tick).
      const pick = placeWorld(this.#instances);
      if (pick?.id !== id && !seenBefore.has(worldId)) continue;
      try {
        const r = await c.acquire(worldId, id, this.#o.leaseTtlMs);
        if (!r.ok) continue;
        this.counters.leaseAcquired++;
        this.counters.failovers++;
        this.#o.logger.info(
          { world: worldId, instance: id, fencingToken: r.fencingToken },
          'cluster: orphan world acquired; restoring it from the store',
        );
        if (await this.#adopt(worldId, r.fencingToken, 'failover'))
          this.#leases.set(worldId, { worldId, instanceId: id, fencingToken: r.fencingToken, ttlRemainingMs: r.ttlMs });
      } catch {
        failures++;
      }
    }
    return failures;
  }

  #info() {
    return {
      id: this.#o.instanceId,
      gameUrl: this.#o.gameUrl(),
      adminUrl: this.#o.adminUrl(),
      capacity: this.#o.capacity(),
      load: this.#o.load(),
    };
  }
}
