/**
 * The session registry's tables (session-registry.ts) and what the game server does to every
 * session of one world at once: stop serving it (world deleted or moved), close its sessions
 * (lost lease), redirect them (migration), save live players' positions. The registry itself
 * handles one session at a time (join, resume, input, park, expire).
 *
 *   nets:    worldId → { world, net }                    (served worlds)
 *   live:    resumeToken → session                       (joined, welcomed; in net.sessions)
 *   parked:  resumeToken → { world, player, expiresAt }  (disconnected, resumable)
 *   parkedByAddress: client address key → parked tokens (net.maxParkedPerAddress, session-parking.ts)
 *   joining: sessions whose enter fact has not been applied yet
 *   pendingResumes: resume tokens being looked up in the durable store
 *   identities, joiningIdentities, pendingIdentities, identityWaiters, waitingConns: one identity, one player
 *            per world (session-identity.ts)
 */
import { CloseCode, WireErrorCode, type WireErrorCodeValue } from '../errors.js';
import { ANONYMOUS_PLAYER_IDLE_MS } from '../store/bounded-prune.js';
import type { SimWorld } from '../world/sim-world.js';
import type { ServerCodec } from './codec.js';
import type { NetConfig } from './net-config.js';
import type { DurableSessions } from './durable-sessions.js';
import { dropBacklog } from './game-backlog.js';
import { SESSION_INGEST_TYPE } from './player-facts.js';
import type { WorldNet } from './replication.js';
import type { Conn, Parked, Session } from './session.js';
import { expireIdentityWaiters, type IdentityTables, removeJoining, unlistIdentity, wakeWorldWaiters } from './session-identity.js';

/** What the session registry and these operations need from the transport (the game server's, game-server-wire.ts). */
export interface SessionWire {
  send(conn: Conn, bytes: Uint8Array): number;
  end(conn: Conn, code: number, reason: string): void;
  /** Answer an error; with `strike`, count an offence; with `closeCode`, close after it. */
  reply(conn: Conn, code: WireErrorCodeValue, message: string, strike: boolean, closeCode?: number): void;
}

/** A served world and its replication state. */
export interface WorldEntry {
  world: SimWorld;
  net: WorldNet;
}

/** The registry's tables (wall-time bookkeeping only; world state lives in the world); the identity ones: session-identity.ts. */
export interface SessionTables extends IdentityTables {
  /** Served worlds by id. */
  readonly nets: Map<string, WorldEntry>;
  /** Joined (welcomed) sessions by resume token. */
  readonly live: Map<string, Session>;
  /** Disconnected players still resumable, by resume token (insertion order = park order). */
  readonly parked: Map<string, Parked>;
  /** Parked players' tokens by the key of their last client address (only those counted for `net.maxParkedPerAddress`). */
  readonly parkedByAddress: Map<string, Set<string>>;
  /** Sessions whose enter fact has not been applied by a step yet. */
  readonly joining: Set<Session>;
  /** Resume tokens being looked up in the durable store right now (one lookup per token at a time). */
  readonly pendingResumes: Set<string>;
}

/** Empty tables. */
export const createSessionTables = (): SessionTables => ({
  nets: new Map(),
  live: new Map(),
  parked: new Map(),
  parkedByAddress: new Map(),
  joining: new Set(),
  pendingResumes: new Set(),
  identities: new Map(),
  joiningIdentities: new Map(),
  pendingIdentities: new Map(),
  identityWaiters: new Map(),
  waitingConns: new Map(),
  waitingSince: new WeakMap(),
});

/** Take `p` (parked under `token`) out of the parked table and its address's list (a resume, an expiry, an eviction). */
export const unpark = (t: SessionTables, token: string, p: Parked): void => {
  t.parked.delete(token);
  unlistIdentity(t, p.world.id, p.ledgerId, token);
  if (p.addr === '') return;
  const list = t.parkedByAddress.get(p.addr);
  if (!list) return;
  list.delete(token);
  if (list.size === 0) t.parkedByAddress.delete(p.addr);
};

/** Remove a session from replication and the live map (not from the world). */
export const unlistSession = (t: SessionTables, s: Session, net: WorldNet): void => {
  const i = net.sessions.indexOf(s);
  if (i >= 0) {
    net.sessions[i] = net.sessions[net.sessions.length - 1];
    net.sessions.pop();
  }
  if (net.byPlayer.get(s.player) === s) net.byPlayer.delete(s.player);
  if (t.live.get(s.resumeToken) === s) {
    t.live.delete(s.resumeToken);
    unlistIdentity(t, s.worldId, s.ledgerId, s.resumeToken);
  }
};

/** True when a session whose join is not applied yet presented resume token `token`. */
export const resumeInFlight = (t: SessionTables, token: string): boolean => {
  for (const j of t.joining) if (j.resumeToken === token) return true;
  return false;
};

