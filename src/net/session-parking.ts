/**
 * Parking and expiry of the session registry's players (session-registry.ts): a socket that closed
 * parks its player for `net.resumeGraceSeconds` (or removes it when there is no grace), and the
 * sweep removes parked players whose grace ended. Both go through the world's `session` ingest
 * facts (player-facts.ts); removal also releases the player's ledger bindings there.
 *
 * Bounds: a parked player is an entity of its world, so a world holds at most its capacity of
 * players (live + parked); each parked one for at most the grace period (its durable record is
 * dropped at expiry, and records of an earlier process are pruned by `DurableSessions.prune`).
 * On top, `net.maxParked` bounds the parked players of the whole server and
 * `net.maxParkedPerAddress` those whose last socket came from one client address: parking one
 * more first **evicts the oldest** parked player of that scope (removed as at the end of its grace,
 * counted `parkedEvicted`). Oldest first: the socket of the player being parked is already gone,
 * so it cannot be refused, and the oldest parked player has had the most of its grace — the one
 * least likely to come back, while a player who just dropped usually reconnects within seconds.
 * And a live player beats a ghost: a join that finds its world full of entities evicts the oldest
 * parked player of that world and takes its room (counted `parkedEvicted.worldFull`), so parked
 * players from any number of addresses can never keep live players out of a world.
 *
 *   parked   token → Parked          (Map: insertion order = park order = expiry order)
 *   byAddr   address key → tokens   (Set: insertion order, its first is that address's oldest)
 *   net.away player → Parked        (per world: where messages to it are kept, game-backlog.ts)
 */
import { addressKey } from './address-limit.js';
import type { DurableSessions } from './durable-sessions.js';
import { dropBacklog } from './game-backlog.js';
import type { NetConfig } from './net-config.js';
import { SESSION_INGEST_TYPE, type LeaveFact, type SessionWorld } from './player-facts.js';
import type { Parked, Session } from './session.js';
import { listIdentity } from './session-identity.js';
import { resumeInFlight, type SessionTables, unpark, type WorldEntry } from './world-sessions.js';

/** What parking uses of the registry. */
export interface ParkingContext {
  readonly tables: SessionTables;
  readonly cfg: NetConfig;
  readonly durable: DurableSessions | null;
  /** Sessions closing now were live at shutdown (their durable records stay `live`). */
  readonly shuttingDown: boolean;
}

/** Why a parked player was evicted before its grace ended (`GameServer.stats().parkedEvicted`). */
export interface ParkedEvictions {
  /** `net.maxParked` was reached. */
  server: number;
  /** Its address had `net.maxParkedPerAddress` parked players. */
  address: number;
  /**
   * Its world was full when a live player joined (`/metrics` reason `world-full`): the oldest parked
   * player of that world made room ({@link evictParkedForJoin}).
   */
  worldFull: number;
}

/**
 * Remove parked player `p` for good (grace over, or evicted): a `remove` fact for its world (if
 * still served), its away entry and backlog (counted expired), its durable record.
 */
const removeParked = (t: SessionTables, durable: DurableSessions | null, token: string, p: Parked): void => {
  const entry = t.nets.get(p.world.id);
  if (entry && entry.world === p.world) {
    // Pushed before the player is forgotten: if the push throws, it stays parked and the next sweep retries.
    const fact: LeaveFact = { op: 'remove', player: p.player, owner: -1, removed: entry.net.removed };
    p.world.ingest.push(SESSION_INGEST_TYPE, p.player, fact);
  }
  forgetParked(t, durable, token, p);
};

/** Forget parked player `p` (its entity is removed by the caller): its count, away entry and backlog (counted expired), durable record. */
const forgetParked = (t: SessionTables, durable: DurableSessions | null, token: string, p: Parked): void => {
  const entry = t.nets.get(p.world.id);
  if (entry && entry.world === p.world) {
    entry.net.stats.parked--;
    if (entry.net.away.get(p.player) === p) entry.net.away.delete(p.player);
  }
  dropBacklog(p, p.world.game?.outbox.stats);
  unpark(t, token, p);
  durable?.drop(token);
};

/**
 * A live player's join found its world full (inside the ingest phase, player-facts.ts): forget the
 * oldest parked player of `world` whose entity is parked now (`isParked`) and whose resume is not
 * in flight, counted `ev.worldFull`, and return it with the list its removal is recorded in (the
 * caller removes the entity there and then, and retries the spawn); null when the world has none.
 * A live player beats a ghost: the parked one's socket is gone, and of the parked players the
 * oldest has used most of its grace. Scans the world's away entries (`net.away`: its parked players
 * in park order, plus the few whose resume or takeover is in flight), not the server's parked table:
 * O(parked players of this world) in the worst case; only on this path.
 */
