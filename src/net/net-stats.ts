/**
 * Shapes of the game server's statistics (`GameServer.stats()`): plain objects for the
 * admin/metrics service. Counters are totals since the server started unless noted.
 */
import { type AuthStats, createAuthStats } from './hello-auth.js';
import type { RegionStats } from './region-state.js';
import type { WorldNet, WorldNetStats } from './replication.js';
import type { TakeoverCounts } from './session-claim.js';
import type { ParkedEvictions } from './session-parking.js';
import type { ClassStats } from './session-priority.js';

/** One world's replication counters in `GameServer.stats().worlds`: its `WorldNetStats` plus its region figures. */
export interface WorldNetReport extends WorldNetStats {
  /** Region-frame figures (net option `viewMode: 'regions'`); null in `exact` mode. */
  regions: RegionReport | null;
}

/** Server-wide counters (plain object; see `GameServer.stats()`). */
export interface ServerNetStats {
  /** Open sockets (joined or not). */
  connections: number;
  connectionsTotal: number;
  /** Upgrades refused (HTTP 503) because the connection cap was reached. */
  rejectedConnections: number;
  /** Upgrades refused (HTTP 429) because the peer's address had `net.maxConnectionsPerAddress` sockets open. */
  rejectedPerAddress: number;
  /** Addresses with counted open sockets (gauge; the per-address map's size). */
  limitedAddresses: number;
  /** Hellos refused `NEW_PLAYER_LIMITED`: their address created `net.maxNewPlayersPerAddressPerMinute` new players already. */
  newPlayersRefused: number;
  /** Addresses in the new-player limiter's table (gauge; src/net/new-player-limit.ts). */
  newPlayerAddresses: number;
  /** Hellos refused `AUTH_LIMITED`: the game's `authenticate` hook refused `net.maxAuthFailuresPerAddressPerMinute` from their address lately. */
  authLimited: number;
  /** Addresses in the refused-authentication limiter's table (gauge; src/net/auth-failure-limit.ts). */
  authLimitedAddresses: number;
  /** The connection cap in force: `net.maxConnections`, lowered at start to fit the open-file limit. */
  maxConnections: number;
  messagesIn: number;
  bytesIn: number;
  messagesOut: number;
  bytesOut: number;
  /** Error replies by wire code. */
  errorsByCode: Record<string, number>;
  strikes: number;
  /** Sockets closed 4002 at `maxStrikes` strikes. */
  closedForStrikes: number;
  /** Socket closes by WebSocket close code (as reported by uWS). */
  closesByCode: Record<string, number>;
  /** Input facts the ingest buffer refused or evicted. */
  inputsDropped: number;
  /** Exceptions caught in handlers (bugs; the socket was answered INTERNAL). */
  internalErrors: number;
  /** Purchase messages accepted for the ledger. */
  purchases: number;
  /** Purchase results sent, by `ok` or TX_* code. */
  txResults: Record<string, number>;
  /** Outcomes of the game's `authenticate` hook (all 0 without one; src/net/hello-auth.ts). */
  auth: AuthStats;
}

/** Zeroed server counters (a new `GameServer`'s). */
export const createServerNetStats = (): ServerNetStats => ({
  connections: 0,
  connectionsTotal: 0,
  rejectedConnections: 0,
  rejectedPerAddress: 0,
  limitedAddresses: 0,
  newPlayersRefused: 0,
  newPlayerAddresses: 0,
  authLimited: 0,
  authLimitedAddresses: 0,
  maxConnections: 0,
  messagesIn: 0,
  bytesIn: 0,
  messagesOut: 0,
  bytesOut: 0,
  errorsByCode: {},
  strikes: 0,
  closedForStrikes: 0,
  closesByCode: {},
  inputsDropped: 0,
  internalErrors: 0,
  purchases: 0,
  txResults: {},
  auth: createAuthStats(),
});

/** Counters the session registry (session-registry.ts) adds to the server's. */
export interface RegistryCounters {
  inputsDropped: number;
  /** Joins refused because the world was full. */
  joinsRefused: number;
  /** Join facts that failed for another reason (bugs; answered INTERNAL). */
  joinsFailed: number;
  /** Parked players evicted before their grace ended, by cap (`net.maxParked`, `net.maxParkedPerAddress`; session-parking.ts). */
  parkedEvicted: ParkedEvictions;
  /** Players claimed by hellos, by resume token or identity, live or parked (session-claim.ts). */
  takeovers: TakeoverCounts;
  /** Hellos that waited `net.helloTimeoutMs` for their identity's join in flight (answered UNAVAILABLE, closed 1013). */
  identityWaitTimeouts: number;
}

