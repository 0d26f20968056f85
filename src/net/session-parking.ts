/**
 * Parking and expiry of the session registry's players (session-registry.ts): a socket that closed
 * parks its player for `net.resumeGraceSeconds` (or removes it when there is no grace), and the
 * sweep removes parked players whose grace ended. Both go through the world's `session` ingest
 * facts (player-facts.ts); removal also releases the player's ledger bindings there.
 *
 * Bound: a parked player is an entity of its world, so a world holds at most its capacity of
 * players (live + parked); each parked one for at most the grace period (its durable record is
 * dropped at expiry, and records of an earlier process are pruned by `DurableSessions.prune`).
 */
import type { DurableSessions } from './durable-sessions.js';
import type { NetConfig } from './net-config.js';
import { SESSION_INGEST_TYPE, type LeaveFact } from './player-facts.js';
import type { Session } from './session.js';
import type { SessionTables, WorldEntry } from './world-sessions.js';

/** What parking uses of the registry. */
export interface ParkingContext {
  readonly tables: SessionTables;
  readonly cfg: NetConfig;
  readonly durable: DurableSessions | null;
  /** Sessions closing now were live at shutdown (their durable records stay `live`). */
  readonly shuttingDown: boolean;
}

/** Park `player` of session `s` for its token (grace > 0) or remove it, as a fact owned by `owner`. */
export const leaveSession = (cx: ParkingContext, s: Session, entry: WorldEntry, player: number, owner: number): void => {
  const { world, net } = entry;
  const grace = cx.cfg.resumeGraceSeconds;
  const fact: LeaveFact = { op: grace > 0 ? 'park' : 'remove', player, owner, removed: net.removed };
  world.ingest.push(SESSION_INGEST_TYPE, player, fact);
  if (grace <= 0 && !cx.shuttingDown) {
    cx.durable?.drop(s.resumeToken);
    return;
  }
  if (grace <= 0) return;
  cx.tables.parked.set(s.resumeToken, { world, player, ledgerId: s.ledgerId, name: s.name, expiresAt: performance.now() + grace * 1000 });
  net.stats.parked++;
  const P = world.stores.Position;
  cx.durable?.park(s.resumeToken, s.ledgerId, world.id, s.name, P.x[player], P.y[player], cx.shuttingDown);
};

/** Remove the parked players whose grace period ended at `now` (a `remove` fact each) and drop their durable records. */
export const expireParked = (t: SessionTables, durable: DurableSessions | null, now: number): void => {
  for (const [token, p] of t.parked) {
    if (p.expiresAt > now) continue;
    const entry = t.nets.get(p.world.id);
    if (entry && entry.world === p.world) {
      // Pushed before the player is forgotten: if the push throws, it stays parked and the next sweep retries.
      const fact: LeaveFact = { op: 'remove', player: p.player, owner: -1, removed: entry.net.removed };
      p.world.ingest.push(SESSION_INGEST_TYPE, p.player, fact);
      entry.net.stats.parked--;
    }
    t.parked.delete(token);
    durable?.drop(token);
  }
};
