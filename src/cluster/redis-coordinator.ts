/**
 * {@link Coordinator} over one Redis server (ioredis), for many worldtick instances.
 *
 * Every lease operation is one Lua script (redis-scripts.ts), so check-and-set is atomic.
 * The fencing token of a world is `INCR p fence:<world>`, a counter that never expires, so
 * it grows across owners and across lease expiries.
 *
 * Connection policy (why): every command has a timeout (`commandTimeout`), so a partition
 * makes `renew` fail instead of hanging; commands in flight when the connection drops are
 * never re-sent after reconnecting (`autoResendUnfulfilledCommands: false`) — a stale renew
 * must not land later — and the lease book measures validity from the send time anyway.
 * A connection that answers nothing for two command timeouts in a row is given up and a new one
 * opened (connect timeout: two command timeouts, at least 1 s): a silent network cut (no FIN, RST or
 * ICMP) closes nothing, and the old connection would otherwise come back only with TCP's next
 * retransmission after the heal, whose interval doubles up to 2 minutes while the cut lasts
 * (test/integration/cluster/cut-owner.test.ts).
 * Pub/sub uses a second connection (a subscribed Redis connection can do nothing else), PINGed to
 * give it up the same way: redis-subscriptions.ts.
 *
 * ioredis (~60 CommonJS files, ~0.15 s of CPU to load) is required when the first coordinator is
 * built, not when this module is imported: a server without `--redis` never loads it.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import type { Redis, RedisOptions } from 'ioredis';
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
import { checkChannel, checkInstance, checkLoad, encodeMessage } from './messages.js';
import * as S from './redis-scripts.js';
import { RedisSubscriptions } from './redis-subscriptions.js';
import { watchSilence, type SilenceWatch } from './redis-silence.js';
import { clusterUnavailable, ErrorCode, optionInvalid, WorldtickError } from '../errors.js';

/** `host:port/db` of a connection (never its user or password), for logs. */
const redisTarget = (c: string | RedisOptions): string => {
  if (typeof c !== 'string') return `${c.host ?? '127.0.0.1'}:${c.port ?? 6379}/${c.db ?? 0}`;
  try {
    const u = new URL(c);
    return `${u.hostname}:${u.port || '6379'}/${u.pathname.replace(/^\//, '') || '0'}`;
  } catch {
    return 'an unparsable Redis URL';
  }
};

/** Options of {@link RedisCoordinator}. */
export interface RedisCoordinatorOptions {
  /** `redis://host:port/db` or ioredis options (host, port, password, db, retryStrategy...). */
  readonly connection: string | RedisOptions;
  /** Namespace of every key and channel. Default `wt:`. */
  readonly keyPrefix?: string;
  /** Per-command timeout, ms. Default 1000. Keep it well under the lease TTL. */
  readonly commandTimeoutMs?: number;
  /** Lease validity margin; {@link DEFAULT_SAFETY_MARGIN} by default. */
  readonly safetyMargin?: SafetyMargin;
  /** Monotonic clock (ms) for lease validity. Default `performance.now`. */
  readonly clock?: () => number;
}

/** Option defaults. */
export const REDIS_COORDINATOR_DEFAULTS = { keyPrefix: 'wt:', commandTimeoutMs: 1000 } as const;

const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex');
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const str = (v: unknown): string => (typeof v === 'string' ? v : v instanceof Buffer ? v.toString() : String(v));

/** ioredis, loaded on first use (CommonJS, so synchronously: the constructor stays synchronous). */
const loadIoredis = (): typeof import('ioredis') => createRequire(import.meta.url)('ioredis') as typeof import('ioredis');

/** Redis-backed {@link Coordinator}. */
export class RedisCoordinator implements Coordinator {
  readonly kind = 'redis';
  readonly target: string;
  readonly counters: CoordinatorCounters = { badMessages: 0, handlerErrors: 0, backendErrors: 0, damagedRecords: 0 };
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly clock: () => number;
  private readonly book: LeaseBook;
  private readonly subs: RedisSubscriptions;
  private readonly shas = new Map<string, string>();
  private closed = false;
  /** A timed-out command gives the connection up after two command timeouts of silence (src/cluster/redis-silence.ts). */
  private readonly silence: SilenceWatch;