export const evictParkedForJoin = (
  t: SessionTables,
  durable: DurableSessions | null,
  world: SessionWorld,
  isParked: (eid: number) => boolean,
  ev: ParkedEvictions,
): { player: number; removed: number[] } | null => {
  const entry = t.nets.get(world.id);
  if (!entry || entry.world !== world) return null;
  // `away` iterates in insertion order, and parking re-inserts its entry: its first parked entry is the world's oldest.
  for (const p of entry.net.away.values()) {
    const token = p.token;
    if (t.parked.get(token) !== p || !isParked(p.player) || resumeInFlight(t, token)) continue;
    forgetParked(t, durable, token, p);
    ev.worldFull++;
    return { player: p.player, removed: entry.net.removed };
  }
  return null;
};

/** The parked player of `tokens` parked first (Map and Set iterate in insertion order). */
const oldest = <T>(tokens: Iterable<T>): T | undefined => {
  for (const x of tokens) return x;
  return undefined;
};

/** Evict the oldest parked players until one more fits `net.maxParkedPerAddress` for `addr` and `net.maxParked`. */
const makeRoom = (cx: ParkingContext, addr: string, ev: ParkedEvictions): void => {
  const t = cx.tables;
  const perAddress = cx.cfg.maxParkedPerAddress;
  const list = addr === '' ? undefined : t.parkedByAddress.get(addr);
  while (list && perAddress > 0 && list.size >= perAddress) {
    const token = oldest(list);
    const p = token === undefined ? undefined : t.parked.get(token);
    if (token === undefined || !p) break;
    removeParked(t, cx.durable, token, p);
    ev.address++;
  }
  while (t.parked.size >= cx.cfg.maxParked) {
    const first = oldest(t.parked);
    if (!first) break;
    removeParked(t, cx.durable, first[0], first[1]);
    ev.server++;
  }
};

/**
 * Park `player` of session `s` for its token (grace > 0) or remove it, as a fact owned by `owner`.
 * Parking first makes room under the caps (evicting the oldest, counted in `ev`). The player's away
 * backlog survives a resume whose socket closed before the step applied it. `pushFact` false: the
 * entity is parked already and its game was told (a resume closed before it applied): no park fact,
 * or `onPlayerLeft` would run twice for one departure (a removal, without grace, is always pushed).
 */
export const leaveSession = (
  cx: ParkingContext,
  s: Session,
  entry: WorldEntry,
  player: number,
  owner: number,
  ev: ParkedEvictions,
  pushFact = true,
): void => {
  const { world, net } = entry;
  const grace = cx.cfg.resumeGraceSeconds;
  const fact: LeaveFact = { op: grace > 0 ? 'park' : 'remove', player, owner, removed: net.removed };
  if (pushFact || grace <= 0) world.ingest.push(SESSION_INGEST_TYPE, player, fact);
  const before = net.away.get(player);
  const backlog = before !== undefined && before.token === s.resumeToken ? before.backlog : null;
  if (before !== undefined) net.away.delete(player);
  if (grace <= 0) {
    if (before !== undefined && backlog !== null) dropBacklog(before, world.game?.outbox.stats);
    if (!cx.shuttingDown) cx.durable?.drop(s.resumeToken);
    return;
  }
  const { key, loopback } = addressKey(s.conn.remoteAddress);
  const addr = s.conn.remoteAddress === '' || (loopback && cx.cfg.parkedExemptLoopback) ? '' : key;
  // Not at shutdown: the process ends, and an eviction would drop a durable record the next process resumes.
  if (!cx.shuttingDown) makeRoom(cx, addr, ev);
  const t = cx.tables;
  const p: Parked = {
    world,
    player,
    token: s.resumeToken,
    addr,
    backlog,
    ledgerId: s.ledgerId,
    name: s.name,
    expiresAt: performance.now() + grace * 1000,
  };
  t.parked.set(s.resumeToken, p);
  listIdentity(t, world.id, s.ledgerId, s.resumeToken);
  if (addr !== '') {
    const list = t.parkedByAddress.get(addr);
    if (list) list.add(s.resumeToken);
    else t.parkedByAddress.set(addr, new Set([s.resumeToken]));
  }
  net.away.set(player, p);
  net.stats.parked++;
  const P = world.stores.Position;
  cx.durable?.park(s.resumeToken, s.ledgerId, world.id, s.name, P.x[player], P.y[player], cx.shuttingDown);
};

/** Remove the parked players whose grace period ended at `now` (a `remove` fact each) and drop their durable records. */
export const expireParked = (t: SessionTables, durable: DurableSessions | null, now: number): void => {
  for (const [token, p] of t.parked) if (p.expiresAt <= now) removeParked(t, durable, token, p);
};