/**
 * Joins wait in the world's `session` ingest buffer until its next step (a paused world: until it
 * is stepped or resumed). True when it holds its capacity (world capacity + 1) of facts: a hello is
 * then refused, so a flood of hellos can neither reach the buffer's hard bound (the push would
 * throw) nor take the room kept there for the park and expiry facts of the world's players
 * (3 × capacity), which must never be refused.
 */
export const joinBufferFull = (world: SimWorld): boolean => world.ingest.atCapacity(SESSION_INGEST_TYPE);

/** True when `world` has room for a join; else the hello is refused (WORLD_FULL, 4009) and `refused` counts it ({@link joinBufferFull}). */
export const roomToJoin = (wire: SessionWire, conn: Conn, world: SimWorld, refused: () => void): boolean => {
  if (!joinBufferFull(world)) return true;
  refused();
  wire.reply(conn, WireErrorCode.WORLD_FULL, 'too many joins waiting for the world to step; retry later', false, CloseCode.WORLD_FULL);
  return false;
};

/** Sessions of world `worldId`: its replicated sessions, then its joining ones (a new array). */
const sessionsOf = (t: SessionTables, worldId: string): Session[] => {
  const entry = t.nets.get(worldId);
  const out = entry ? [...entry.net.sessions] : [];
  for (const s of t.joining) if (s.worldId === worldId) out.push(s);
  return out;
};

/**
 * Stop serving a deleted world: close its sessions (4012 `world deleted`, or `code` and `reason`) without
 * parking them, forget its parked players, clear its `net` slot. A world that is not the one served under
 * its id is ignored.
 */
export const detachWorldSessions = (
  t: SessionTables,
  wire: SessionWire,
  world: SimWorld,
  code: number = CloseCode.WORLD_CLOSED,
  reason = 'world deleted',
): void => {
  const entry = t.nets.get(world.id);
  if (!entry || entry.world !== world) return;
  for (const s of sessionsOf(t, world.id)) {
    if (t.live.get(s.resumeToken) === s) {
      t.live.delete(s.resumeToken);
      unlistIdentity(t, s.worldId, s.ledgerId, s.resumeToken);
    }
    removeJoining(t, s);
    s.conn.session = null;
    wire.end(s.conn, code, reason);
  }
  for (const [token, p] of t.parked)
    if (p.world === world) {
      dropBacklog(p, world.game?.outbox.stats);
      unpark(t, token, p);
    }
  for (const p of entry.net.away.values()) dropBacklog(p, world.game?.outbox.stats);
  entry.net.away.clear();
  t.nets.delete(world.id);
  if (world.net === entry.net) world.net = null;
  wakeWorldWaiters(t, world.id);
};

/**
 * Close every session of a world (live and joining) with `code`, keeping the world attached:
 * the cluster's lost lease. The close handlers park the players as for any dropped socket.
 * Returns how many sockets were closed.
 */
export const closeWorldSessions = (t: SessionTables, wire: SessionWire, worldId: string, code: number, reason: string): number => {
  const closing = sessionsOf(t, worldId);
  for (const s of closing) wire.end(s.conn, code, reason);
  return closing.length;
};

/**
 * The world moved to another instance (cluster migration): send each of its sessions a
 * `redirect` to `url` with the ticket `ticketFor(resumeToken)` gives, then close it (4014).
 * A session still joining gets `ticketFor('')` (a ticket bound to no session): its client was never
 * told its resume token — the welcome carries it — so its next hello, with the resume token it sent
 * or none, could not match a ticket bound to it and would be refused `BAD_TICKET`. A migration holds
 * the world first, so every hello of the pause is still joining when this runs.
 * Returns how many sessions were redirected.
 */
export const redirectWorldSessions = (
  t: SessionTables,
  wire: SessionWire,
  codec: ServerCodec,
  worldId: string,
  url: string,
  ticketFor: (resumeToken: string) => string,
): number => {
  const moving = sessionsOf(t, worldId);
  for (const s of moving) {
    wire.send(s.conn, codec.redirect(worldId, url, ticketFor(t.joining.has(s) ? '' : s.resumeToken)));
    wire.end(s.conn, CloseCode.REDIRECTED, 'world moved');
  }
  return moving.length;
};

/** Stop serving every world (server stop): clear their `net` slots and the served-world table. */
export const detachAllWorlds = (t: SessionTables): void => {
  for (const { world, net } of t.nets.values()) if (world.net === net) world.net = null;
  t.nets.clear();
};

/**
 * A live player's record is written at least this often though the player did not move (ms): a tenth
 * of the idle time after which the anonymous-player prune may delete a `g:` player's records once it
 * has no session record left (src/store/bounded-prune.ts), so a player live for longer than its
 * 24-hour live record keeps them (docs/DURABILITY.md "Anonymous players").
 */
