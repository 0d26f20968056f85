/**
 * Claiming a player for a hello (session-registry.ts): the parked or live player of a resume token
 * — the one the hello presented, or the session of its identity (session-identity.ts) — moves to
 * the hello's socket. A live one's old socket is closed 4011 without parking.
 */
import { CloseCode } from '../errors.js';
import type { SimWorld } from '../world/sim-world.js';
import { holdForTakeover } from './game-backlog.js';
import type { WorldNet } from './replication.js';
import type { Conn } from './session.js';
import { type SessionTables, type SessionWire, unlistSession, unpark } from './world-sessions.js';

/**
 * Players claimed by hellos (`GameServer.stats().takeovers`), by how — the hello's resume token, or
 * its identity without one (session-identity.ts) — and from what: a live player (its old socket
 * closed 4011) or a parked one. A resume the durable store answers (a player not in memory) is not
 * a claim here.
 */
export interface TakeoverCounts {
  resumeLive: number;
  resumeParked: number;
  identityLive: number;
  identityParked: number;
}

/** Count claim `c`, made by the hello's resume token (`byToken`) or by its identity. */
export const countTakeover = (n: TakeoverCounts, c: Claim, byToken: boolean): void => {
  if (byToken) {
    if (c.owner === -1) n.resumeParked++;
    else n.resumeLive++;
  } else if (c.owner === -1) n.identityParked++;
  else n.identityLive++;
};

/** The player a hello claimed (a resume, a takeover): its entity, the socket that owned it (-1: parked), its durable id and token. */
export interface Claim {
  readonly player: number;
  readonly owner: number;
  readonly ledgerId: string;
  readonly token: string;
}

/**
 * Claim the player of resume token `tok` in `world` for `conn`: a parked one leaves the parked
 * table, a live one of another socket is taken over (that socket closed 4011 without parking; its
 * messages held meanwhile). Null when `tok` names neither here, or its player is `foreign` (another
 * identity's: left alone).
 */
export const claimPlayer = (
  t: SessionTables,
  wire: SessionWire,
  net: WorldNet,
  world: SimWorld,
  conn: Conn,
  tok: string,
  foreign: (ledgerId: string) => boolean,
): Claim | null => {
  const parked = t.parked.get(tok);
  if (parked && parked.world === world && !foreign(parked.ledgerId)) {
    // Out of the parked table (no expiry, no eviction while its join waits); its away entry
    // stays until the join applies, so messages sent meanwhile are kept for it.
    unpark(t, tok, parked);
    net.stats.parked--;
    return { player: parked.player, owner: -1, ledgerId: parked.ledgerId, token: tok };
  }
  const live = t.live.get(tok);
  if (!live || live.worldId !== world.id || live.conn === conn || foreign(live.ledgerId)) return null;
  unlistSession(t, live, net);
  holdForTakeover(net, world, live);
  live.conn.session = null;
  wire.end(live.conn, CloseCode.SESSION_REPLACED, 'session resumed elsewhere');
  return { player: live.player, owner: live.conn.id, ledgerId: live.ledgerId, token: tok };
};
