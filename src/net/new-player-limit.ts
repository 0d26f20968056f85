/**
 * New players per remote address (`net.maxNewPlayersPerAddressPerMinute`, docs/PROTOCOL.md
 * "Connection limits"). Without the game's `authenticate` hook any client can make up a new
 * identity with every hello (a new `token`, or none), and every new identity is a durable player
 * record (the `players` table, one row per identity: inherent, kept for returning players). What
 * is bounded is the RATE: a hello that would create a new player identity (the durable store has
 * no record of it) is admitted only while its address's token bucket (the limit per minute,
 * refilled continuously) holds a token; otherwise it is refused `NEW_PLAYER_LIMITED` (close 4018,
 * no strike) before anything is written, and counted (`newPlayersRefused`). Resumes and returning
 * identities are never limited. Addresses are keyed as for `net.maxConnectionsPerAddress`
 * (address-limit.ts: IPv4, IPv6 by /64); loopback peers are exempt while
 * `newPlayersExemptLoopback` holds. A bucket is dropped once full again (at most a minute after
 * the address's last new player), so the table holds only addresses that created players lately.
 */
import { addressKey } from './address-limit.js';
import type { Conn } from './session.js';

/** What the limiter counts into (the game server's stats). */
export interface NewPlayerCounters {
  /** Hellos refused NEW_PLAYER_LIMITED. */
  newPlayersRefused: number;
  /** Addresses with a bucket in the limiter's table (gauge). */
  newPlayerAddresses: number;
}

/** Full buckets are dropped at most this often (wall ms). */
const PRUNE_MS = 10_000;

/** Token buckets of new players per address key; one per game server. A class: it owns the table. */
export class NewPlayerLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #perMinute: number;
  readonly #exemptLoopback: boolean;
  readonly #counters: NewPlayerCounters;
  readonly #now: () => number;
  #prunedAt = 0;

  /** `perMinute` 0 = no limit (nothing is kept). `now`: wall ms (performance.now by default). */
  constructor(perMinute: number, exemptLoopback: boolean, counters: NewPlayerCounters, now: () => number = () => performance.now()) {
    this.#perMinute = perMinute;
    this.#exemptLoopback = exemptLoopback;
    this.#counters = counters;
    this.#now = now;
  }

  /** The key of a peer address, or '' when it is not limited (limit 0, or an exempt loopback address). */
  keyOf(address: string): string {
    if (this.#perMinute === 0 || address === '') return '';
    const { key, loopback } = addressKey(address);
    return loopback && this.#exemptLoopback ? '' : key;
  }

  /** Take a token for a new player from `key`: false (counted) when its bucket is empty. */
  admit(key: string): boolean {
    if (key === '') return true;
    const t = this.#now();
    if (t - this.#prunedAt >= PRUNE_MS) this.prune(t);
    let b = this.#buckets.get(key);
    if (!b) this.#buckets.set(key, (b = { tokens: this.#perMinute, at: t }));
    b.tokens = this.#level(b, t);
    b.at = t;
    this.#counters.newPlayerAddresses = this.#buckets.size;
    if (b.tokens < 1) {
      this.#counters.newPlayersRefused++;
      return false;
    }
    b.tokens -= 1;
    return true;
  }

  /** Drop the buckets that are full again (their address created no player for a while). */
  prune(t: number = this.#now()): void {
    this.#prunedAt = t;
    for (const [k, b] of this.#buckets) if (this.#level(b, t) >= this.#perMinute) this.#buckets.delete(k);
    this.#counters.newPlayerAddresses = this.#buckets.size;
  }

  /** Addresses with a bucket. */
  get addresses(): number {
    return this.#buckets.size;
  }

  #level(b: { tokens: number; at: number }, t: number): number {
    return Math.min(this.#perMinute, b.tokens + ((t - b.at) / 60_000) * this.#perMinute);
  }
}

/** The client address of `conn` (decided at upgrade: the peer's, or a trusted proxy's forwarded one; '' when unknown). */
export const remoteAddressOf = (conn: Conn): string => conn.remoteAddress;

/**
 * The session registry's admission of new players (`SessionRegistry.admitNewPlayer`): at hello
 * time the socket's key is taken; the returned check is asked by the durable store's resolve only
 * when the hello would create a new player identity.
 */
export const newPlayerAdmission =
  (limiter: NewPlayerLimiter) =>
  (conn: Conn): (() => boolean) => {
    const key = limiter.keyOf(remoteAddressOf(conn));
    return () => limiter.admit(key);
  };
