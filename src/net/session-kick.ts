/**
 * Sessions ended for good, without parking: kicks and leaves. The game (`kickPlayer`,
 * src/game/kick.ts, inside a step) or the operator (admin API, between steps) ends a player's
 * session (docs/GAME-API.md "Kicking a player", docs/ADMIN.md): its socket is closed 4020 (`KICKED`)
 * with the reason, after what was already sent to it. A client that sends `leave` (docs/PROTOCOL.md
 * "Leaving") ends its own: closed 1000 `left`. Either way its resume token is forgotten (live table,
 * identity, durable record), so a hello presenting it gets a fresh player (`RESUME_REFUSED`). The
 * player is not parked: a `kick` / `leave` fact removes it in the next step's ingest phase
 * (`onPlayerLeft` with `kicked: true` / `consented: true`), as a disconnect's park fact would park
 * it — and, like that one, the fact is recorded in the input log, so a replay removes the player at
 * the same step.
 *
 *   game:  kickPlayer (step N) ─► Player.session = KICKED_OWNER, net.kicks
 *            └─► end of step N's replicate phase: close 4020, `kick` fact {owner: session id}
 *   admin: POST …/players/{playerId}/kick (between steps): close 4020, `kick` fact {owner: session id}
 *   client: `leave` (between steps): close 1000 `left`, `leave` fact {owner: session id}
 *            └─► ingest phase of the next step: onPlayerLeft(kicked | consented), despawn, `leave` to other sessions
 */
import { CloseCode } from '../errors.js';
import type { DurableSessions } from './durable-sessions.js';
import { dropBacklog } from './game-backlog.js';
import { KICKED_OWNER, type LeaveFact, SESSION_INGEST_TYPE } from './player-facts.js';
import type { Session } from './session.js';
import { type SessionTables, type SessionWire, unlistSession, type WorldEntry } from './world-sessions.js';

/** Longest close reason in UTF-8 bytes: a close frame's payload is at most 125 bytes, 2 of them the code. */
export const MAX_KICK_REASON_BYTES = 123;

/** Close reason of a kick that gave none. */
export const DEFAULT_KICK_REASON = 'kicked';

/** What a kick uses of the session registry. */
export interface KickContext {
  readonly tables: SessionTables;
  readonly wire: SessionWire;
  readonly durable: DurableSessions | null;
}

/** Push the `kick` or `leave` fact of `player` (applied by the next step's ingest phase; never refused: the buffer is critical). */
const pushEndFact = (entry: WorldEntry, op: 'kick' | 'leave', player: number, owner: number): void => {
  const fact: LeaveFact = { op, player, owner, removed: entry.net.removed };
  entry.world.ingest.push(SESSION_INGEST_TYPE, player, fact);
};

/** Close session `s` with `code` and forget it: not listed, not parked, its token and durable record gone, messages kept for it dropped (counted). */
const endSession = (cx: KickContext, entry: WorldEntry, s: Session, code: number, reason: string): void => {
  const { world, net } = entry;
  unlistSession(cx.tables, s, net);
  s.conn.session = null;
  const away = net.away.get(s.player);
  if (away !== undefined) {
    net.away.delete(s.player);
    dropBacklog(away, world.game?.outbox.stats);
  }
  cx.durable?.drop(s.resumeToken);
  cx.wire.end(s.conn, code, reason);
};

/**
 * The game kicked `player` during the step that just ended (its `Player.session` is `KICKED_OWNER`
 * since): push its `kick` fact and close its session, if one is open (counted `kicks.game`). The
 * fact names the session (as the admin's does), so a replay, which has no such mark when the kick
 * was made outside a step, removes the player all the same.
 */
export const kickByGame = (cx: KickContext, entry: WorldEntry, player: number, reason: string): void => {
  const s = entry.net.byPlayer.get(player);
  pushEndFact(entry, 'kick', player, s === undefined ? KICKED_OWNER : s.conn.id);
  if (s === undefined) return;
  entry.net.stats.kicks.game++;
  endSession(cx, entry, s, CloseCode.KICKED, reason);
};

/**
 * The operator kicks the connected player of durable player id `playerId` (admin API, between
 * steps): close its session now and push its `kick` fact, owned by that session (counted
 * `kicks.admin`). Returns the player's entity, or -1 when no joined session of the world has that id
 * (a parked player is not kicked: its session ended already).
 */
export const kickByAdmin = (cx: KickContext, entry: WorldEntry, playerId: string, reason: string): number => {
  let s: Session | undefined;
  for (const x of entry.net.sessions)
    if (x.ledgerId === playerId && x.player >= 0) {
      s = x;
      break;
    }
  if (s === undefined) return -1;
  const player = s.player;
  pushEndFact(entry, 'kick', player, s.conn.id);
  entry.net.stats.kicks.admin++;
  endSession(cx, entry, s, CloseCode.KICKED, reason);
  return player;
};

/** Close reason of a socket the server closed (1000) because its client sent `leave`. */
export const LEFT_REASON = 'left';

/**
 * The client of welcomed session `s` sent `leave` (between steps): push its `leave` fact, owned by
 * that session, save its player's position (as a disconnect does: the identity's next join starts
 * there), and close it 1000 `left` without parking (counted `leaves`). The wallet, inventory and
 * ledger of its durable player are untouched. Nothing when its world is not served (`entry` undefined).
 */
export const leaveByClient = (cx: KickContext, entry: WorldEntry | undefined, s: Session): void => {
  if (entry === undefined) return;
  const player = s.player;
  pushEndFact(entry, 'leave', player, s.conn.id);
  entry.net.stats.leaves++;
  const P = entry.world.stores.Position;
  void cx.durable?.savePosition(s.ledgerId, s.name, entry.world.id, P.x[player], P.y[player]);
  endSession(cx, entry, s, CloseCode.NORMAL, LEFT_REASON);
};

/** Problems of a kick's `reason` (a string of at most {@link MAX_KICK_REASON_BYTES} UTF-8 bytes), or null. */
export const kickReasonProblem = (reason: unknown): string | null => {
  if (typeof reason !== 'string') return 'reason must be a string';
  const bytes = Buffer.byteLength(reason, 'utf8');
  if (bytes > MAX_KICK_REASON_BYTES)
    return `reason must be at most ${MAX_KICK_REASON_BYTES} UTF-8 bytes (a WebSocket close reason), got ${bytes}`;
  return null;
};
