/**
 * The durable half of a hello (session-registry.ts): a resume token that is not in memory, or a
 * fresh player with a durable store, is resolved by the store (durable-sessions.ts) before the
 * session is created; the answer arrives once the session record is committed (the write-behind
 * batch of its turn, shared with every other hello, park and drop of that turn), so the welcome's
 * token is durable. One lookup per token at a time; the answer is checked again when it arrives
 * (socket gone, world deleted, maintenance, join buffer full), and a fresh player's record is
 * dropped (a resumed one put back) when its join goes no further. A failed commit is answered
 * UNAVAILABLE (closed 1013) to every hello of its batch.
 */
import { CloseCode, WireErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import type { SimWorld } from '../world/sim-world.js';
import type { DurableSessions } from './durable-sessions.js';
import type { HelloIdentity } from './hello-auth.js';
import type { HelloMsg } from './protocol.js';
import type { Conn } from './session.js';
import { identityBusy, identityKey, pendingIdentity } from './session-identity.js';
import { resumeInFlight, type SessionTables, type SessionWire } from './world-sessions.js';

/** The error message of a hello refused NEW_PLAYER_LIMITED. */
const NEW_PLAYER_LIMITED_MESSAGE = 'too many new players from this address; retry later';

/** What the durable hello uses of the registry. */
export interface DurableHelloContext {
  readonly durable: DurableSessions;
  readonly tables: SessionTables;
  readonly wire: SessionWire;
  readonly log: Logger;
  /** Counts a hello that failed after the lookup (a bug; answered INTERNAL). */
  failed(): void;
  /** The socket's check for a new player identity (new-player-limit.ts), or null. */
  readonly admitNew: (() => boolean) | null;
  /** Called once the lookup settled (joined, refused or failed). */
  settled(conn: Conn): void;
  /** True when the world's join buffer has room (else the hello was refused WORLD_FULL). */
  roomToJoin(conn: Conn, world: SimWorld): boolean;
  /** The world + identity key of the hello (session-identity.ts), or null (anonymous, or not known before the lookup). */
  readonly identity: string | null;
  /**
   * The store resumed player `playerId`, whose identity is live, parked or joining in this world
   * (an empty token's resume token): serve the hello again to take that player over. False: retried
   * too often, join as the store answered.
   */
  retry(playerId: string): boolean;
  /** Create the joining session (player -1: the store's resume is a fresh entity) and push its enter fact. */
  enter(conn: Conn, world: SimWorld, token: string, playerId: string, x: number, y: number, resumed: boolean): void;
}

/**
 * Resolve `m` against the durable store, then join (`cx.enter`) or answer the refusal. `x`, `y`:
 * the spawn point drawn for this join (used when the store has no position in the bounds).
 */
export const durableHello = (
  cx: DurableHelloContext,
  conn: Conn,
  m: HelloMsg,
  world: SimWorld,
  x: number,
  y: number,
  refuseNew: boolean,
  auth: HelloIdentity | null,
): void => {
  const { durable, tables, wire } = cx;
  const { minX, minY, maxX, maxY } = world.bounds;
  // One lookup per token at a time: a token whose resume is already being looked up or applied
  // gets a fresh player (as in memory, without the code), or concurrent hellos with one token
  // all resumed the same player as separate entities.
  const resumeToken =
    m.resumeToken && !tables.pendingResumes.has(m.resumeToken) && !resumeInFlight(tables, m.resumeToken) ? m.resumeToken : null;
  if (resumeToken) tables.pendingResumes.add(resumeToken);
  // Hellos of the same identity wait until this lookup settled (session-identity.ts).
  let pending = cx.identity !== null;
  const release = (): void => {
    if (pending && cx.identity !== null) pendingIdentity(tables, cx.identity, -1);
    pending = false;
  };
  if (cx.identity !== null) pendingIdentity(tables, cx.identity, 1);
  conn.helloPending = true;
  durable
    .resolve(world.id, m.name, m.token, resumeToken, x, y, auth ? auth.playerId : null, cx.admitNew)
    .then(
      (r) => {
        release();
        conn.helloPending = false;
        if (r.limited)
          return wire.reply(conn, WireErrorCode.NEW_PLAYER_LIMITED, NEW_PLAYER_LIMITED_MESSAGE, false, CloseCode.NEW_PLAYER_LIMITED);
        // The join goes no further: a fresh player's record is dropped (the client never gets its
        // token), a resumed one put back as it was (durable-sessions.ts, abandon).
        const abandon = (): void => durable.abandon(r);
        if (conn.closed || conn.session) return abandon();
        const entry = tables.nets.get(world.id);
        if (!entry || entry.world !== world) {
          abandon();
          return wire.reply(conn, WireErrorCode.UNKNOWN_WORLD, 'no such world', true, CloseCode.UNKNOWN_WORLD);
        }
        if (!r.resumed && refuseNew) {
          abandon();
          return wire.reply(conn, WireErrorCode.MAINTENANCE, 'world is in maintenance; retry later', false, CloseCode.MAINTENANCE);
        }
        // One identity, one player per world: a player of this id is live, parked or joining here (the
        // hello's identity was not known before the lookup): served again, it takes that player over.
        const key = identityKey(world.id, r.playerId);
        if (key !== null && (identityBusy(tables, key) || tables.identities.has(key)) && cx.retry(r.playerId)) {
          abandon();
          conn.helloPending = true; // held messages wait for the retry
          return;
        }
        if (!cx.roomToJoin(conn, world)) return abandon();
        if (r.refused) wire.reply(conn, WireErrorCode.RESUME_REFUSED, `${r.refused}: joined as a new player`, false);
        const inside = (v: number | null, lo: number, hi: number, d: number): number => (v === null || v < lo || v > hi ? d : v);
        cx.enter(conn, world, r.resumeToken, r.playerId, inside(r.x, minX, maxX, x), inside(r.y, minY, maxY, y), r.resumed);
      },
      (err: unknown) => {
        release();
        conn.helloPending = false;
        cx.log.warn({ err, conn: conn.id, world: world.id }, 'durable session lookup failed');
        if (!conn.closed) wire.reply(conn, WireErrorCode.UNAVAILABLE, 'session store unavailable; retry', false, CloseCode.TRY_AGAIN);
      },
    )
    // A throw in the handlers above must not become an unhandled rejection (it ends the process).
    .catch((err: unknown) => {
      cx.failed();
      cx.log.error({ err, conn: conn.id, world: world.id }, 'hello after the durable lookup failed');
      if (!conn.closed && !conn.session) wire.reply(conn, WireErrorCode.INTERNAL, 'internal error', false);
    })
    .finally(() => {
      release();
      if (resumeToken) tables.pendingResumes.delete(resumeToken);
      if (!conn.helloPending) cx.settled(conn); // else retried: settled by the retry
    });
};
