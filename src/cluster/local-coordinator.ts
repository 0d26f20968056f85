/**
 * The embedded default coordinator: everything in this process's memory.
 *
 * One process needs no coordination, but the runtime is written against {@link Coordinator}
 * either way. A {@link LocalHub} is the shared "backend"; by default each LocalCoordinator
 * makes its own, and tests (or a process simulating many instances) pass one hub to several
 * coordinators. Expiry is lazy: records past their deadline are dropped when next looked at.
 * Messages are delivered asynchronously (microtask), in publish order, like Redis pub/sub.
 */
import { performance } from 'node:perf_hooks';
import type {
  ClusterMessage,
  Coordinator,
  CoordinatorCounters,
  HeldLease,
  InstanceInfo,
  InstanceLoad,
  InstanceRecord,
  LeaseOwner,
  LeaseResult,
  MessageHandler,
  Unsubscribe,
} from './coordinator.js';
import {
  checkId,
  checkLeaseArgs,
  checkMinToken,
  checkSafetyMargin,
  checkTtl,
  createLeaseBook,
  DEFAULT_SAFETY_MARGIN,
  type LeaseBook,
  type SafetyMargin,
} from './lease-book.js';
import { checkChannel, checkInstance, checkLoad, decodeMessage, encodeMessage } from './messages.js';
import { ErrorCode, WorldtickError } from '../errors.js';

interface LeaseEntry {
  instanceId: string;
  fencingToken: number;
  expiresAt: number;
}

interface InstanceEntry {
  info: InstanceInfo;
  ttlMs: number;
  heartbeatAt: number;
  expiresAt: number;
}

/** The in-process state several LocalCoordinators can share. Owns no resources. */
export class LocalHub {
  /** Monotonic clock (ms) deadlines are measured on. */
  readonly clock: () => number;
  /** @internal */ readonly leases = new Map<string, LeaseEntry>();
  /** @internal */ readonly fences = new Map<string, number>();
  /** @internal */ readonly instances = new Map<string, InstanceEntry>();
  /** @internal */ readonly channels = new Map<string, Set<(text: string) => void>>();

  constructor(clock: () => number = () => performance.now()) {
    this.clock = clock;
  }

  /** @internal The live lease of a world, dropping an expired one. */
  lease(worldId: string): LeaseEntry | undefined {
    const e = this.leases.get(worldId);
    if (e && e.expiresAt <= this.clock()) {
      this.leases.delete(worldId);
      return undefined;
    }
    return e;
  }

  /** @internal */
  owner(worldId: string, e: LeaseEntry): LeaseOwner {
    return {
      worldId,
      instanceId: e.instanceId,
      fencingToken: e.fencingToken,
      ttlRemainingMs: Math.max(0, Math.ceil(e.expiresAt - this.clock())),
    };
  }

  /** @internal Drop the fence counter of a deleted world, unless a lease of it is live ({@link LocalCoordinator.forgetWorld}). */
  forgetFence(worldId: string): void {
    if (!this.lease(worldId)) this.fences.delete(worldId);
  }

  /** @internal Next fencing token of a world (never reused while the hub keeps its counter: until {@link forgetFence}). */
  nextToken(worldId: string, minToken = 0): number {
    const t = Math.max(this.fences.get(worldId) ?? 0, minToken) + 1;
    this.fences.set(worldId, t);
    return t;
  }
}

/** Options of {@link LocalCoordinator}. */
export interface LocalCoordinatorOptions {
  /** Shared state; a fresh hub by default. */
  readonly hub?: LocalHub;
  /** Lease validity margin; {@link DEFAULT_SAFETY_MARGIN} by default. */
  readonly safetyMargin?: SafetyMargin;
}

/** In-process {@link Coordinator}. */
export class LocalCoordinator implements Coordinator {
  readonly kind = 'local';
  readonly counters: CoordinatorCounters = { badMessages: 0, handlerErrors: 0, backendErrors: 0, damagedRecords: 0 };
  readonly hub: LocalHub;
  private readonly book: LeaseBook;
  private readonly subs = new Set<{ channel: string; fn: (text: string) => void }>();
  private closed = false;