export const POSITION_REFRESH_MS = ANONYMOUS_PLAYER_IDLE_MS / 10;

/** Whether `s`'s player, now at (x, y), is due a save at `now`: it moved since its last save, or that save is old, failed or none. */
export const positionDue = (s: Session, x: number, y: number, now: number): boolean =>
  x !== s.savedX || y !== s.savedY || now - s.savedAt >= POSITION_REFRESH_MS;

/**
 * Save live players' positions to their durable records, all of them in one store transaction (one
 * commit: on SQLite one fsync on the event loop, not one per player); nothing without a store.
 * Only players due a save are written ({@link positionDue}: moved since their last save, or not saved
 * for {@link POSITION_REFRESH_MS}; a failed save is made again next time). With `slots` > 1, only the
 * sessions whose connection id is `slot` modulo `slots`: the periodic save spreads the live players
 * over that many sweeps, so no sweep's transaction holds them all (SQLite commits on the event loop:
 * 5,000 players' upserts in one transaction held it 31-68 ms, 120-400 ms on a loaded machine). At stop: every slot.
 */
export const saveLivePositions = (t: SessionTables, durable: DurableSessions | null, now: number, slot = 0, slots = 1): void => {
  if (!durable) return;
  const rows: Array<{ playerId: string; name: string; worldId: string; x: number; y: number }> = [];
  const saved: Session[] = [];
  for (const { world, net } of t.nets.values()) {
    const P = world.stores.Position;
    for (const s of net.sessions) {
      if (s.player < 0 || s.conn.id % slots !== slot) continue;
      const x = P.x[s.player];
      const y = P.y[s.player];
      if (!positionDue(s, x, y, now)) continue;
      s.savedX = x;
      s.savedY = y;
      s.savedAt = now;
      rows.push({ playerId: s.ledgerId, name: s.name, worldId: world.id, x, y });
      saved.push(s);
    }
  }
  if (rows.length === 0) return;
  durable.savePositions(rows).catch(() => {
    for (const s of saved) s.savedAt = Number.NEGATIVE_INFINITY;
  });
};

/**
 * Tell a world's owning clients when their wallet changes (a reward applied, a resume caught up);
 * nothing without a ledger. A state already sent on the socket is not sent again: entries committed
 * in one batch are applied by the first answer of the batch, which reports the wallet, and a later
 * answer of the same batch (`purchaseForPlayer`'s) reports the same state.
 */
export const attachWalletNotices = (t: SessionTables, wire: SessionWire, codec: ServerCodec, world: SimWorld): void => {
  const l = world.ledger;
  if (!l) return;
  l.onWalletChanged = (playerId, w) => {
    const entry = t.nets.get(world.id);
    const eid = l.eidOf.get(playerId);
    const s = entry && eid !== undefined ? entry.net.byPlayer.get(eid) : undefined;
    if (!s || s.ledgerId !== playerId) return;
    const state = `${w.appliedSeq}:${w.coins}:${JSON.stringify(w.items)}`;
    if (s.conn.walletSent === state) return;
    s.conn.walletSent = state;
    wire.send(s.conn, codec.wallet(w.coins, w.items, w.appliedSeq));
  };
};

/**
 * A hello waiting for its identity's join is bounded as a socket without a hello is: each one
 * waiting `timeoutMs` (net.helloTimeoutMs) or longer is answered UNAVAILABLE and closed 1013;
 * `refused` counts each.
 */
export const refuseExpiredIdentityWaits = (
  t: IdentityTables,
  wire: SessionWire,
  now: number,
  timeoutMs: number,
  refused: () => void,
): void => {
  for (const conn of expireIdentityWaiters(t, now, timeoutMs)) {
    conn.helloPending = false;
    refused();
    const msg = `the join of this identity is still in flight after net.helloTimeoutMs (${timeoutMs} ms); retry`;
    wire.reply(conn, WireErrorCode.UNAVAILABLE, msg, false, CloseCode.TRY_AGAIN);
  }
};

/** The `welcome` of session `s`, whose player the step just made or reattached (`resumed`). */
export const welcomeFrame = (codec: ServerCodec, cfg: NetConfig, world: SimWorld, s: Session, resumed: boolean): Uint8Array =>
  codec.welcome({
    sessionId: s.conn.id,
    playerId: s.player,
    stepRate: 1 / world.config.simulation.tickIntervalSeconds,
    worldTime: world.clock.now,
    step: world.clock.step,
    resumeToken: s.resumeToken,
    positionScale: cfg.positionScale,
    interestRadius: cfg.interestRadius,
    resumed,
    bounds: world.bounds,
    fields: world.game?.replicated?.description ?? null,
  });