  constructor(options: RedisCoordinatorOptions) {
    const prefix = options.keyPrefix ?? REDIS_COORDINATOR_DEFAULTS.keyPrefix;
    const timeout = options.commandTimeoutMs ?? REDIS_COORDINATOR_DEFAULTS.commandTimeoutMs;
    const problems: string[] = [];
    if (typeof prefix !== 'string' || prefix.length > 100) problems.push('keyPrefix must be a string of at most 100 characters');
    if (!Number.isInteger(timeout) || timeout < 1) problems.push('commandTimeoutMs must be an integer >= 1');
    if (problems.length > 0) throw optionInvalid(problems);
    const margin = options.safetyMargin ?? DEFAULT_SAFETY_MARGIN;
    checkSafetyMargin(margin);
    this.prefix = prefix;
    this.target = redisTarget(options.connection);
    this.clock = options.clock ?? (() => performance.now());
    this.book = createLeaseBook(margin);
    const policy: RedisOptions = {
      commandTimeout: timeout,
      connectTimeout: Math.max(1000, 2 * timeout),
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 1,
    };
    const { Redis: RedisClient } = loadIoredis();
    this.redis =
      typeof options.connection === 'string'
        ? new RedisClient(options.connection, policy)
        : new RedisClient({ ...options.connection, ...policy });
    this.redis.on('error', () => {
      this.counters.backendErrors++;
    });
    this.silence = watchSilence(this.redis, 2 * timeout, () => this.closed);
    this.subs = new RedisSubscriptions({
      duplicate: () => this.redis.duplicate(),
      key: (channel) => this.k('msg', channel),
      prefixLength: prefix.length + 4,
      counters: this.counters,
      closed: () => this.closed,
      commandTimeoutMs: timeout,
    });
  }

  now(): number {
    return this.clock();
  }

  /** Runs a script by SHA, loading it on NOSCRIPT (after a Redis restart or on first use). */
  private async run(op: string, script: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    if (this.closed) throw new WorldtickError(ErrorCode.COORDINATOR_CLOSED, 'coordinator is closed');
    let sha = this.shas.get(script);
    if (!sha) {
      sha = sha1(script);
      this.shas.set(script, sha);
    }
    try {
      const r = await this.evalScript(sha, script, keys, args);
      this.silence.answered();
      return r;
    } catch (err) {
      this.silence.failed(err);
      throw clusterUnavailable(op, err);
    }
  }