  constructor(options: LocalCoordinatorOptions = {}) {
    const margin = options.safetyMargin ?? DEFAULT_SAFETY_MARGIN;
    checkSafetyMargin(margin);
    this.hub = options.hub ?? new LocalHub();
    this.book = createLeaseBook(margin);
  }

  now(): number {
    return this.hub.clock();
  }

  private open(): void {
    if (this.closed) throw new WorldtickError(ErrorCode.COORDINATOR_CLOSED, 'coordinator is closed');
  }

  async register(instance: InstanceInfo, ttlMs: number): Promise<void> {
    this.open();
    checkInstance(instance);
    checkTtl('ttlMs', ttlMs);
    const info: InstanceInfo = { ...instance, load: { ...instance.load }, draining: instance.draining === true };
    this.hub.instances.set(info.id, { info, ttlMs, heartbeatAt: Date.now(), expiresAt: this.hub.clock() + ttlMs });
  }

  async heartbeat(instanceId: string, load: InstanceLoad, draining?: boolean): Promise<boolean> {
    this.open();
    checkId('instanceId', instanceId);
    checkLoad(load);
    const e = this.liveInstance(instanceId);
    if (!e) return false;
    e.info = {
      ...e.info,
      load: { sessions: load.sessions, stepCostMs: load.stepCostMs, cpu: load.cpu },
      ...(draining === undefined ? {} : { draining }),
    };
    e.heartbeatAt = Date.now();
    e.expiresAt = this.hub.clock() + e.ttlMs;
    return true;
  }

  async deregister(instanceId: string): Promise<void> {
    this.open();
    this.hub.instances.delete(instanceId);
  }

  async listInstances(): Promise<InstanceRecord[]> {
    this.open();
    const out: InstanceRecord[] = [];
    for (const id of [...this.hub.instances.keys()].sort()) {
      const e = this.liveInstance(id);
      if (!e) continue;
      out.push({
        ...e.info,
        draining: e.info.draining === true,
        heartbeatAt: e.heartbeatAt,
        ttlMs: e.ttlMs,
        ttlRemainingMs: Math.max(0, Math.ceil(e.expiresAt - this.hub.clock())),
      });
    }
    return out;
  }

  private liveInstance(id: string): InstanceEntry | undefined {
    const e = this.hub.instances.get(id);
    if (e && e.expiresAt <= this.hub.clock()) {
      this.hub.instances.delete(id);
      return undefined;
    }
    return e;
  }

  async acquire(worldId: string, instanceId: string, ttlMs: number, minToken = 0): Promise<LeaseResult> {
    this.open();
    checkLeaseArgs(worldId, instanceId, ttlMs);
    checkMinToken(minToken);
    const sentAt = this.hub.clock();
    const epoch = this.book.begin(worldId);
    try {
      return this.acquireIn(worldId, instanceId, ttlMs, minToken, sentAt, epoch);
    } finally {
      this.book.end(worldId);
    }
  }

  private acquireIn(worldId: string, instanceId: string, ttlMs: number, minToken: number, sentAt: number, epoch: number): LeaseResult {
    const cur = this.hub.lease(worldId);
    if (cur && cur.instanceId !== instanceId) {
      this.book.lost(worldId, instanceId);
      return { ok: false, worldId, owner: this.hub.owner(worldId, cur) };
    }
    const fencingToken = cur ? cur.fencingToken : this.hub.nextToken(worldId, minToken);
    this.hub.leases.set(worldId, { instanceId, fencingToken, expiresAt: sentAt + ttlMs });
    const validUntil = this.book.granted(worldId, instanceId, fencingToken, sentAt, ttlMs, epoch);
    return { ok: true, worldId, instanceId, fencingToken, ttlMs, minted: !cur, validUntil };
  }

  async renew(worldId: string, instanceId: string, ttlMs: number): Promise<LeaseResult> {
    this.open();
    checkLeaseArgs(worldId, instanceId, ttlMs);
    const sentAt = this.hub.clock();
    const epoch = this.book.begin(worldId);
    try {
      return this.renewIn(worldId, instanceId, ttlMs, sentAt, epoch);
    } finally {
      this.book.end(worldId);
    }
  }

