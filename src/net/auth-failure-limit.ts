/**
 * Refused authentications per client address (`net.maxAuthFailuresPerAddressPerMinute`,
 * docs/PROTOCOL.md "Authentication"). Each hello is one call of the game's `authenticate` hook, and
 * a refused hello only closes its socket: a client reconnecting in a loop could try tokens — and
 * load the game's auth service — at the connection rate. Here every refusal takes a token from its
 * address's bucket (the limit per minute, refilled continuously); while the bucket is empty, hellos
 * from that address are refused `AUTH_LIMITED` (close 4019, no strike) before the hook is called.
 * The token is taken when the hook is called and given back when it accepts (or fails): accepted
 * hellos take nothing, while hellos in flight at once — or whose socket closed before the answer —
 * count as refused, so concurrency cannot multiply the limit. Addresses are keyed as for `net.maxConnectionsPerAddress`
 * (address-limit.ts: IPv4, IPv6 by /64); loopback peers are exempt while
 * `authFailuresExemptLoopback` holds. A bucket is dropped once full again, so the table holds only
 * addresses refused within the last minute.
 */
import { addressKey } from './address-limit.js';

/** Full buckets are dropped at most this often (wall ms). */
const PRUNE_MS = 10_000;

/** Token buckets of refused authentications per address key; one per game server. A class: it owns the table. */
export class AuthFailureLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #perMinute: number;
  readonly #exemptLoopback: boolean;
  readonly #now: () => number;
  #prunedAt = 0;
  /** Hellos refused `AUTH_LIMITED` (total; `GameServer.stats().authLimited`). */
  limited = 0;

  /** `perMinute` 0 = no limit (nothing is kept). `now`: wall ms (performance.now by default). */
  constructor(perMinute: number, exemptLoopback: boolean, now: () => number = () => performance.now()) {
    this.#perMinute = perMinute;
    this.#exemptLoopback = exemptLoopback;
    this.#now = now;
  }

  /** The key of a client address, or '' when it is not limited (limit 0, an unknown or exempt loopback address). */
  keyOf(address: string): string {
    if (this.#perMinute === 0 || address === '') return '';
    const { key, loopback } = addressKey(address);
    return loopback && this.#exemptLoopback ? '' : key;
  }

  /** True (counted in {@link limited}) when `key` has no refusal left: its hello is refused without asking the hook. */
  blocked(key: string): boolean {
    if (key === '') return false;
    const b = this.#buckets.get(key);
    if (b === undefined || this.#level(b, this.#now()) >= 1) return false;
    this.limited++;
    return true;
  }

  /**
   * A hello from `key` goes to the hook: take a token (the hello counts as refused until the hook
   * answers otherwise, {@link refund}), so hellos in flight at once, or whose socket closes before
   * the answer, cannot call the hook more often than the limit.
   */
  refused(key: string): void {
    if (key === '') return;
    const t = this.#now();
    if (t - this.#prunedAt >= PRUNE_MS) this.prune(t);
    let b = this.#buckets.get(key);
    if (!b) this.#buckets.set(key, (b = { tokens: this.#perMinute, at: t }));
    b.tokens = Math.max(0, this.#level(b, t) - 1);
    b.at = t;
  }

  /** The hook accepted the hello taken for `key` (or failed: not the client's doing): give its token back. */
  refund(key: string): void {
    if (key === '') return;
    const b = this.#buckets.get(key);
    if (!b) return;
    const t = this.#now();
    b.tokens = Math.min(this.#perMinute, this.#level(b, t) + 1);
    b.at = t;
    if (b.tokens >= this.#perMinute) this.#buckets.delete(key); // full again: as pruned
  }

  /** Drop the buckets that are full again. */
  prune(t: number = this.#now()): void {
    this.#prunedAt = t;
    for (const [k, b] of this.#buckets) if (this.#level(b, t) >= this.#perMinute) this.#buckets.delete(k);
  }

  /** Addresses with a bucket. */
  get addresses(): number {
    return this.#buckets.size;
  }

  #level(b: { tokens: number; at: number }, t: number): number {
    return Math.min(this.#perMinute, b.tokens + ((t - b.at) / 60_000) * this.#perMinute);
  }
}
