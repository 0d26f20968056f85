/**
 * The game server: a uWebSockets.js WebSocket endpoint (via src/uws.ts) speaking the protocol
 * of docs/PROTOCOL.md. It owns sockets and sessions; the replicate phase of each world it serves
 * sends snapshots through the world's `net` slot (replication.ts).
 *
 * Handlers never throw out (a throw is counted and answered with INTERNAL); nothing a client
 * sends touches another session: each socket has its own token bucket and strike count, and
 * offences only ever close the offending socket.
 */
import { randomBytes } from 'node:crypto';
import { entityExists } from 'bitecs';
import { CloseCode, ErrorCode, WireErrorCode, WorldtickError, type WireErrorCodeValue } from '../errors.js';
import type { Logger } from '../log.js';
import type { Service } from '../server/service.js';
import { uWS, type us_listen_socket } from '../uws.js';
import { createPrng, nextRange, type Prng } from '../world/prng.js';
import { despawnEntity, spawnPlayer, type SimWorld } from '../world/sim-world.js';
import { createServerCodec, type ServerCodec } from './codec.js';
import { defineInputIngest, INPUT_INGEST_TYPE, type InputFact } from './input.js';
import { resolveNetConfig, type NetConfig } from './net-config.js';
import { MsgType, PROTOCOL_VERSION, type HelloMsg, type InputMsg } from './protocol.js';
import { createWorldNet, type NetTransport, type WorldNet, type WorldNetStats } from './replication.js';
import { createConn, createSession, sessionBytes, takeToken, type Conn, type ConnRef, type Parked, type Session } from './session.js';
import type { GameServerStats, ServerNetStats } from './net-stats.js';

export type { GameServerStats, ServerNetStats } from './net-stats.js';

export interface GameServerOptions {
  host: string;
  /** 0 = any free port (see `port` after start). */
  port: number;
  logger: Logger;
  /** World by id (the runtime's loop runner), or undefined. */
  resolveWorld: (id: string) => SimWorld | undefined;
  net?: Partial<NetConfig>;
  /** Wall clock in Unix epoch ms (snapshot send time, pong). Default Date.now. */
  epochNow?: () => number;
  /** Seed of the spawn-position PRNG. Default 1. */
  spawnSeed?: number;
}

const SWEEP_MS = 250;