/** Zeroed registry counters. */
export const createRegistryCounters = (): RegistryCounters => ({
  inputsDropped: 0,
  joinsRefused: 0,
  joinsFailed: 0,
  parkedEvicted: { server: 0, address: 0, worldFull: 0 },
  takeovers: { resumeLive: 0, resumeParked: 0, identityLive: 0, identityParked: 0 },
  identityWaitTimeouts: 0,
});

/** Everything `stats()` returns: server counters, totals over worlds, and per-world counters. */
export interface GameServerStats extends ServerNetStats {
  /** Welcomed sessions. */
  sessions: number;
  /** Sessions whose join waits for the next step's ingest phase (no welcome yet). */
  joining: number;
  /** Hellos whose resume token is being looked up in the durable store now. */
  pendingResumes: number;
  parked: number;
  /**
   * Parked players evicted before their grace ended to make room, by cap: `server` (`net.maxParked`)
   * and `address` (`net.maxParkedPerAddress`), and `worldFull` (a live join found the world full);
   * the oldest parked player (of that scope) goes (src/net/session-parking.ts).
   */
  parkedEvicted: { server: number; address: number; worldFull: number };
  /** Client addresses with counted parked players (gauge; `net.maxParkedPerAddress`'s table). */
  parkedAddresses: number;
  /**
   * Players held in memory that hellos claimed (src/net/session-claim.ts): by the hello's resume
   * token (`resumeLive`, `resumeParked`) or by its identity without one (`identityLive`,
   * `identityParked`); a live one's old socket was closed 4011.
   */
  takeovers: TakeoverCounts;
  /** Hellos waiting for their identity's join in flight now (gauge; src/net/session-identity.ts). */
  identityWaiting: number;
  /** Hellos that waited `net.helloTimeoutMs` for their identity's join in flight: answered `UNAVAILABLE`, closed 1013. */
  identityWaitTimeouts: number;
  /**
   * Anonymous players (`g:`) whose durable records (player record, player data) the prune deleted,
   * nobody being able to resume them (docs/DURABILITY.md "Anonymous players"); 0 without a store.
   */
  anonymousPlayersPruned: number;
  /** Expired session records the sweep deleted (docs/DURABILITY.md "Expired records"); 0 without a store. */
  expiredSessionsSwept: number;
  /** Session sweep passes stopped by a world's `emergency` mode (the rest left for the next pass). */
  sessionSweepsDeferred: number;
  /** Hellos waiting now in a world's join queue for a join slot (gauge; `net.maxJoinsPerStep`, src/net/join-admission.ts). */
  joinsWaiting: number;
  /** Hellos that waited in a join queue (each counted once). */
  joinsQueued: number;
  /** Hellos refused `WORLD_FULL` (close 4009) because their world's join queue held `net.maxJoinQueue`. */
  joinQueueFull: number;
  /** Hellos that waited `net.helloTimeoutMs` in a join queue: answered `UNAVAILABLE`, closed 1013. */
  joinWaitTimeouts: number;
  /**
   * Hellos that waited for the process-wide `net.maxJoinsPerSecond` (src/net/join-rate.ts): held in
   * their world's join queue while the world had a slot free for them (each counted once).
   */
  joinsProcessWaited: number;
  snapshotsSent: number;
  snapshotBytes: number;
  skippedBackpressure: number;
  /** Bytes held by all sessions' known sets. */
  sessionMemoryBytes: number;
  worlds: Record<string, WorldNetReport>;
  /** Per session class (`player`, `spectator`, `bot`, `observer`), summed over worlds. */
  byClass: Record<string, ClassStats>;
  /** Sessions at each effective quality-ladder level 0..4 in the last replicate runs. */
  ladderLevels: number[];
}

/**
 * Region-frame figures of one world (net option `viewMode: 'regions'`, region-frames.ts): the
 * cell side in force and the cumulative counters of {@link RegionStats}. Plain object.
 */
export interface RegionReport extends RegionStats {
  /** Side of a region cell (world units): `regionCellSize`, or `interestRadius` when that is 0. */
  cellSize: number;
}

/**
 * The region figures of a world's replication state, or null when the world is not served or
 * its view mode is `exact`. Zero counters until the first frame (the state is created on first use).
 */
export const regionReportOf = (net: WorldNet | null): RegionReport | null => {
  if (net === null || net.config.viewMode !== 'regions') return null;
  const cfg = net.config;
  const st = net.regions?.stats;
  return {
    cellSize: cfg.regionCellSize > 0 ? cfg.regionCellSize : cfg.interestRadius,
    framesSent: st?.framesSent ?? 0,
    framesEncoded: st?.framesEncoded ?? 0,
    denseFallbacks: st?.denseFallbacks ?? 0,
    denseCells: st?.denseCells ?? 0,
    sparseFallbacks: st?.sparseFallbacks ?? 0,
  };
};