  private renewIn(worldId: string, instanceId: string, ttlMs: number, sentAt: number, epoch: number): LeaseResult {
    const cur = this.hub.lease(worldId);
    if (!cur || cur.instanceId !== instanceId) {
      this.book.lost(worldId, instanceId);
      return { ok: false, worldId, owner: cur ? this.hub.owner(worldId, cur) : null };
    }
    cur.expiresAt = sentAt + ttlMs;
    const validUntil = this.book.granted(worldId, instanceId, cur.fencingToken, sentAt, ttlMs, epoch);
    return { ok: true, worldId, instanceId, fencingToken: cur.fencingToken, ttlMs, minted: false, validUntil };
  }

  async release(worldId: string, instanceId: string): Promise<boolean> {
    this.open();
    this.book.lost(worldId, instanceId);
    const cur = this.hub.lease(worldId);
    if (!cur || cur.instanceId !== instanceId) return false;
    this.hub.leases.delete(worldId);
    return true;
  }

  async handover(worldId: string, fromInstanceId: string, toInstanceId: string, ttlMs: number, minToken = 0): Promise<LeaseResult> {
    this.open();
    checkId('worldId', worldId);
    checkId('fromInstanceId', fromInstanceId);
    checkId('toInstanceId', toInstanceId);
    checkTtl('ttlMs', ttlMs);
    checkMinToken(minToken);
    this.book.lost(worldId, fromInstanceId);
    const sentAt = this.hub.clock();
    const cur = this.hub.lease(worldId);
    if (!cur || cur.instanceId !== fromInstanceId) {
      return { ok: false, worldId, owner: cur ? this.hub.owner(worldId, cur) : null };
    }
    const fencingToken = this.hub.nextToken(worldId, minToken);
    this.hub.leases.set(worldId, { instanceId: toInstanceId, fencingToken, expiresAt: sentAt + ttlMs });
    return {
      ok: true,
      worldId,
      instanceId: toInstanceId,
      fencingToken,
      ttlMs,
      minted: true,
      validUntil: this.book.validityFor(sentAt, ttlMs),
    };
  }

  async getOwner(worldId: string): Promise<LeaseOwner | null> {
    this.open();
    const cur = this.hub.lease(worldId);
    return cur ? this.hub.owner(worldId, cur) : null;
  }

  async listLeases(): Promise<LeaseOwner[]> {
    this.open();
    const out: LeaseOwner[] = [];
    for (const worldId of [...this.hub.leases.keys()].sort()) {
      const cur = this.hub.lease(worldId);
      if (cur) out.push(this.hub.owner(worldId, cur));
    }
    return out;
  }

  forgetWorld(worldId: string): void {
    this.hub.forgetFence(worldId);
  }

  leaseValidUntil(worldId: string): number | null {
    return this.book.validUntil(worldId);
  }

  heldLease(worldId: string): HeldLease | null {
    return this.book.held(worldId);
  }

  async publish(channel: string, message: ClusterMessage): Promise<void> {
    this.open();
    checkChannel(channel);
    // Encode even in-process, so a message behaves exactly as it would through Redis
    // (receivers get a copy; undefined fields vanish; oversized messages are refused).
    const text = encodeMessage(message);
    const targets = this.hub.channels.get(channel);
    if (!targets) return;
    for (const fn of [...targets]) queueMicrotask(() => fn(text));
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe> {
    this.open();
    checkChannel(channel);
    const fn = (text: string): void => {
      const msg = decodeMessage(text);
      if (!msg) {
        this.counters.badMessages++;
        return;
      }
      try {
        handler(msg, channel);
      } catch {
        this.counters.handlerErrors++;
      }
    };
    let set = this.hub.channels.get(channel);
    if (!set) {
      set = new Set();
      this.hub.channels.set(channel, set);
    }
    set.add(fn);
    const sub = { channel, fn };
    this.subs.add(sub);
    return async () => {
      this.removeSub(sub);
    };
  }

  private removeSub(sub: { channel: string; fn: (text: string) => void }): void {
    this.subs.delete(sub);
    const set = this.hub.channels.get(sub.channel);
    if (!set) return;
    set.delete(sub.fn);
    if (set.size === 0) this.hub.channels.delete(sub.channel);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const sub of [...this.subs]) this.removeSub(sub);
  }
}
