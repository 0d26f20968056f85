/**
 * The subscribing side of {@link RedisCoordinator} (src/cluster/redis-coordinator.ts): one second
 * Redis connection, opened at the first `subscribe` (a subscribed connection can do nothing else),
 * and the handlers of each channel. A channel is SUBSCRIBEd once, by its first handler, and
 * UNSUBSCRIBEd when its last handler goes; a message that does not decode is counted and dropped,
 * a handler that throws is counted and the others still run.
 *
 * The connection is PINGed every command timeout (one PING in flight at most; a message is an answer
 * too): once a PING times out after two command timeouts of silence, the connection is given up and a
 * new one opened, which subscribes its channels again (src/cluster/redis-silence.ts). A subscribed
 * connection sends nothing by itself, so without it a silent network cut went unnoticed, and the
 * messages published after the heal waited for TCP's next retransmission (up to 2 minutes apart).
 */
import type { Redis } from 'ioredis';
import type { ClusterMessage, CoordinatorCounters, MessageHandler, Unsubscribe } from './coordinator.js';
import { checkChannel, decodeMessage } from './messages.js';
import { clusterUnavailable, ErrorCode, WorldtickError } from '../errors.js';
import { watchSilence } from './redis-silence.js';

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
  /** The coordinator's command timeout (ms): the PING period; two of them of silence give the connection up. */
  commandTimeoutMs: number;
}

/** Channels subscribed over one connection. A class: it owns the connection and the handler sets. */
export class RedisSubscriptions {
  readonly #c: RedisSubscriptionsContext;
  #sub: Redis | null = null;
  readonly #handlers = new Map<string, Set<MessageHandler>>();
  /** SUBSCRIBE in flight or done, per channel, so a second subscriber waits for the first. */
  readonly #subscribed = new Map<string, Promise<unknown>>();
  /** The PINGs of the connection (see the module comment). */
  #pinger: NodeJS.Timeout | null = null;

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
    const silence = watchSilence(sub, 2 * this.#c.commandTimeoutMs, () => this.#c.closed());
    sub.on('message', (full: string, text: string) => {
      silence.answered();
      this.#deliver(full.slice(this.#c.prefixLength), text);
    });
    let pinging = false;
    this.#pinger = setInterval(() => {
      if (pinging || sub.status !== 'ready') return;
      pinging = true;
      sub
        .ping()
        .then(silence.answered, silence.failed)
        .finally(() => {
          pinging = false;
        });
    }, this.#c.commandTimeoutMs);
    this.#pinger.unref();
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
    if (this.#pinger) clearInterval(this.#pinger);
    this.#sub?.disconnect();
  }
}
