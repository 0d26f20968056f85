/**
 * The subscribing side of {@link RedisCoordinator} (src/cluster/redis-coordinator.ts): one second
 * Redis connection, opened at the first `subscribe` (a subscribed connection can do nothing else),
 * and the handlers of each channel. A channel is SUBSCRIBEd once, by its first handler, and
 * UNSUBSCRIBEd when its last handler goes; a message that does not decode is counted and dropped,
 * a handler that throws is counted and the others still run.
 */
import type { Redis } from 'ioredis';
import type { ClusterMessage, CoordinatorCounters, MessageHandler, Unsubscribe } from './coordinator.js';
import { checkChannel, decodeMessage } from './messages.js';
import { clusterUnavailable, ErrorCode, WorldtickError } from '../errors.js';

/** What the subscriptions need from their coordinator. */
export interface RedisSubscriptionsContext {
  /** A new connection with the coordinator's connection policy (`redis.duplicate()`). */
  duplicate(): Redis;
  /** The Redis channel name of coordinator channel `channel`. */
  key(channel: string): string;
  /** Length of the prefix {@link key} puts before the channel. */
  prefixLength: number;
  counters: CoordinatorCounters;
  closed(): boolean;
}

/** Channels subscribed over one connection. A class: it owns the connection and the handler sets. */
export class RedisSubscriptions {
  readonly #c: RedisSubscriptionsContext;
  #sub: Redis | null = null;
  readonly #handlers = new Map<string, Set<MessageHandler>>();
  /** SUBSCRIBE in flight or done, per channel, so a second subscriber waits for the first. */
  readonly #subscribed = new Map<string, Promise<unknown>>();

  constructor(context: RedisSubscriptionsContext) {
    this.#c = context;
  }

  #connection(): Redis {
    if (this.#sub) return this.#sub;
    // The duplicate inherits the connection policy; after a reconnect it re-subscribes its
    // channels by itself (ioredis autoResubscribe). Messages published meanwhile are lost.
    const sub = this.#c.duplicate();
    sub.on('error', () => {
      this.#c.counters.backendErrors++;
    });
    sub.on('message', (full: string, text: string) => this.#deliver(full.slice(this.#c.prefixLength), text));
    this.#sub = sub;
    return sub;
  }

  #deliver(channel: string, text: string): void {
    const set = this.#handlers.get(channel);
    if (!set) return;
    const msg: ClusterMessage | null = decodeMessage(text);
    if (!msg) {
      this.#c.counters.badMessages++;
      return;
    }
    for (const h of [...set]) {
      try {
        h(msg, channel);
      } catch {
        this.#c.counters.handlerErrors++;
      }
    }
  }

  /** `Coordinator.subscribe`: resolves once the channel is subscribed. */
  async subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe> {
    checkChannel(channel);
    if (this.#c.closed()) throw new WorldtickError(ErrorCode.COORDINATOR_CLOSED, 'coordinator is closed');
    const sub = this.#connection();
    let set = this.#handlers.get(channel);
    const first = !set;
    if (!set) {
      set = new Set();
      this.#handlers.set(channel, set);
    }
    set.add(handler);
    if (first) this.#subscribed.set(channel, sub.subscribe(this.#c.key(channel)));
    try {
      await this.#subscribed.get(channel);
    } catch (err) {
      set.delete(handler);
      if (set.size === 0) {
        this.#handlers.delete(channel);
        this.#subscribed.delete(channel);
      }
      throw clusterUnavailable('subscribe', err);
    }
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      const s = this.#handlers.get(channel);
      if (!s) return;
      s.delete(handler);
      if (s.size > 0) return;
      this.#handlers.delete(channel);
      this.#subscribed.delete(channel);
      if (this.#c.closed()) return;
      try {
        await sub.unsubscribe(this.#c.key(channel));
      } catch (err) {
        throw clusterUnavailable('unsubscribe', err);
      }
    };
  }

  /** Drop every handler and the connection (the coordinator closes). */
  close(): void {
    this.#handlers.clear();
    this.#subscribed.clear();
    this.#sub?.disconnect();
  }
}
