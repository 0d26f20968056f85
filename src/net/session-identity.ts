/**
 * One identity is one player per world (docs/PROTOCOL.md "Sessions"). The session registry
 * (session-registry.ts) finds the live or parked player of a hello's identity here, so a `hello`
 * without a resume token takes that player over as a resume would instead of spawning a second
 * body; and it serializes the joins of one identity: a hello of an identity whose join (fresh,
 * resume or takeover) is still being looked up in the durable store or applied by a step waits for
 * it (its messages held, as while the store resolves a hello), then takes over the player that join
 * produced.
 *
 * An identity is a durable player id that names someone: `t:` (a hello token) or `a:` (the
 * `authenticate` hook's identity). A generated `g:` id (empty token, or a token that only names a
 * session class: `bot`, `spectator`, `observer`) is nobody's: such sessions are never found here.
 *
 *   identities: world + player id → resume token of its live or parked session
 *   joiningIdentities: world + player id → joining sessions of it (enter fact not applied yet)
 *   pendingIdentities: world + player id → hellos of it being looked up in the durable store
 *   identityWaiters: world + player id → hellos waiting for its join in flight
 */
import { CloseCode } from '../errors.js';
import type { SimWorld } from '../world/sim-world.js';
import { holdForTakeover } from './game-backlog.js';
import type { WorldNet } from './replication.js';
import type { Conn, Session } from './session.js';
import { type SessionTables, type SessionWire, unlistSession, unpark } from './world-sessions.js';

/** A hello served again after the store named its identity (an empty token's resume token): that player id, and how many times. */
export interface Known {
  readonly playerId: string;
  readonly tries: number;
}

/** Retries of one hello after the store (each found its identity's player here); then it joins as the store answered. */
export const MAX_IDENTITY_RETRIES = 3;

/** The key of durable player id `ledgerId` in world `worldId`, or null when the id names nobody (`g:`). */
export const identityKey = (worldId: string, ledgerId: string): string | null =>
  ledgerId === '' || ledgerId.startsWith('g:') ? null : `${worldId}\n${ledgerId}`;

/** The session under `token` (live or parked) is the identity's player in its world now. */
export const listIdentity = (t: SessionTables, worldId: string, ledgerId: string, token: string): void => {
  const key = identityKey(worldId, ledgerId);
  if (key !== null) t.identities.set(key, token);
};

/** The session under `token` is no longer live or parked (resumed, taken over, expired, removed). */
export const unlistIdentity = (t: SessionTables, worldId: string, ledgerId: string, token: string): void => {
  const key = identityKey(worldId, ledgerId);
  if (key !== null && t.identities.get(key) === token) t.identities.delete(key);
};

/** True while a join of identity `key` is being looked up in the store or applied by a step. */
export const identityBusy = (t: SessionTables, key: string): boolean =>
  (t.joiningIdentities.get(key) ?? 0) > 0 || (t.pendingIdentities.get(key) ?? 0) > 0;

const bump = (m: Map<string, number>, key: string, d: number): void => {
  const n = (m.get(key) ?? 0) + d;
  if (n > 0) m.set(key, n);
  else m.delete(key);
};

/** Wake the hellos waiting for identity `key` once nothing of it is in flight (each runs after this turn, and checks again). */
const wake = (t: SessionTables, key: string): void => {
  if (identityBusy(t, key)) return;
  const list = t.identityWaiters.get(key);
  if (!list) return;
  t.identityWaiters.delete(key);
  // After this turn: never inside the ingest phase that applied the join.
  for (const run of list) setImmediate(run);
};

/** `s` starts joining (its enter fact pushed). */
export const addJoining = (t: SessionTables, s: Session): void => {
  t.joining.add(s);
  const key = identityKey(s.worldId, s.ledgerId);
  if (key !== null) bump(t.joiningIdentities, key, 1);
};

/** `s` stops joining (its enter fact applied, or its world detached). */
export const removeJoining = (t: SessionTables, s: Session): void => {
  if (!t.joining.delete(s)) return;
  const key = identityKey(s.worldId, s.ledgerId);
  if (key === null) return;
  bump(t.joiningIdentities, key, -1);
  wake(t, key);
};

/** A durable lookup of identity `key` starts (+1) or ends (-1). */
export const pendingIdentity = (t: SessionTables, key: string, d: 1 | -1): void => {
  bump(t.pendingIdentities, key, d);
  if (d < 0) wake(t, key);
};

/** Run `run` once no join of identity `key` is in flight (it must check again: another may have started). */
export const waitForIdentity = (t: SessionTables, key: string, run: () => void): void => {
  const list = t.identityWaiters.get(key);
  if (list) list.push(run);
  else t.identityWaiters.set(key, [run]);
};

/** Wake every hello waiting for an identity of world `worldId` (the world is no longer served: they are answered so). */
export const wakeWorldWaiters = (t: SessionTables, worldId: string): void => {
  const prefix = `${worldId}\n`;
  for (const [key, list] of t.identityWaiters)
    if (key.startsWith(prefix)) {
      t.identityWaiters.delete(key);
      for (const run of list) setImmediate(run);
    }
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
