/**
 * In-process typed event bus with a bounded history ring. It owns its subscribers, hence a
 * class; create one per world (or per runtime) and pass it in — never a module singleton.
 *
 *   publish(topic, payload) ──► history ring (last N events, all topics) ──► subscribers(topic)
 *
 * Delivery is synchronous, in subscription order. A throwing subscriber is counted and the
 * others still run; the publisher never sees the error.
 */

/** One published event as kept in the history ring. */
export interface BusEvent<T, K extends keyof T = keyof T> {
  /** Publish sequence number (1-based, per bus). */
  seq: number;
  topic: K;
  payload: T[K];
}

/** Subscriber of one topic. */
export type Subscriber<P> = (payload: P, seq: number) => void;

export interface EventBusOptions {
  /** Events kept in the history ring (all topics together). Integer 1..1,000,000. Default 256. */
  historySize?: number;
  /** Called with each subscriber error (e.g. to log it); default: none. */
  onSubscriberError?: (topic: string, err: unknown) => void;
}

/** Counters of a bus. */
export interface EventBusStats {
  published: number;
  delivered: number;
  subscriberErrors: number;
  subscribers: number;
}

/** A typed bus: `T` maps topic names to payload types. */
export class EventBus<T extends object> {
  readonly #subs = new Map<keyof T, Subscriber<never>[]>();
  readonly #ring: Array<BusEvent<T> | undefined>;
  readonly #onError: ((topic: string, err: unknown) => void) | undefined;
  #next = 0;
  #seq = 0;
  #delivered = 0;
  #errors = 0;

  constructor(opts: EventBusOptions = {}) {
    const size = opts.historySize ?? 256;
    if (!Number.isInteger(size) || size < 1 || size > 1_000_000)
      throw new RangeError('historySize must be an integer between 1 and 1000000');
    this.#ring = new Array<BusEvent<T> | undefined>(size).fill(undefined);
    this.#onError = opts.onSubscriberError;
  }

  /** Subscribe to a topic; returns the unsubscribe function. */
  subscribe<K extends keyof T>(topic: K, fn: Subscriber<T[K]>): () => void {
    let list = this.#subs.get(topic);
    if (!list) this.#subs.set(topic, (list = []));
    list.push(fn as Subscriber<never>);
    return () => {
      const l = this.#subs.get(topic);
      const i = l ? l.indexOf(fn as Subscriber<never>) : -1;
      if (l && i >= 0) l.splice(i, 1);
    };
  }

  /** Publish: record in the history ring, then deliver to the topic's subscribers. Returns the seq. */
  publish<K extends keyof T>(topic: K, payload: T[K]): number {
    const seq = ++this.#seq;
    this.#ring[this.#next] = { seq, topic, payload } as BusEvent<T>;
    this.#next = (this.#next + 1) % this.#ring.length;
    const list = this.#subs.get(topic);
    if (list) {
      for (let i = 0; i < list.length; i++) {
        try {
          (list[i] as Subscriber<T[K]>)(payload, seq);
          this.#delivered++;
        } catch (err) {
          this.#errors++;
          this.#onError?.(String(topic), err);
        }
      }
    }
    return seq;
  }

  /** Events still in the ring, oldest first, optionally of one topic and only the last `limit`. */
  history<K extends keyof T>(topic?: K, limit = Infinity): Array<BusEvent<T, K>> {
    const out: Array<BusEvent<T, K>> = [];
    const n = this.#ring.length;
    for (let i = 0; i < n; i++) {
      const e = this.#ring[(this.#next + i) % n];
      if (e && (topic === undefined || e.topic === topic)) out.push(e as unknown as BusEvent<T, K>);
    }
    return out.length > limit ? out.slice(out.length - limit) : out;
  }

  /** Drop every subscriber and the history (world teardown). Counters stay. */
  clear(): void {
    this.#subs.clear();
    this.#ring.fill(undefined);
  }

  /** Counters. */
  stats(): EventBusStats {
    let subscribers = 0;
    for (const l of this.#subs.values()) subscribers += l.length;
    return { published: this.#seq, delivered: this.#delivered, subscriberErrors: this.#errors, subscribers };
  }
}
