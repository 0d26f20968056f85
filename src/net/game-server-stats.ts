/**
 * Totals of the game server's per-world replication counters (for `GameServer.stats()`,
 * src/net/game-server.ts) and the whole report: sums over worlds, per-class sums, ladder levels, session memory, and
 * each world's region-frame figures.
 */
import { type GameServerStats, regionReportOf, type ServerNetStats, type WorldNetReport } from './net-stats.js';
import type { WorldNet } from './replication.js';
import { type ClassStats, sumClassStats } from './session-priority.js';
import { sessionBytes } from './session.js';
import type { SessionRegistry } from './session-registry.js';

/** The per-world part of `GameServerStats`, summed over the served worlds. */
export interface WorldNetTotals {
  sessions: number;
  parked: number;
  snapshotsSent: number;
  snapshotBytes: number;
  skippedBackpressure: number;
  sessionMemoryBytes: number;
  worlds: Record<string, WorldNetReport>;
  byClass: Record<string, ClassStats>;
  ladderLevels: number[];
}

/** Copy each world's counters (plain objects) and sum them. */
export const sumWorldNets = (nets: ReadonlyMap<string, { readonly net: WorldNet }>): WorldNetTotals => {
  const worlds: Record<string, WorldNetReport> = {};
  let sessions = 0,
    parked = 0,
    snapshotsSent = 0,
    snapshotBytes = 0,
    skippedBackpressure = 0,
    mem = 0;
  const byClass: Record<string, ClassStats> = {};
  const ladderLevels = [0, 0, 0, 0, 0];
  for (const [id, { net }] of nets) {
    const w: WorldNetReport = {
      ...net.stats,
      sessions: net.sessions.length,
      byClass: net.stats.byClass.map((c) => ({ ...c })),
      kicks: { ...net.stats.kicks },
      ladder: { ...net.stats.ladder, levels: [...net.stats.ladder.levels] },
      regions: regionReportOf(net),
    };
    sumClassStats(byClass, net.stats.byClass);
    for (let l = 0; l < ladderLevels.length; l++) ladderLevels[l] = (ladderLevels[l] ?? 0) + (net.stats.ladder.levels[l] ?? 0);
    worlds[id] = w;
    sessions += w.sessions;
    parked += w.parked;
    snapshotsSent += w.snapshotsSent;
    snapshotBytes += w.snapshotBytes;
    skippedBackpressure += w.skippedBackpressure;
    for (const s of net.sessions) mem += sessionBytes(s);
  }
  return { sessions, parked, snapshotsSent, snapshotBytes, skippedBackpressure, sessionMemoryBytes: mem, worlds, byClass, ladderLevels };
};

/**
 * Everything `GameServer.stats()` returns: the server's counters `s` (maps copied), the session
 * registry's, the open sockets and the connection cap in force, and the sums over the served worlds.
 */
export const gameServerStats = (
  s: ServerNetStats,
  registry: SessionRegistry,
  connections: number,
  maxConnections: number,
): GameServerStats => {
  const t = sumWorldNets(registry.nets);
  return {
    ...s,
    inputsDropped: registry.counters.inputsDropped,
    joining: registry.joining,
    pendingResumes: registry.tables.pendingResumes.size,
    errorsByCode: { ...s.errorsByCode },
    closesByCode: { ...s.closesByCode },
    txResults: { ...s.txResults },
    auth: { ...s.auth },
    connections,
    maxConnections,
    sessions: t.sessions,
    parked: t.parked,
    parkedEvicted: { ...registry.counters.parkedEvicted },
    parkedAddresses: registry.tables.parkedByAddress.size,
    takeovers: { ...registry.counters.takeovers },
    identityWaiting: registry.tables.waitingConns.size,
    identityWaitTimeouts: registry.counters.identityWaitTimeouts,
    anonymousPlayersPruned: registry.durable?.anonymousPlayersPruned ?? 0,
    expiredSessionsSwept: registry.durable?.expiredSessionsSwept ?? 0,
    sessionSweepsDeferred: registry.durable?.sessionSweepsDeferred ?? 0,
    joinsWaiting: registry.admission.waiting,
    ...registry.admission.counters,
    snapshotsSent: t.snapshotsSent,
    snapshotBytes: t.snapshotBytes,
    skippedBackpressure: t.skippedBackpressure,
    sessionMemoryBytes: t.sessionMemoryBytes,
    worlds: t.worlds,
    byClass: t.byClass,
    ladderLevels: t.ladderLevels,
  };
};
