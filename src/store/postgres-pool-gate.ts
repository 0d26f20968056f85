/**
 * The PostgreSQL store's bounded wait for one of its pooled connections (postgres-store.ts).
 *
 * node-postgres (`pg-pool`) applies its `connectionTimeoutMillis` to two different waits: connecting
 * a new client to the server, and waiting in its queue for a client of a full pool to come free. A
 * merely busy pool then fails like an unreachable server ("timeout exceeded when trying to connect"),
 * after the connect timeout (1 s) — a wait that is no fault of the server. The gate sits in front of
 * the pool and admits at most `size` (the pool's `max`) operations at once, so the pool never queues:
 * its connect timeout bounds connecting only. An operation past the limit waits in the gate, first in
 * first out, at most `waitMs`, then fails WT_ERR_STORE_UNAVAILABLE with reason `pool-busy`.
 *
 *   operation ──▶ gate (≤ size inside; FIFO wait ≤ waitMs) ──▶ pg.Pool (idle client, or connect ≤ connect timeout)
 *
 * Every operation inside checks out one pooled client (its transaction's, or its reads' one:
 * postgres-tx.ts), so `size` operations never need more than `size` clients.
 */
import { storeClosed, storeUnavailable, type WorldtickError } from '../errors.js';

/** Use of a store's pooled connections at one moment. */
export interface PoolUsage {
  /** The pool's size (its `max`). */
  size: number;
  /** Operations holding a connection now. */
  inUse: number;
  /** Operations queued for one now. */
  waiting: number;
  /** Operations so far that found every connection in use and queued (admitted later, timed out or closed). */
  waited: number;
}

interface Waiter {
  admit: () => void;
  fail: (err: WorldtickError) => void;
  timer: NodeJS.Timeout;
}

/** Admission to the pool's connections: at most `size` operations at once, a bounded FIFO wait for the others. A class: it owns timers. */
export class PoolGate {
  readonly #size: number;
  readonly #waitMs: number;
  readonly #onTimeout: () => void;
  #inside = 0;
  /** Operations that found no place free and waited for one (admitted or not). */
  #waited = 0;
  readonly #waiters: Waiter[] = [];
  #closed = false;

  /** `size`: the pool's `max`; `waitMs`: the longest wait for a place (ms, > 0); `onTimeout`: called at each wait that timed out. */
  constructor(size: number, waitMs: number, onTimeout: () => void = () => undefined) {
    this.#size = size;
    this.#waitMs = waitMs;
    this.#onTimeout = onTimeout;
  }

  /** Operations waiting for a place now. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** How the places are used now (see {@link PoolUsage}). */
  usage(): PoolUsage {
    return { size: this.#size, inUse: this.#inside, waiting: this.#waiters.length, waited: this.#waited };
  }

  /**
   * Run `fn` once a place is free — at once, in this call, when one is and nobody waits. Rejects
   * WT_ERR_STORE_UNAVAILABLE (`pool-busy`) when none came free within the wait, WT_ERR_STORE_CLOSED
   * when the gate closed first.
   */
  run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(storeClosed());
    if (this.#inside < this.#size && this.#waiters.length === 0) {
      this.#inside++;
      return this.#hold(fn);
    }
    return this.#wait().then(() => {
      if (!this.#closed) return this.#hold(fn);
      this.#leave(); // admitted as the gate closed: the pool is ending
      throw storeClosed();
    });
  }

  /** Fail every operation still waiting (WT_ERR_STORE_CLOSED) and admit no more; those inside finish. */
  close(): void {
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) {
      clearTimeout(w.timer);
      w.fail(storeClosed());
    }
  }

  /** Run `fn` holding a place; the place is given up when it settles. */
  #hold<T>(fn: () => Promise<T>): Promise<T> {
    let p: Promise<T>;
    try {
      p = fn();
    } catch (err) {
      this.#leave();
      return Promise.reject(err);
    }
    return p.finally(() => this.#leave());
  }

  /** Wait (FIFO, at most `waitMs`) for a place handed over by {@link #leave}. */
  #wait(): Promise<void> {
    this.#waited++;
    return new Promise<void>((admit, fail) => {
      const w: Waiter = {
        admit,
        fail,
        timer: setTimeout(() => {
          const i = this.#waiters.indexOf(w);
          if (i < 0) return;
          this.#waiters.splice(i, 1);
          this.#onTimeout();
          fail(
            storeUnavailable(
              'pool-busy',
              `no pooled connection came free within ${this.#waitMs} ms (${this.#inside} of ${this.#size} in use, ${this.#waiters.length} more waiting)`,
            ),
          );
        }, this.#waitMs),
      };
      this.#waiters.push(w);
    });
  }

  /** A place comes free: handed to the first waiter, if any (the count inside stays). */
  #leave(): void {
    const next = this.#waiters.shift();
    if (!next) {
      this.#inside--;
      return;
    }
    clearTimeout(next.timer);
    next.admit();
  }
}
