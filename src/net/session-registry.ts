/**
 * The session registry: which sockets own which players in which worlds. It handles join,
 * resume, takeover, park and expire as bookkeeping plus ingest facts (player-facts.ts): it
 * never writes the world itself. A `hello` creates a joining session (player -1) and pushes an
 * `enter` fact; the next step's ingest phase applies it and calls back, and only then is the
 * session listed for replication and sent its `welcome` (so the welcome always precedes the
 * first snapshot, inside the same step).
 *
 * Its tables (served worlds, live, parked and joining sessions; wall time only) and the
 * operations on every session of a world at once (detach, close, redirect, save positions) are
 * in world-sessions.ts; this class handles one session at a time. A hello the durable store must
 * resolve goes through durable-hello.ts; parking, its caps and expiry are in session-parking.ts;
 * the messages kept for a player while it is away (parked, or taken over) in game-backlog.ts.
 */
import { CloseCode, WireErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { bindPlayer } from '../ledger/world-ledger.js';
import { durableHello } from './durable-hello.js';
import { freshPlayerId, identityOfToken, newResumeToken, type DurableSessions } from './durable-sessions.js';
import type { HelloIdentity } from './hello-auth.js';
import { createPrng, nextRange, type Prng } from '../world/prng.js';
import type { SimWorld } from '../world/sim-world.js';
import type { ServerCodec } from './codec.js';
import { defineInputIngest, INPUT_INGEST_TYPE, type InputFact } from './input.js';
import type { NetConfig } from './net-config.js';
import { createRegistryCounters, type RegistryCounters } from './net-stats.js';
import { admitHello, expireJoinWaiters, JoinAdmission } from './join-admission.js';
import { defineSessionIngest, JOIN_WORLD_FULL, SESSION_INGEST_TYPE, type EnterFact } from './player-facts.js';
import { settleAway } from './game-backlog.js';
import { evictParkedForJoin, expireParked, leaveSession } from './session-parking.js';
import type { HelloMsg, InputMsg } from './protocol.js';
import { createWorldNet, type NetTransport, type WorldNet } from './replication.js';
import { createSession, type Conn, type Session } from './session.js';
import { claimPlayer, countTakeover } from './session-claim.js';
import { type KickContext, kickByAdmin, kickByGame, leaveByClient } from './session-kick.js';
import {
  addJoining,
  identityBusy,
  identityKey,
  type Known,
  leaveIdentityWait,
  listIdentity,
  MAX_IDENTITY_RETRIES,
  removeJoining,
  holdForIdentity,
  settledIdentityWait,
} from './session-identity.js';
import type { SessionClassHook } from './session-class-hook.js';
import { classFromToken, SessionClass, sessionClassCode } from './session-priority.js';
import {
  attachWalletNotices,
  createSessionTables,
  unlistSession,
  roomToJoin,
  refuseExpiredIdentityWaits,
  welcomeFrame,
  resumeInFlight,
  saveLivePositions,
  type SessionTables,
  type SessionWire,
  type WorldEntry,
} from './world-sessions.js';

/** Each live player's position is saved every this many sweeps (≈ 2 s), one slot a sweep (world-sessions.ts saveLivePositions). */
const POSITION_SAVE_SWEEPS = 8;
/** Expired durable session records are pruned every this many sweeps (about a minute). */
const PRUNE_SWEEPS = 240;

/** Session registry of one game server. A class: it owns the maps of sessions and parked players. */
export class SessionRegistry {
  /** Served worlds, live, parked and joining sessions (world-sessions.ts acts on them per world). */
  readonly tables: SessionTables = createSessionTables();
  /** Served worlds by id (`tables.nets`). */
  readonly nets: Map<string, WorldEntry> = this.tables.nets;
  readonly counters: RegistryCounters = createRegistryCounters();
  /** Join slots per world and step, and the queue of hellos waiting for one (join-admission.ts). */
  readonly admission: JoinAdmission;
  readonly #cfg: NetConfig;
  readonly #codec: ServerCodec;
  readonly #wire: SessionWire;
  readonly #transport: NetTransport;
  readonly #log: Logger;
  readonly #rng: Prng;
  readonly #live: Map<string, Session> = this.tables.live;
  /** Called when a hello resolved by the durable store settled (joined, refused or failed): the server dispatches what it held. */
  onHelloSettled: ((conn: Conn) => void) | null = null;
  /** New-player admission (`net.maxNewPlayersPerAddressPerMinute`, new-player-limit.ts): the socket's check, asked at hello, called by the store before it creates a player. */
  admitNewPlayer: ((conn: Conn) => () => boolean) | null = null;
  /** Durable sessions (null without a store): set by the game server at start. */
  durable: DurableSessions | null = null;
  /** Set by the server's stop: sessions closing now were live at shutdown (their grace restarts with the next process). */
  shuttingDown = false;
  #sweeps = 0;

  readonly #classify: SessionClassHook;

  constructor(
    cfg: NetConfig,
    codec: ServerCodec,
    wire: SessionWire,
    transport: NetTransport,
    log: Logger,
    spawnSeed: number,
    classify?: SessionClassHook,
  ) {
    this.#classify = classify ?? ((m) => classFromToken(m.token));
    this.#cfg = cfg;
    this.#codec = codec;
    this.#wire = wire;
    this.#transport = transport;
    this.#log = log;
    this.#rng = createPrng(spawnSeed);
    this.admission = new JoinAdmission(cfg);
  }

  /** Times the game's sessionClass hook threw or named no class (session-priority.ts `sessionClassCode`). */
  readonly #badClasses = { n: 0 };

  /** Sessions waiting for their join to be applied by a step. */
  get joining(): number {
    return this.tables.joining.size;
  }

  /** Serve `world`: attach its replication slot and define the `input` and `session` ingest types. */
  attach(world: SimWorld): WorldNet {
    const have = this.nets.get(world.id);
    if (have && have.world === world) return have.net;
    defineInputIngest(world, this.#cfg.maxSpeed);
    defineSessionIngest(world);
    const net = createWorldNet(world, this.#cfg, this.#transport);
    net.stepped = () => this.admission.stepped(world);
    const entry: WorldEntry = { world, net };
    net.kick = (player, reason) => kickByGame(this.#kickContext(), entry, player, reason);
    world.net = net;
    this.nets.set(world.id, entry);
    this.attachLedger(world);
    return net;
  }

  /** Tell owning clients when their wallet changes (a reward applied, a resume caught up). */
  attachLedger(world: SimWorld): void {
    attachWalletNotices(this.tables, this.#wire, this.#codec, world);
  }

  /**
   * A valid hello for `world`: decide resume / takeover / new player, create the joining
   * session and push its enter fact. The welcome is sent when a step applies it. `auth`: the
   * identity the game's `authenticate` hook accepted (null without a hook): its player id replaces
   * the hello token's, for a fresh player and for the resume checks. One identity is one player
   * per world (session-identity.ts): a hello of an identity whose player is live or parked here
   * takes it over, resume token or not; one whose join is in flight waits for it. `known`: a retry
   * after the store named the player id of an empty token's resume token, which is live here.
   */
  hello(conn: Conn, m: HelloMsg, world: SimWorld, refuseNew = false, auth: HelloIdentity | null = null, known: Known | null = null): void {
    const net = this.attach(world);
    if (!this.#roomToJoin(conn, world)) return;
    const claimed = auth ? auth.playerId : identityOfToken(m.token);
    const key = identityKey(world.id, claimed ?? known?.playerId ?? '');
    const rerun = (): void => this.#rerun(conn, m, world, refuseNew, auth, known);
    if (key !== null && identityBusy(this.tables, key)) return holdForIdentity(this.tables, key, conn, rerun);
    // A join slot of this step (join-admission.ts); a hello waiting for its identity takes none.
    if (!admitHello(this.admission, this.#wire, conn, world, rerun)) return;
    let player = -1,
      owner = -1;
    let token = '',
      ledgerId = '';
    // A resume token never hands one identity's player to another: a hello whose identity (the hook's,
    // else the token's) differs is refused (RESUME_REFUSED, fresh join below) and the parked or live
    // player is left alone, as the durable store refuses it (durable-sessions.ts). An anonymous hello
    // (empty or class-only token) may resume.
    const foreign = (ledgerId: string): boolean => claimed !== null && claimed !== ledgerId;
    const take = (tok: string, byToken: boolean): void => {
      const c = claimPlayer(this.tables, this.#wire, net, world, conn, tok, foreign);
      if (c) ({ player, owner, ledgerId, token } = c);
      if (c) countTakeover(this.counters.takeovers, c, byToken);
    };
    if (m.resumeToken) take(m.resumeToken, true);
    // One identity, one player per world: its live or parked player is taken over without its resume token too.
    const mine = key === null || player >= 0 ? undefined : this.tables.identities.get(key);
    if (mine !== undefined) take(mine, false);
    // Drawn for every join (also resumes), so spawn points depend only on the join order.
    const { minX, minY, maxX, maxY } = world.bounds;
    const x = nextRange(this.#rng, minX, maxX),
      y = nextRange(this.#rng, minY, maxY);
    const durable = this.durable;
    if (player >= 0 || !durable) {
      // Maintenance: a resume of an existing player is still accepted, a new player is not.
      if (player < 0 && refuseNew)
        return this.#wire.reply(conn, WireErrorCode.MAINTENANCE, 'world is in maintenance; retry later', false, CloseCode.MAINTENANCE);
      if (player < 0) {
        // Refused with a code when unknown or expired. A token whose resume is still being applied
        // (another socket's join in flight) is not unknown: that race keeps the old answer, a fresh
        // player without the code.
        if (m.resumeToken && !resumeInFlight(this.tables, m.resumeToken))
          this.#wire.reply(conn, WireErrorCode.RESUME_REFUSED, 'unknown or expired resume token: joined as a new player', false);
        token = newResumeToken();
        ledgerId = auth ? auth.playerId : freshPlayerId(m.token);
      }
      return this.#enter(conn, m, world, player, owner, token, ledgerId, x, y, false, auth);
    }
    // Not in memory: ask the durable store (a session live before a restart, or a parked one).
    durableHello(
      {
        durable,
        tables: this.tables,
        wire: this.#wire,
        log: this.#log,
        identity: key,
        failed: () => void this.counters.joinsFailed++,
        admitNew: this.admitNewPlayer?.(conn) ?? null,
        settled: (c) => this.onHelloSettled?.(c),
        roomToJoin: (c, w) => this.#roomToJoin(c, w),
        enter: (c, w, tok, playerId, sx, sy, resumed) => this.#enter(c, m, w, -1, -1, tok, playerId, sx, sy, resumed, auth),
        // The store resumed a player of an identity that is live, parked or joining here: take that over instead.
        retry: (playerId) => {
          const tries = (known?.tries ?? 0) + 1;
          if (tries > MAX_IDENTITY_RETRIES) return false;
          setImmediate(() => this.#rerun(conn, m, world, refuseNew, auth, { playerId, tries }));
          return true;
        },
      },
      conn,
      m,
      world,
      x,
      y,
      refuseNew,
      auth,
    );
  }

  /** Serve a hello that waited (its identity's join in flight, or a retry after the store), then release what was held. */
  #rerun(conn: Conn, m: HelloMsg, world: SimWorld, refuseNew: boolean, auth: HelloIdentity | null, known: Known | null): void {
    conn.helloPending = false;
    if (conn.closed) return;
    const entry = this.nets.get(world.id);
    try {
      if (!entry || entry.world !== world)
        this.#wire.reply(conn, WireErrorCode.UNKNOWN_WORLD, 'no such world', false, CloseCode.UNKNOWN_WORLD);
      else this.hello(conn, m, world, refuseNew, auth, known);
    } catch (err) {
      this.counters.joinsFailed++;
      this.#log.error({ err, conn: conn.id, world: world.id }, 'hello of a waiting identity failed');
      if (!conn.closed && !conn.session) this.#wire.reply(conn, WireErrorCode.INTERNAL, 'internal error', false);
    }
    settledIdentityWait(this.tables, conn);
    if (!conn.helloPending) this.onHelloSettled?.(conn);
  }

  /** Room for a join in `world`, else the hello is refused WORLD_FULL (world-sessions.ts `roomToJoin`), counted. */
  #roomToJoin(conn: Conn, world: SimWorld): boolean {
    return roomToJoin(this.#wire, conn, world, () => void this.counters.joinsRefused++);
  }

  /** Create the joining session and push its enter fact (the welcome is sent when a step applies it). */
  #enter(
    conn: Conn,
    m: HelloMsg,
    world: SimWorld,
    player: number,
    owner: number,
    token: string,
    ledgerId: string,
    x: number,
    y: number,
    durableResume = false,
    auth: HelloIdentity | null = null,
  ): void {
    const cfg = this.#cfg;
    const cls = auth?.cls ? SessionClass[auth.cls] : sessionClassCode(() => this.#classify(m, world), this.#log, this.#badClasses);
    const s = createSession(conn, world.id, -1, m.name, token, cfg.interestRadius, cls, ledgerId);
    const fact: EnterFact = {
      op: 'enter',
      session: conn.id,
      player,
      owner,
      x,
      y,
      interestRadius: cfg.interestRadius,
      cls,
      live: () => !conn.closed && conn.session === s,
      applied: (eid, reattached) => this.#joined(s, world, eid, reattached || durableResume, player < 0 && !durableResume, player, owner),
      // A live player beats a ghost: a full world gives up its oldest parked player (session-parking.ts).
      evictParked: (isParked) => evictParkedForJoin(this.tables, this.durable, world, isParked, this.counters.parkedEvicted),
    };
    // Throws only when the critical buffer is at its hard bound (4 × capacity facts pending).
    world.ingest.push(SESSION_INGEST_TYPE, conn.id, fact);
    conn.session = s;
    addJoining(this.tables, s);
  }

  /**
   * Inside the ingest phase: the enter fact of `s` was applied. `fresh`: a new player (not a
   * resume), whose durable record is dropped if it got no player (socket gone, world full).
   * `requested`: the player a resume or takeover asked for (-1: none); `owner`: the `Player.session`
   * it had to have (-1: parked, a resume; else the taken-over socket's).
   */
  #joined(s: Session, world: SimWorld, eid: number, reattached: boolean, fresh: boolean, requested: number, owner: number): void {
    removeJoining(this.tables, s);
    const entry = this.nets.get(world.id);
    const conn = s.conn;
    if (requested >= 0 && entry && entry.world === world) settleAway(entry.net, world.game?.outbox.stats, s, eid, requested, null);
    if (conn.closed || conn.session !== s || !entry || entry.world !== world) {
      // Gone before the step: a reattached player stays parked for its token (it was parked by the fact).
      // A resumed one was parked already (its game heard `onPlayerLeft` then): bookkeeping only, no
      // second park fact; a taken-over one left just now, and its park fact tells the game.
      if (eid >= 0 && reattached && s.resumeToken && entry && entry.world === world) this.#leave(s, entry, eid, -1, owner !== -1);
      else if (fresh) this.durable?.drop(s.resumeToken);
      return;
    }
    if (eid < 0) {
      if (fresh) this.durable?.drop(s.resumeToken);
      conn.session = null;
      if (eid === JOIN_WORLD_FULL) {
        this.counters.joinsRefused++;
        return this.#wire.reply(conn, WireErrorCode.WORLD_FULL, 'world is full', false, CloseCode.WORLD_FULL);
      }
      this.counters.joinsFailed++;
      this.#log.error({ conn: conn.id, world: world.id }, 'player spawn failed');
      return this.#wire.reply(conn, WireErrorCode.INTERNAL, 'internal error', false);
    }
    s.player = eid;
    // The durable player id owns this entity's wallet: its catch-up from the ledger starts now.
    bindPlayer(world, eid, s.ledgerId);
    const net = entry.net;
    net.sessions.push(s);
    net.byPlayer.set(eid, s);
    this.#live.set(s.resumeToken, s);
    listIdentity(this.tables, world.id, s.ledgerId, s.resumeToken);
    this.#wire.send(conn, welcomeFrame(this.#codec, this.#cfg, world, s, reattached));
    // Back from away: the messages kept for it follow the welcome, in order, before any snapshot.
    settleAway(net, world.game?.outbox.stats, s, eid, -1, (bytes) => this.#wire.send(conn, bytes));
    const held = s.heldInput;
    s.heldInput = null;
    if (held) this.#pushInput(world, eid, held);
  }

  /** A valid input of a session (joined or joining). */
  input(s: Session, m: InputMsg): void {
    if (m.seq <= s.lastSeqIn)
      return this.#wire.reply(s.conn, WireErrorCode.OUT_OF_RANGE, `input.seq must increase (last ${s.lastSeqIn})`, true);
    s.lastSeqIn = m.seq;
    s.lastInputAt = performance.now();
    const entry = this.nets.get(s.worldId);
    if (!entry) return;
    const fact: InputFact = { session: s.conn.id, seq: m.seq, moveX: m.moveX, moveY: m.moveY, actions: m.actions };
    if (s.player < 0)
      s.heldInput = fact; // joining: the newest input waits for the player
    else this.#pushInput(entry.world, s.player, fact);
  }

  #pushInput(world: SimWorld, player: number, fact: InputFact): void {
    const out = world.ingest.push(INPUT_INGEST_TYPE, player, fact);
    if (out === 'dropped' || out === 'rejected') this.counters.inputsDropped++;
  }

  /** The socket of `conn` closed: park (or remove) its player through ingest. */
  closed(conn: Conn): void {
    leaveIdentityWait(this.tables, conn);
    this.admission.leave(conn);
    const s = conn.session;
    if (!s) return;
    conn.session = null;
    // A joining session is settled when its enter fact applies (it sees the socket closed).
    if (s.player < 0) return;
    const entry = this.nets.get(s.worldId);
    if (!entry) return;
    unlistSession(this.tables, s, entry.net);
    this.#leave(s, entry, s.player, conn.id);
  }

  /** Park `player` for its token (grace > 0) or remove it, as a fact owned by `owner`; `fact` false: parked already (its game told; session-parking.ts). */
  #leave(s: Session, entry: WorldEntry, player: number, owner: number, fact = true): void {
    const cx = { tables: this.tables, cfg: this.#cfg, durable: this.durable, shuttingDown: this.shuttingDown };
    leaveSession(cx, s, entry, player, owner, this.counters.parkedEvicted, fact);
  }

  /** The client of welcomed session `s` sent `leave`: its player removed by the next step, not parked (session-kick.ts). */
  consentedLeave = (s: Session): void => leaveByClient(this.#kickContext(), this.nets.get(s.worldId), s);

  /** Admin API: kick the connected player of durable id `playerId` (session-kick.ts); its entity, or -1 when not connected here. */
  kick(worldId: string, playerId: string, reason: string): number {
    const entry = this.nets.get(worldId);
    return entry ? kickByAdmin(this.#kickContext(), entry, playerId, reason) : -1;
  }

  #kickContext = (): KickContext => ({ tables: this.tables, wire: this.#wire, durable: this.durable });

  /** Wall-time housekeeping: parked players whose grace period ended are removed (a fact). */
  sweep(now: number): void {
    const sweep = this.durable ? ++this.#sweeps : 0;
    if (this.durable) saveLivePositions(this.tables, this.durable, now, sweep % POSITION_SAVE_SWEEPS, POSITION_SAVE_SWEEPS);
    if (this.durable && sweep % PRUNE_SWEEPS === 1) this.durable.prune();
    expireParked(this.tables, this.durable, now);
    const timeout = this.#cfg.helloTimeoutMs;
    refuseExpiredIdentityWaits(this.tables, this.#wire, now, timeout, () => void this.counters.identityWaitTimeouts++);
    expireJoinWaiters(this.admission, this.#wire, now, timeout); // so is a wait for a join slot
  }
}
