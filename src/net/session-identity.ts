/**
 * One identity is one player per world (docs/PROTOCOL.md "Sessions"). The session registry
 * (session-registry.ts) finds the live or parked player of a hello's identity here, so a `hello`
 * without a resume token takes that player over as a resume would instead of spawning a second
 * body; and it serializes the joins of one identity: a hello of an identity whose join (fresh,
 * resume or takeover) is still being looked up in the durable store or applied by a step waits for
 * it (its messages held, as while the store resolves a hello; at most `net.helloTimeoutMs`, then it is
 * answered UNAVAILABLE by the registry's sweep), then takes over the player that join produced.
 *
 * An identity is a durable player id that names someone: `t:` (a hello token) or `a:` (the
 * `authenticate` hook's identity). A generated `g:` id (empty token, or a token that only names a
 * session class: `bot`, `spectator`, `observer`) is nobody's: such sessions are never found here.
 *
 *   identities: world + player id → resume token of its live or parked session
 *   joiningIdentities: world + player id → joining sessions of it (enter fact not applied yet)
 *   pendingIdentities: world + player id → hellos of it being looked up in the durable store
 *   identityWaiters: world + player id → hellos waiting for its join in flight (each at most
 *                    `net.helloTimeoutMs`, expireIdentityWaiters)
 *   waitingConns: socket → the identity key it waits for (a socket that closes leaves its list)
 *
 * The takeover itself (a parked or live player claimed for a new socket) is in session-claim.ts.
 */
import type { Conn, Session } from './session.js';

/** A hello waiting for its identity's join in flight: its socket, since when it first waited (wall ms, `performance.now()`), what serves it again. */
export interface IdentityWaiter {
  readonly conn: Conn;
  readonly since: number;
  readonly run: () => void;
}

/** The session tables this file keeps (part of world-sessions.ts `SessionTables`). */
export interface IdentityTables {
  /** Sessions whose enter fact has not been applied by a step yet. */
  readonly joining: Set<Session>;
  /** World + identity (player id) → resume token of its live or parked session. */
  readonly identities: Map<string, string>;
  /** World + identity → how many of its sessions are joining. */
  readonly joiningIdentities: Map<string, number>;
  /** World + identity → how many hellos of it the durable store is looking up. */
  readonly pendingIdentities: Map<string, number>;
  /** World + identity → hellos waiting for its join in flight (arrival order). */
  readonly identityWaiters: Map<string, IdentityWaiter[]>;
  /** Socket of a waiting hello → the identity key it waits for (one wait per socket). */
  readonly waitingConns: Map<Conn, string>;
  /** Socket → when its hello first waited (a hello woken that must wait again keeps it; dropped once it stops waiting). */
  readonly waitingSince: WeakMap<Conn, number>;
}

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
export const listIdentity = (t: IdentityTables, worldId: string, ledgerId: string, token: string): void => {
  const key = identityKey(worldId, ledgerId);
  if (key !== null) t.identities.set(key, token);
};

/** The session under `token` is no longer live or parked (resumed, taken over, expired, removed). */
export const unlistIdentity = (t: IdentityTables, worldId: string, ledgerId: string, token: string): void => {
  const key = identityKey(worldId, ledgerId);
  if (key !== null && t.identities.get(key) === token) t.identities.delete(key);
};

/** True while a join of identity `key` is being looked up in the store or applied by a step. */
export const identityBusy = (t: IdentityTables, key: string): boolean =>
  (t.joiningIdentities.get(key) ?? 0) > 0 || (t.pendingIdentities.get(key) ?? 0) > 0;

const bump = (m: Map<string, number>, key: string, d: number): void => {
  const n = (m.get(key) ?? 0) + d;
  if (n > 0) m.set(key, n);
  else m.delete(key);
};

/** Wake the hellos waiting for identity `key` once nothing of it is in flight (each runs after this turn, and checks again). */
const wake = (t: IdentityTables, key: string): void => {
  if (identityBusy(t, key)) return;
  const list = t.identityWaiters.get(key);
  if (!list) return;
  t.identityWaiters.delete(key);
  // After this turn: never inside the ingest phase that applied the join.
  for (const w of list) {
    t.waitingConns.delete(w.conn);
    setImmediate(w.run);
  }
};

