/**
 * The `net` settings of admission: who may open a socket and start a join, how many and how fast —
 * the connection caps, the per-address limits (sockets, new players, refused authentications), the
 * trusted proxies, the hello and authentication timeouts and the join queue and rates. Part of
 * `NetConfig` (net-config.ts: its defaults, schema and validation cover these fields too).
 */
export interface NetAdmissionConfig {
  /** Most open sockets (joined or not); more are refused at upgrade with HTTP 503. */
  maxConnections: number;
  /**
   * Most open sockets from one address (an IPv6 address counts by its /64); more are refused at
   * upgrade with HTTP 429. 0 = no limit. 0..1000000, default 64 (docs/PROTOCOL.md "Connection limits").
   */
  maxConnectionsPerAddress: number;
  /** Loopback peers (127.0.0.0/8, ::1) are not counted against `maxConnectionsPerAddress` (default true: local bots, benches, a local proxy). */
  perAddressExemptLoopback: boolean;
  /**
   * Most hellos that create a new player identity per remote address per minute (token bucket;
   * IPv6 by /64); more are refused `NEW_PLAYER_LIMITED` (close 4018). 0 = no limit. 0..1000000,
   * default 30 (src/net/new-player-limit.ts; docs/PROTOCOL.md "Connection limits").
   */
  maxNewPlayersPerAddressPerMinute: number;
  /** Loopback peers are not limited by `maxNewPlayersPerAddressPerMinute` (default true). */
  newPlayersExemptLoopback: boolean;
  /**
   * Most hellos per client address per minute that the game's `authenticate` hook may refuse
   * (token bucket; IPv6 by /64): past it, hellos from that address are refused `AUTH_LIMITED`
   * (close 4019) without calling the hook, until the bucket refills. Bounds guessing tokens, and
   * the load put on the game's auth service, at the connection rate. 0 = no limit. 0..1000000,
   * default 30 (src/net/auth-failure-limit.ts; docs/PROTOCOL.md "Authentication").
   */
  maxAuthFailuresPerAddressPerMinute: number;
  /** Loopback peers are not limited by `maxAuthFailuresPerAddressPerMinute` (default true). */
  authFailuresExemptLoopback: boolean;
  /**
   * Reverse proxies / load balancers whose `X-Forwarded-For` is believed: IPv4/IPv6 addresses or
   * CIDR prefixes (`10.0.0.0/8`, `fd00::/8`), at most 1024. An upgrade from one of them counts
   * under the rightmost forwarded address that is not itself trusted (per-address limits,
   * `authenticate`'s `remoteAddress`, logs); default [] = the peer address, no header read
   * (src/net/client-address.ts; docs/PROTOCOL.md "Connection limits").
   */
  trustedProxies: readonly string[];
  /**
   * Wall milliseconds a socket may stay open without a valid hello (closed 4003), and a hello may
   * wait for another join of its identity in flight (then UNAVAILABLE, closed 1013; session-identity.ts).
   */
  helloTimeoutMs: number;
  /**
   * Hellos of one world that start their join per step of it (join-admission.ts): more wait in the
   * world's join queue, in arrival order, for the slots of later steps. Bounds the join work (store
   * reads and commit, welcome, first snapshot) a join storm puts on the loop. 0 = no bound. 0..1000000,
   * default 16 (docs/PROTOCOL.md "Join admission").
   */
  maxJoinsPerStep: number;
  /**
   * Hellos of one world waiting for a join slot; one more is refused WORLD_FULL (close 4009). A
   * waiting hello is answered UNAVAILABLE (close 1013) after `helloTimeoutMs`. 0..1000000, default 1024.
   */
  maxJoinQueue: number;
  /**
   * Hellos that start their join per wall second in all the worlds of this game server together, on
   * top of `maxJoinsPerStep` (more wait in their world's join queue, the worlds served in turn; a burst
   * of 0.1 s's worth; join-rate.ts). 0 = no bound. 0..1000000, default 320 (docs/PROTOCOL.md "Join admission").
   */
  maxJoinsPerSecond: number;
  /**
   * Wall milliseconds the game's `authenticate` hook (GameServerOptions) may take for one hello;
   * past it the hello is refused `UNAVAILABLE` (close 1013). 1..600000, default 5000.
   */
  authTimeoutMs: number;
}
