/**
 * Shapes of the game server's statistics (`GameServer.stats()`): plain objects for the
 * admin/metrics service. Counters are totals since the server started unless noted.
 */
import type { WorldNetStats } from './replication.js';
import type { ClassStats } from './session-priority.js';

/** Server-wide counters (plain object; see `GameServer.stats()`). */
export interface ServerNetStats {
  /** Open sockets (joined or not). */
  connections: number;
  connectionsTotal: number;
  /** Upgrades refused (HTTP 503) because the connection cap was reached. */
  rejectedConnections: number;
  /** The connection cap in force: `net.maxConnections`, lowered at start to fit the open-file limit. */
  maxConnections: number;
  messagesIn: number;
  bytesIn: number;
  messagesOut: number;
  bytesOut: number;
  /** Error replies by wire code. */
  errorsByCode: Record<string, number>;
  strikes: number;
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
}

/** Everything `stats()` returns: server counters, totals over worlds, and per-world counters. */
export interface GameServerStats extends ServerNetStats {
  /** Welcomed sessions. */
  sessions: number;
  /** Sessions whose join waits for the next step's ingest phase (no welcome yet). */
  joining: number;
  parked: number;
  snapshotsSent: number;
  snapshotBytes: number;
  skippedBackpressure: number;
  /** Bytes held by all sessions' known sets. */
  sessionMemoryBytes: number;
  worlds: Record<string, WorldNetStats>;
  /** Per session class (`player`, `spectator`, `bot`, `observer`), summed over worlds. */
  byClass: Record<string, ClassStats>;
  /** Sessions at each effective quality-ladder level 0..4 in the last replicate runs. */
  ladderLevels: number[];
}