/** The WebSocket game server. A class: it owns a listen socket, sockets and a timer. */
export class GameServer implements Service {
  readonly name = 'game-server';
  readonly config: NetConfig;
  readonly #opts: GameServerOptions;
  readonly #log: Logger;
  readonly #codec: ServerCodec;
  readonly #conns = new Map<number, Conn>();
  readonly #nets = new Map<string, { world: SimWorld; net: WorldNet }>();
  readonly #live = new Map<string, Session>();
  readonly #parked = new Map<string, Parked>();
  readonly #rng: Prng;
  readonly #epochNow: () => number;
  readonly #transport: NetTransport;
  readonly #s: ServerNetStats = {
    connections: 0, connectionsTotal: 0, rejectedConnections: 0, messagesIn: 0, bytesIn: 0, messagesOut: 0, bytesOut: 0,
    errorsByCode: {}, strikes: 0, closesByCode: {}, inputsDropped: 0, internalErrors: 0,
  };
  #listen: us_listen_socket | null = null;
  #port = 0;
  #nextId = 1;
  #sweeper: NodeJS.Timeout | null = null;

  /** Validates options (throws `WT_ERR_OPTION_INVALID`); nothing listens until `start`. */
  constructor(opts: GameServerOptions) {
    this.config = resolveNetConfig(opts.net);
    this.#opts = opts;
    this.#log = opts.logger;
    this.#codec = createServerCodec();
    this.#rng = createPrng(opts.spawnSeed ?? 1);
    this.#epochNow = opts.epochNow ?? Date.now;
    this.#transport = {
      send: (s, bytes) => this.#send(s.conn, bytes),
      buffered: (s) => {
        const ws = s.conn.ws;
        // Fully written by the last send (and nothing sent since): nothing buffered.
        return s.conn.closed || !ws || s.conn.lastSend === 1 ? 0 : ws.getBufferedAmount();
      },
      close: (s, code, reason) => this.#end(s.conn, code, reason),
      event: (kind, npc, at, expiresAt) => this.#codec.event(kind, npc, at, expiresAt),
      now: () => this.#epochNow(),
    };
  }

  /** Port actually bound (after start). */
  get port(): number {
    return this.#port;
  }

  /** Listen on host:port. Throws `WT_ERR_PORT_IN_USE` when the port cannot be bound. */
  async start(): Promise<void> {
    const cfg = this.config;
    const app = uWS.App().ws<ConnRef>('/*', {
      maxPayloadLength: cfg.maxPayloadLength,
      maxBackpressure: cfg.maxBackpressure,
      closeOnBackpressureLimit: 0,
      idleTimeout: cfg.idleTimeoutSeconds,
      sendPingsAutomatically: true,
      compression: cfg.compression ? uWS.SHARED_COMPRESSOR : uWS.DISABLED,
      upgrade: (res, req, context) => {
        if (this.#conns.size >= cfg.maxConnections) {
          this.#s.rejectedConnections++;
          res.writeStatus('503 Service Unavailable').end('server full');
          return;
        }
        const conn = createConn(this.#nextId++, performance.now(), cfg.messageBurst);
        res.upgrade<ConnRef>({ conn }, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
      },
      open: (ws) => {
        const conn = ws.getUserData().conn;
        conn.ws = ws;
        this.#conns.set(conn.id, conn);
        this.#s.connections = this.#conns.size;
        this.#s.connectionsTotal++;
      },
      message: (ws, ab, isBinary) => {
        const conn = ws.getUserData().conn;
        try {
          this.#onMessage(conn, ab, isBinary);
        } catch (err) {
          this.#s.internalErrors++;
          this.#log.error({ err, conn: conn.id }, 'game server handler failed');
          this.#reply(conn, WireErrorCode.INTERNAL, 'internal error', false);
        }
      },
      close: (ws, code) => {
        const conn = ws.getUserData().conn;
        try {
          this.#onClose(conn, code);
        } catch (err) {
          this.#s.internalErrors++;
          this.#log.error({ err, conn: conn.id }, 'game server close handler failed');
        }
      },
    });
    const ls = await new Promise<us_listen_socket | false>((resolve) => app.listen(this.#opts.host, this.#opts.port, resolve));
    if (!ls) throw new WorldtickError(ErrorCode.PORT_IN_USE, `game server could not listen on ${this.#opts.host}:${this.#opts.port} (port in use?)`, { details: { host: this.#opts.host, port: this.#opts.port } });
    this.#listen = ls;
    this.#port = uWS.us_socket_local_port(ls as unknown as Parameters<typeof uWS.us_socket_local_port>[0]);
    this.#sweeper = setInterval(() => this.#sweep(), SWEEP_MS);
    this.#sweeper.unref();
    this.#log.info({ host: this.#opts.host, port: this.#port, protocol: PROTOCOL_VERSION }, 'game server listening');
  }

  /** Close every socket (1001), stop listening, detach from worlds. */
  async stop(): Promise<void> {
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#sweeper = null;
    for (const conn of [...this.#conns.values()]) this.#end(conn, CloseCode.GOING_AWAY, 'server shutting down');
    if (this.#listen) uWS.us_listen_socket_close(this.#listen);
    this.#listen = null;
    for (const { world, net } of this.#nets.values()) if (world.net === net) world.net = null;
    this.#nets.clear();
  }

  /**
   * Serve `world`: attach its replication slot and define the `input` ingest type. Called on
   * the first hello for the world; callable up front.
   */
  attach(world: SimWorld): WorldNet {
    const have = this.#nets.get(world.id);
    if (have && have.world === world) return have.net;
    defineInputIngest(world, this.config.maxSpeed);
    const net = createWorldNet(world, this.config, this.#transport);
    world.net = net;
    this.#nets.set(world.id, { world, net });
    return net;
  }

  /** Stop serving a deleted world: close its sessions (4012), drop its parked players and state. */
  detachWorld(world: SimWorld): void {
    const entry = this.#nets.get(world.id);
    if (!entry || entry.world !== world) return;
    for (const s of [...entry.net.sessions]) {
      if (this.#live.get(s.resumeToken) === s) this.#live.delete(s.resumeToken);
      s.conn.session = null;
      this.#end(s.conn, CloseCode.WORLD_CLOSED, 'world deleted');
    }
    for (const [token, p] of this.#parked) if (p.world === world) this.#parked.delete(token);
    this.#nets.delete(world.id);
    if (world.net === entry.net) world.net = null;
  }

  /** Counters as a plain object (for the admin/metrics service). */
  stats(): GameServerStats {
    const worlds: Record<string, WorldNetStats> = {};
    let sessions = 0, parked = 0, snapshotsSent = 0, snapshotBytes = 0, skippedBackpressure = 0, mem = 0;
    for (const [id, { net }] of this.#nets) {
      const w = { ...net.stats, sessions: net.sessions.length };
      worlds[id] = w;
      sessions += w.sessions;
      parked += w.parked;
      snapshotsSent += w.snapshotsSent;
      snapshotBytes += w.snapshotBytes;
      skippedBackpressure += w.skippedBackpressure;
      for (const s of net.sessions) mem += sessionBytes(s);
    }
    return {
      ...this.#s,
      errorsByCode: { ...this.#s.errorsByCode },
      closesByCode: { ...this.#s.closesByCode },
      connections: this.#conns.size,
      sessions, parked, snapshotsSent, snapshotBytes, skippedBackpressure, sessionMemoryBytes: mem, worlds,
    };
  }

  #send(conn: Conn, bytes: Uint8Array): number {
    const ws = conn.ws;
    if (conn.closed || !ws) return -1;
    try {
      const r = ws.send(bytes, true, false);
      conn.lastSend = r;
      this.#s.messagesOut++;
      this.#s.bytesOut += bytes.byteLength;
      return r;
    } catch {
      return -1;
    }
  }

  #end(conn: Conn, code: number, reason: string): void {
    const ws = conn.ws;
    if (conn.closed || !ws) return;
    try {
      ws.end(code, reason);
    } catch {
      // Already closed underneath us: the close handler has run or will run.
    }
  }

  /** Answer an error; with `strike`, count an offence and close after maxStrikes. */
  #reply(conn: Conn, code: WireErrorCodeValue, message: string, strike: boolean, closeCode = 0): void {
    this.#s.errorsByCode[code] = (this.#s.errorsByCode[code] ?? 0) + 1;
    this.#send(conn, this.#codec.error(code, message));
    if (closeCode) return this.#end(conn, closeCode, code);
    if (!strike) return;
    this.#s.strikes++;
    if (++conn.strikes >= this.config.maxStrikes) this.#end(conn, CloseCode.TOO_MANY_STRIKES, 'too many errors');
  }

  #onMessage(conn: Conn, ab: ArrayBuffer, isBinary: boolean): void {
    if (conn.closed) return;
    const st = this.#s;
    st.messagesIn++;
    st.bytesIn += ab.byteLength;
    const cfg = this.config;
    if (!takeToken(conn, performance.now(), cfg.messageRatePerSecond, cfg.messageBurst))
      return this.#reply(conn, WireErrorCode.RATE_LIMITED, `more than ${cfg.messageRatePerSecond} messages per second`, true);
    if (!isBinary) return this.#reply(conn, WireErrorCode.BAD_FRAME, 'text frames are not accepted: send binary msgpack', true);
    // Decoded synchronously: `ab` is emptied when this callback returns.
    const r = this.#codec.decode(new Uint8Array(ab));
    if (!r.ok) return this.#reply(conn, r.code, r.message, true);
    const msg = r.msg;
    switch (msg.type) {
      case MsgType.HELLO:
        return this.#onHello(conn, msg);
      case MsgType.INPUT:
        if (!conn.session) return this.#reply(conn, WireErrorCode.NOT_JOINED, 'send hello first', true);
        return this.#onInput(conn.session, msg);
      case MsgType.PING:
        this.#send(conn, this.#codec.pong(msg.clientTime, this.#epochNow()));
        return;
      case MsgType.PURCHASE:
        if (!conn.session) return this.#reply(conn, WireErrorCode.NOT_JOINED, 'send hello first', true);
        return this.#reply(conn, WireErrorCode.NOT_IMPLEMENTED, 'purchase is reserved for a later protocol version', false);
    }
  }

  #onHello(conn: Conn, m: HelloMsg): void {
    if (conn.session) return this.#reply(conn, WireErrorCode.ALREADY_JOINED, 'this socket has joined already', true);
    if (m.version !== PROTOCOL_VERSION)
      return this.#reply(conn, WireErrorCode.BAD_VERSION, `server speaks protocol version ${PROTOCOL_VERSION}`, true, CloseCode.BAD_VERSION);
    const world = this.#opts.resolveWorld(m.worldId);
    if (!world) return this.#reply(conn, WireErrorCode.UNKNOWN_WORLD, 'no such world', true, CloseCode.UNKNOWN_WORLD);
    const net = this.attach(world);
    const cfg = this.config;
    const { Player, Velocity } = world.stores;
    let player = -1;
    let token = '';
    let resumed = false;
    if (m.resumeToken) {
      const parked = this.#parked.get(m.resumeToken);
      const live = this.#live.get(m.resumeToken);
      if (parked && parked.world === world && entityExists(world, parked.player) && world.stores.Player.session[parked.player] === -1) {
        this.#parked.delete(m.resumeToken);
        net.stats.parked--;
        player = parked.player;
      } else if (live && live.worldId === world.id && live.conn !== conn) {
        // Takeover: the old socket is closed without parking; the player moves to this one.
        this.#detach(live, net, false);
        live.conn.session = null;
        this.#end(live.conn, CloseCode.SESSION_REPLACED, 'session resumed elsewhere');
        player = live.player;
      }
      if (player >= 0) {
        token = m.resumeToken;
        resumed = true;
      }
    }
    if (player < 0) {
      const { minX, minY, maxX, maxY } = world.bounds;
      try {
        player = spawnPlayer(world, nextRange(this.#rng, minX, maxX), nextRange(this.#rng, minY, maxY), cfg.interestRadius);
      } catch (err) {
        if (err instanceof WorldtickError && err.code === ErrorCode.CAPACITY_EXCEEDED)
          return this.#reply(conn, WireErrorCode.WORLD_FULL, 'world is full', false, CloseCode.WORLD_FULL);
        throw err;
      }
      token = randomBytes(18).toString('base64url');
    }
    Player.session[player] = conn.id;
    Player.interestRadius[player] = cfg.interestRadius;
    Player.lastInputSeq[player] = 0; // sequence numbers restart with every session
    Velocity.x[player] = 0;
    Velocity.y[player] = 0;
    const s = createSession(conn, world.id, player, m.name, token, cfg.interestRadius);
    conn.session = s;
    net.sessions.push(s);
    net.byPlayer.set(player, s);
    this.#live.set(token, s);
    this.#send(conn, this.#codec.welcome({
      sessionId: conn.id, playerId: player, stepRate: 1 / world.config.simulation.tickIntervalSeconds, worldTime: world.clock.now,
      step: world.clock.step, resumeToken: token, positionScale: cfg.positionScale, interestRadius: cfg.interestRadius, resumed,
    }));
  }

  #onInput(s: Session, m: InputMsg): void {
    if (m.seq <= s.lastSeqIn) return this.#reply(s.conn, WireErrorCode.OUT_OF_RANGE, `input.seq must increase (last ${s.lastSeqIn})`, true);
    s.lastSeqIn = m.seq;
    const entry = this.#nets.get(s.worldId);
    if (!entry) return;
    const fact: InputFact = { session: s.conn.id, seq: m.seq, moveX: m.moveX, moveY: m.moveY, actions: m.actions };
    const out = entry.world.ingest.push(INPUT_INGEST_TYPE, s.player, fact);
    if (out === 'dropped' || out === 'rejected') this.#s.inputsDropped++;
  }

  /** Remove a session from its world's lists (not from the world itself). */
  #detach(s: Session, net: WorldNet, park: boolean): void {
    const i = net.sessions.indexOf(s);
    if (i >= 0) {
      net.sessions[i] = net.sessions[net.sessions.length - 1]!;
      net.sessions.pop();
    }
    if (net.byPlayer.get(s.player) === s) net.byPlayer.delete(s.player);
    if (this.#live.get(s.resumeToken) === s) this.#live.delete(s.resumeToken);
    if (!park) return;
    const entry = this.#nets.get(s.worldId)!;
    const world = entry.world;
    if (!entityExists(world, s.player)) return;
    world.stores.Player.session[s.player] = -1;
    world.stores.Velocity.x[s.player] = 0;
    world.stores.Velocity.y[s.player] = 0;
    if (this.config.resumeGraceSeconds > 0) {
      this.#parked.set(s.resumeToken, { world, player: s.player, expiresAt: performance.now() + this.config.resumeGraceSeconds * 1000 });
      net.stats.parked++;
    } else {
      despawnEntity(world, s.player);
      net.removed.push(s.player);
    }
  }

  #onClose(conn: Conn, code: number): void {
    conn.closed = true;
    conn.ws = null;
    this.#conns.delete(conn.id);
    this.#s.connections = this.#conns.size;
    this.#s.closesByCode[code] = (this.#s.closesByCode[code] ?? 0) + 1;
    const s = conn.session;
    if (!s) return;
    conn.session = null;
    const entry = this.#nets.get(s.worldId);
    if (entry) this.#detach(s, entry.net, true);
  }

  /** Wall-time housekeeping: hello timeouts and expired parked players. */
  #sweep(): void {
    const now = performance.now();
    for (const conn of this.#conns.values()) {
      if (!conn.session && !conn.closed && now - conn.openedAt > this.config.helloTimeoutMs) this.#end(conn, CloseCode.HELLO_TIMEOUT, 'no hello');
    }
    for (const [token, p] of this.#parked) {
      if (p.expiresAt > now) continue;
      this.#parked.delete(token);
      const entry = this.#nets.get(p.world.id);
      if (!entry || entry.world !== p.world) continue;
      entry.net.stats.parked--;
      const { world } = entry;
      if (entityExists(world, p.player) && world.stores.Player.session[p.player] === -1) {
        despawnEntity(world, p.player);
        entry.net.removed.push(p.player);
      }
    }
  }
}