  private async evalScript(sha: string, script: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await this.redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      const r = await this.redis.eval(script, keys.length, ...keys, ...args);
      this.silence.answered(); // NOSCRIPT was an answer too
      return r;
    }
  }

  private k(kind: string, id?: string): string {
    return id === undefined ? `${this.prefix}${kind}` : `${this.prefix}${kind}:${id}`;
  }

  async register(instance: InstanceInfo, ttlMs: number): Promise<void> {
    checkInstance(instance);
    checkTtl('ttlMs', ttlMs);
    const l = instance.load;
    const fields = [
      'id',
      instance.id,
      'gameUrl',
      instance.gameUrl,
      'adminUrl',
      instance.adminUrl,
      'capacity',
      instance.capacity,
      'sessions',
      l.sessions,
      'stepCostMs',
      l.stepCostMs,
      'cpu',
      l.cpu,
      'draining',
      instance.draining === true ? 1 : 0,
      'ttlMs',
      ttlMs,
      'heartbeatAt',
      Date.now(),
    ];
    await this.run('register', S.REGISTER, [this.k('inst', instance.id), this.k('insts')], [instance.id, ttlMs, ...fields]);
  }

  async heartbeat(instanceId: string, load: InstanceLoad, draining?: boolean): Promise<boolean> {
    checkId('instanceId', instanceId);
    checkLoad(load);
    const flag = draining === undefined ? [] : [draining ? 1 : 0];
    const r = await this.run(
      'heartbeat',
      S.HEARTBEAT,
      [this.k('inst', instanceId)],
      [load.sessions, load.stepCostMs, load.cpu, Date.now(), ...flag],
    );
    return num(r) === 1;
  }

  async deregister(instanceId: string): Promise<void> {
    checkId('instanceId', instanceId);
    if (this.closed) throw new WorldtickError(ErrorCode.COORDINATOR_CLOSED, 'coordinator is closed');
    try {
      await this.redis.multi().del(this.k('inst', instanceId)).srem(this.k('insts'), instanceId).exec();
    } catch (err) {
      throw clusterUnavailable('deregister', err);
    }
  }

  async listInstances(): Promise<InstanceRecord[]> {
    const r = await this.run('listInstances', S.LIST_INSTANCES, [this.k('insts')], [this.prefix]);
    const flat = Array.isArray(r) ? r : [];
    this.counters.damagedRecords += Math.max(0, num(flat[0]) || 0); // skipped by the script (redis-scripts.ts)
    const out: InstanceRecord[] = [];
    for (let i = 1; i + 2 < flat.length; i += 3) {
      const h = new Map<string, string>();
      const pairs: unknown = flat[i + 2];
      if (Array.isArray(pairs)) for (let j = 0; j + 1 < pairs.length; j += 2) h.set(str(pairs[j]), str(pairs[j + 1]));
      out.push({
        id: str(flat[i]),
        gameUrl: h.get('gameUrl') ?? '',
        adminUrl: h.get('adminUrl') ?? '',
        capacity: Number(h.get('capacity') ?? 0),
        load: { sessions: Number(h.get('sessions') ?? 0), stepCostMs: Number(h.get('stepCostMs') ?? 0), cpu: Number(h.get('cpu') ?? 0) },
        draining: h.get('draining') === '1', // absent in an older build's record: not draining
        heartbeatAt: Number(h.get('heartbeatAt') ?? 0),
        ttlMs: Number(h.get('ttlMs') ?? 0),
        ttlRemainingMs: Math.max(0, num(flat[i + 1])),
      });
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Turns a lease script reply into a result; records grants and losses in the lease book when sent in `epoch` (null: do not record). */
  private leaseReply(worldId: string, instanceId: string, r: unknown, sentAt: number, ttlMs: number, epoch: number | null): LeaseResult {
    const a = Array.isArray(r) ? r : [];
    if (num(a[5]) === 1) this.counters.damagedRecords++;
    const token = a[1] === null || a[1] === undefined ? null : num(str(a[1]));
    const owner = a[2] === null || a[2] === undefined ? null : str(a[2]);
    if (num(a[0]) === 1 && token !== null && owner !== null) {
      const validUntil =
        epoch !== null ? this.book.granted(worldId, owner, token, sentAt, ttlMs, epoch) : this.book.validityFor(sentAt, ttlMs);
      return { ok: true, worldId, instanceId: owner, fencingToken: token, ttlMs, minted: num(a[4]) === 1, validUntil };
    }
    if (epoch !== null) this.book.lost(worldId, instanceId);
    return {
      ok: false,
      worldId,
      owner:
        token === null || owner === null
          ? null
          : { worldId, instanceId: owner, fencingToken: token, ttlRemainingMs: Math.max(0, num(a[3])) },
    };
  }

  async acquire(worldId: string, instanceId: string, ttlMs: number, minToken = 0): Promise<LeaseResult> {
    checkLeaseArgs(worldId, instanceId, ttlMs);
    checkMinToken(minToken);
    const sentAt = this.clock();
    const epoch = this.book.begin(worldId);
    try {
      const r = await this.run(
        'acquire',
        S.ACQUIRE,
        [this.k('lease', worldId), this.k('fence', worldId), this.k('leases')],
        [instanceId, ttlMs, worldId, minToken],
      );
      return this.leaseReply(worldId, instanceId, r, sentAt, ttlMs, epoch);
    } finally {
      this.book.end(worldId);
    }
  }

  async renew(worldId: string, instanceId: string, ttlMs: number): Promise<LeaseResult> {
    checkLeaseArgs(worldId, instanceId, ttlMs);
    const sentAt = this.clock();
    const epoch = this.book.begin(worldId);
    try {
      const r = await this.run('renew', S.RENEW, [this.k('lease', worldId)], [instanceId, ttlMs]);
      return this.leaseReply(worldId, instanceId, r, sentAt, ttlMs, epoch);
    } finally {
      this.book.end(worldId);
    }
  }

  async release(worldId: string, instanceId: string): Promise<boolean> {
    checkId('worldId', worldId);
    checkId('instanceId', instanceId);
    this.book.lost(worldId, instanceId);
    const r = await this.run('release', S.RELEASE, [this.k('lease', worldId), this.k('leases')], [instanceId, worldId]);
    return num(r) === 1;
  }

  async handover(worldId: string, fromInstanceId: string, toInstanceId: string, ttlMs: number, minToken = 0): Promise<LeaseResult> {
    checkId('worldId', worldId);
    checkId('fromInstanceId', fromInstanceId);
    checkId('toInstanceId', toInstanceId);
    checkTtl('ttlMs', ttlMs);
    checkMinToken(minToken);
    // Stop trusting the lease before the request leaves: from here on it may belong to `to`.
    this.book.lost(worldId, fromInstanceId);
    const sentAt = this.clock();
    const r = await this.run(
      'handover',
      S.HANDOVER,
      [this.k('lease', worldId), this.k('fence', worldId)],
      [fromInstanceId, toInstanceId, ttlMs, minToken],
    );
    return this.leaseReply(worldId, fromInstanceId, r, sentAt, ttlMs, null);
  }

  async getOwner(worldId: string): Promise<LeaseOwner | null> {
    checkId('worldId', worldId);
    const r = await this.run('getOwner', S.OWNER, [this.k('lease', worldId)], []);
    if (!Array.isArray(r) || r.length < 3) return null;
    return { worldId, instanceId: str(r[1]), fencingToken: num(str(r[0])), ttlRemainingMs: Math.max(0, num(r[2])) };
  }

  async listLeases(): Promise<LeaseOwner[]> {
    const r = await this.run('listLeases', S.LIST_LEASES, [this.k('leases')], [this.prefix]);
    const flat = Array.isArray(r) ? r : [];
    this.counters.damagedRecords += Math.max(0, num(flat[0]) || 0); // skipped by the script (redis-scripts.ts)
    const out: LeaseOwner[] = [];
    for (let i = 1; i + 3 < flat.length; i += 4) {
      out.push({
        worldId: str(flat[i]),
        fencingToken: num(str(flat[i + 1])),
        instanceId: str(flat[i + 2]),
        ttlRemainingMs: Math.max(0, num(flat[i + 3])),
      });
    }
    return out.sort((a, b) => (a.worldId < b.worldId ? -1 : a.worldId > b.worldId ? 1 : 0));
  }

  leaseValidUntil(worldId: string): number | null {
    return this.book.validUntil(worldId);
  }

  heldLease(worldId: string): HeldLease | null {
    return this.book.held(worldId);
  }

  async publish(channel: string, message: ClusterMessage): Promise<void> {
    checkChannel(channel);
    const text = encodeMessage(message);
    if (this.closed) throw new WorldtickError(ErrorCode.COORDINATOR_CLOSED, 'coordinator is closed');
    try {
      await this.redis.publish(this.k('msg', channel), text);
    } catch (err) {
      throw clusterUnavailable('publish', err);
    }
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe> {
    return this.subs.subscribe(channel, handler);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // disconnect(), not quit(): quit waits for a reply that never comes during a partition.
    this.redis.disconnect();
    this.subs.close();
  }
}