/** `s` starts joining (its enter fact pushed). */
export const addJoining = (t: IdentityTables, s: Session): void => {
  t.joining.add(s);
  const key = identityKey(s.worldId, s.ledgerId);
  if (key !== null) bump(t.joiningIdentities, key, 1);
};

/** `s` stops joining (its enter fact applied, or its world detached). */
export const removeJoining = (t: IdentityTables, s: Session): void => {
  if (!t.joining.delete(s)) return;
  const key = identityKey(s.worldId, s.ledgerId);
  if (key === null) return;
  bump(t.joiningIdentities, key, -1);
  wake(t, key);
};

/** A durable lookup of identity `key` starts (+1) or ends (-1). */
export const pendingIdentity = (t: IdentityTables, key: string, d: 1 | -1): void => {
  bump(t.pendingIdentities, key, d);
  if (d < 0) wake(t, key);
};

/**
 * Run `run` once no join of identity `key` is in flight (it must check again: another may have
 * started). `since`: wall ms (`performance.now()`) when the hello first waited, from which
 * {@link expireIdentityWaiters} bounds the wait.
 */
export const waitForIdentity = (t: IdentityTables, key: string, conn: Conn, since: number, run: () => void): void => {
  const w: IdentityWaiter = { conn, since, run };
  const list = t.identityWaiters.get(key);
  if (list) list.push(w);
  else t.identityWaiters.set(key, [w]);
  t.waitingConns.set(conn, key);
};

/** Take `conn`'s waiting hello out of its identity's list (its socket closed, or its wait timed out); false when it waited for nothing. */
export const leaveIdentityWait = (t: IdentityTables, conn: Conn): boolean => {
  const key = t.waitingConns.get(conn);
  if (key === undefined) return false;
  t.waitingConns.delete(conn);
  const list = t.identityWaiters.get(key);
  if (!list) return true;
  const i = list.findIndex((w) => w.conn === conn);
  if (i >= 0) list.splice(i, 1);
  if (list.length === 0) t.identityWaiters.delete(key);
  return true;
};

/**
 * Hellos that waited `timeoutMs` or longer (wall ms, up to `now`) for their identity's join: taken
 * out of the tables and returned (the registry answers them). A hello that waits again keeps its
 * first `since`, so a list is not in `since` order: each is scanned whole (its length is bounded by
 * the open sockets).
 */
export const expireIdentityWaiters = (t: IdentityTables, now: number, timeoutMs: number): Conn[] => {
  const out: Conn[] = [];
  for (const [key, list] of t.identityWaiters) {
    let kept = 0;
    for (const w of list) {
      if (now - w.since < timeoutMs) list[kept++] = w;
      else {
        t.waitingConns.delete(w.conn);
        out.push(w.conn);
      }
    }
    list.length = kept;
    if (kept === 0) t.identityWaiters.delete(key);
  }
  return out;
};

/** Wake every hello waiting for an identity of world `worldId` (the world is no longer served: they are answered so). */
export const wakeWorldWaiters = (t: IdentityTables, worldId: string): void => {
  const prefix = `${worldId}\n`;
  for (const [key, list] of t.identityWaiters)
    if (key.startsWith(prefix)) {
      t.identityWaiters.delete(key);
      for (const w of list) {
        t.waitingConns.delete(w.conn);
        setImmediate(w.run);
      }
    }
};

/**
 * Hold `conn`'s hello until no join of identity `key` is in flight, then `run` it again: its
 * messages are held meanwhile (game-server-wire.ts), for at most `net.helloTimeoutMs` from when it
 * first waited ({@link expireIdentityWaiters}); a socket that closes leaves the list ({@link leaveIdentityWait}).
 */
export const holdForIdentity = (t: IdentityTables, key: string, conn: Conn, run: () => void): void => {
  conn.helloPending = true;
  const since = t.waitingSince.get(conn) ?? performance.now();
  t.waitingSince.set(conn, since);
  waitForIdentity(t, key, conn, since, run);
};

/** A hello served again settled its wait unless it waits once more: its first start is dropped then. */
export const settledIdentityWait = (t: IdentityTables, conn: Conn): void => {
  if (!t.waitingConns.has(conn)) t.waitingSince.delete(conn);
};
