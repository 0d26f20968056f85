/**
 * The game server's transport: a uWebSockets.js WebSocket endpoint (via src/uws.ts) speaking
 * the protocol of docs/PROTOCOL.md — socket binding, framing, rate limits, strikes, backpressure
 * and statistics. Sessions (join, resume, takeover, park, expire) belong to the session registry
 * (session-registry.ts), which changes worlds only through ingest facts; the replicate phase of
 * each world sends snapshots through the world's `net` slot (replication.ts).
 *
 * Handlers never throw out (a throw is counted and answered with INTERNAL); nothing a client
 * sends touches another session: each socket has its own token bucket and strike count, and
 * offences only ever close the offending socket.
 */
import { CloseCode, ErrorCode, WireErrorCode, WorldtickError, type WireErrorCodeValue } from '../errors.js';
import type { Logger } from '../log.js';
import { DurableSessions } from './durable-sessions.js';
import type { Service } from '../server/service.js';
import { uWS, type TemplatedApp, type us_listen_socket } from '../uws.js';
import type { SimWorld } from '../world/sim-world.js';
import { createServerCodec, type ServerCodec } from './codec.js';
import { connectionCap, readOpenFileLimit } from './fd-limit.js';
import { resolveNetConfig, type NetConfig } from './net-config.js';
import { MsgType, PROTOCOL_VERSION } from './protocol.js';
import type { NetTransport, WorldNet } from './replication.js';
import { SessionRegistry } from './session-registry.js';
import { sessionPriority } from './session-priority.js';
import { createConn, takeToken, type Conn, type ConnRef } from './session.js';
import type { GameServerStats, ServerNetStats } from './net-stats.js';
import type { GameServerOptions } from './game-server-options.js';
import { type MessageContext, onGameMessage, onHello, onPurchase } from './game-server-handlers.js';
import { sumWorldNets } from './game-server-stats.js';

export type { GameServerStats, ServerNetStats } from './net-stats.js';
export type { GameServerOptions, HelloRoute } from './game-server-options.js';

const SWEEP_MS = 250;

/** The WebSocket game server. A class: it owns a listen socket, sockets and a timer. */
export class GameServer implements Service {
  readonly name = 'game-server';
  readonly config: NetConfig;
  readonly #opts: GameServerOptions;
  readonly #log: Logger;
  readonly #codec: ServerCodec;
  readonly #conns = new Map<number, Conn>();
  readonly #registry: SessionRegistry;
  readonly #epochNow: () => number;
  readonly #transport: NetTransport;
  readonly #s: ServerNetStats = {
    connections: 0,
    connectionsTotal: 0,
    rejectedConnections: 0,
    maxConnections: 0,
    messagesIn: 0,
    bytesIn: 0,
    messagesOut: 0,
    bytesOut: 0,
    errorsByCode: {},
    strikes: 0,
    closesByCode: {},
    inputsDropped: 0,
    internalErrors: 0,
    purchases: 0,
    txResults: {},
  };
  #listen: us_listen_socket | null = null;
  #app: TemplatedApp | null = null;
  #probeSubscribed = false;
  #port = 0;
  #nextId = 1;
  #sweeper: NodeJS.Timeout | null = null;
  #maxConnections: number;
  /** What the hello, purchase and game-message handlers use (src/net/game-server-handlers.ts). */
  readonly #cx: MessageContext;

  /** Validates options (throws `WT_ERR_OPTION_INVALID`); nothing listens until `start`. */
  constructor(opts: GameServerOptions) {
    this.config = resolveNetConfig(opts.net);
    this.#maxConnections = this.config.maxConnections;
    this.#opts = opts;
    this.#log = opts.logger;
    this.#codec = createServerCodec();
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
    const wire = {
      send: (c: Conn, bytes: Uint8Array) => this.#send(c, bytes),
      end: (c: Conn, code: number, reason: string) => this.#end(c, code, reason),
      reply: (c: Conn, code: WireErrorCodeValue, message: string, strike: boolean, closeCode?: number) =>
        this.#reply(c, code, message, strike, closeCode),
    };
    this.#registry = new SessionRegistry(
      this.config,
      this.#codec,
      wire,
      this.#transport,
      this.#log,
      opts.spawnSeed ?? 1,
      opts.sessionClass,
    );
    this.#cx = { ...wire, opts, registry: this.#registry, codec: this.#codec, stats: this.#s };
  }

  /** Port actually bound (after start). */
  get port(): number {
    return this.#port;
  }

  /** Sockets accepted at most: `net.maxConnections`, capped below the open-file limit at start. */
  get maxConnections(): number {
    return this.#maxConnections;
  }

  /** Listen on host:port. Throws `WT_ERR_PORT_IN_USE` when the port cannot be bound. */
  async start(): Promise<void> {
    const cfg = this.config;
    const limit = this.#opts.openFileLimit === undefined ? readOpenFileLimit() : this.#opts.openFileLimit;
    const cap = connectionCap(cfg.maxConnections, limit);
    this.#maxConnections = cap.max;
    if (cap.capped)
      this.#log.warn(
        {
          maxConnections: cfg.maxConnections,
          effective: cap.max,
          openFilesSoft: limit?.soft,
          openFilesHard: limit?.hard,
          reserve: cap.reserve,
        },
        'net.maxConnections lowered to fit the open-file limit (raise it with `ulimit -n` before start)',
      );
    const app = uWS.App().ws<ConnRef>('/*', {
      maxPayloadLength: cfg.maxPayloadLength,
      maxBackpressure: cfg.maxBackpressure,
      closeOnBackpressureLimit: 0,
      idleTimeout: cfg.idleTimeoutSeconds,
      sendPingsAutomatically: true,
      compression: cfg.compression ? uWS.SHARED_COMPRESSOR : uWS.DISABLED,
      upgrade: (res, req, context) => {
        if (this.#conns.size >= this.#maxConnections) {
          const n = ++this.#s.rejectedConnections;
          // Logged at 1, 10, 100, ... refusals: visible, but never a line per connection.
          if (Number.isInteger(Math.log10(n)))
            this.#log.warn({ rejectedConnections: n, maxConnections: this.#maxConnections }, 'game server full: upgrade refused with 503');
          res.writeStatus('503 Service Unavailable').writeHeader('Retry-After', '5').end('server full');
          return;
        }
        const conn = createConn(this.#nextId++, performance.now(), cfg.messageBurst);
        res.upgrade<ConnRef>(
          { conn },
          req.getHeader('sec-websocket-key'),
          req.getHeader('sec-websocket-protocol'),
          req.getHeader('sec-websocket-extensions'),
          context,
        );
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
    this.#app = app;
    const ls = await new Promise<us_listen_socket | false>((resolve) => app.listen(this.#opts.host, this.#opts.port, resolve));
    if (!ls)
      throw new WorldtickError(
        ErrorCode.PORT_IN_USE,
        `game server could not listen on ${this.#opts.host}:${this.#opts.port} (port in use?)`,
        { details: { host: this.#opts.host, port: this.#opts.port } },
      );
    this.#listen = ls;
    this.#registry.shuttingDown = false;
    const store = this.#opts.store?.() ?? null;
    this.#registry.durable = store
      ? new DurableSessions(
          store,
          () => this.config.resumeGraceSeconds,
          (err) => this.#log.warn({ err }, 'durable session write failed'),
        )
      : null;
    this.#port = uWS.us_socket_local_port(ls as unknown as Parameters<typeof uWS.us_socket_local_port>[0]);
    this.#sweeper = setInterval(() => this.#sweep(), SWEEP_MS);
    this.#sweeper.unref();
    this.#log.info({ host: this.#opts.host, port: this.#port, protocol: PROTOCOL_VERSION }, 'game server listening');
  }

  /** Close every socket (1001), stop listening, detach from worlds. */
  async stop(): Promise<void> {
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#sweeper = null;
    // Positions first; the sockets closing below were live at shutdown: their durable records stay
    // `live`, so the next process counts their resume grace from its own start.
    this.#registry.savePositions();
    this.#registry.shuttingDown = true;
    for (const conn of [...this.#conns.values()]) this.#end(conn, CloseCode.GOING_AWAY, 'server shutting down');
    if (this.#listen) uWS.us_listen_socket_close(this.#listen);
    this.#listen = null;
    this.#registry.detachAll();
  }

  /**
   * Serve `world`: attach its replication slot and define the `input` and `session` ingest
   * types. Called on the first hello for the world; callable up front.
   */
  attach(world: SimWorld): WorldNet {
    return this.#registry.attach(world);
  }

  /** A world got its ledger: tell owning clients of wallet changes (idempotent). */
  attachLedgerNotices(world: SimWorld): void {
    this.#registry.attachLedger(world);
  }

  /** Stop serving a deleted world: close its sessions (4012), drop its parked players and state. */
  detachWorld(world: SimWorld): void {
    this.#registry.detachWorld(world);
    this.#registry.durable?.forgetWorld(world.id);
  }

  /**
   * Stop serving `world` here without forgetting its durable sessions (it moved to another
   * instance): its remaining sessions are closed (4012) and its parked players dropped.
   */
  releaseWorld(world: SimWorld): void {
    this.#registry.detachWorld(world);
  }

  /**
   * Close every session of world `worldId` with `code` (the cluster's lost lease: 4015), keeping
   * the world attached. Returns how many sockets were closed.
   */
  closeWorldSessions(worldId: string, code: number, reason: string): number {
    return this.#registry.closeWorldSessions(worldId, code, reason);
  }

  /**
   * Priority (0..4, src/net/session-priority.ts) of the session that owns `player` in world
   * `worldId`, or 0 when none does. Work done on a session's behalf inherits it: pass it as the
   * job's priority (`world.jobs.submit(name, payload, { user, priority })`).
   */
  sessionPriority(worldId: string, player: number): number {
    const s = this.#registry.nets.get(worldId)?.net.byPlayer.get(player);
    return s ? sessionPriority(s, this.config, performance.now()) : 0;
  }

  /** Cluster migration: redirect every session of `worldId` to `url` (a ticket per resume token), closing them (4014). */
  redirectWorldSessions(worldId: string, url: string, ticketFor: (resumeToken: string) => string): number {
    return this.#registry.redirectWorldSessions(worldId, url, ticketFor);
  }

  /**
   * This instance took world `worldId` over (cluster migration or failover): durable sessions that
   * were live on the previous owner are resumable for the grace period from now.
   */
  worldAdopted(worldId: string): void {
    this.#registry.durable?.worldAdopted(worldId);
  }

  /** Counters as a plain object (for the admin/metrics service). */
  stats(): GameServerStats {
    const t = sumWorldNets(this.#registry.nets);
    return {
      ...this.#s,
      inputsDropped: this.#registry.counters.inputsDropped,
      joining: this.#registry.joining,
      errorsByCode: { ...this.#s.errorsByCode },
      closesByCode: { ...this.#s.closesByCode },
      txResults: { ...this.#s.txResults },
      connections: this.#conns.size,
      maxConnections: this.#maxConnections,
      sessions: t.sessions,
      parked: t.parked,
      snapshotsSent: t.snapshotsSent,
      snapshotBytes: t.snapshotBytes,
      skippedBackpressure: t.skippedBackpressure,
      sessionMemoryBytes: t.sessionMemoryBytes,
      worlds: t.worlds,
      byClass: t.byClass,
      ladderLevels: t.ladderLevels,
    };
  }

  /**
   * Transport floor probe (bench `net`): send `bytes` to every joined session's socket, by a
   * `ws.send` loop or by one uWS `publish` to a topic every joined socket is subscribed to (on
   * first use). Returns the sockets reached and the wall ms the fan-out took. The frame should
   * be one clients ignore (e.g. an event); it does not touch any session's known set.
   */
  probeTransport(bytes: Uint8Array, mode: 'send' | 'publish'): { sockets: number; ms: number } {
    const conns: Conn[] = [];
    for (const c of this.#conns.values()) if (c.session && c.session.player >= 0 && !c.closed && c.ws) conns.push(c);
    if (mode === 'publish') {
      if (!this.#probeSubscribed) for (const c of conns) c.ws!.subscribe('wt-probe');
      this.#probeSubscribed = true;
      const t0 = performance.now();
      this.#app?.publish('wt-probe', bytes, true, false);
      return { sockets: conns.length, ms: performance.now() - t0 };
    }
    const t0 = performance.now();
    for (const c of conns) c.ws!.send(bytes, true, false);
    return { sockets: conns.length, ms: performance.now() - t0 };
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
        return onHello(this.#cx, conn, msg);
      case MsgType.INPUT:
        if (!conn.session) return this.#reply(conn, WireErrorCode.NOT_JOINED, 'send hello first', true);
        return this.#registry.input(conn.session, msg);
      case MsgType.PING:
        this.#send(conn, this.#codec.pong(msg.clientTime, this.#epochNow()));
        return;
      case MsgType.PURCHASE:
        if (!conn.session) return this.#reply(conn, WireErrorCode.NOT_JOINED, 'send hello first', true);
        return onPurchase(this.#cx, conn, msg);
      case MsgType.GAME:
        return onGameMessage(this.#cx, conn, msg.name, msg.payload);
    }
  }

  #onClose(conn: Conn, code: number): void {
    conn.closed = true;
    conn.ws = null;
    this.#conns.delete(conn.id);
    this.#s.connections = this.#conns.size;
    this.#s.closesByCode[code] = (this.#s.closesByCode[code] ?? 0) + 1;
    this.#registry.closed(conn);
  }

  /** Wall-time housekeeping: hello timeouts and expired parked players. */
  #sweep(): void {
    const now = performance.now();
    for (const conn of this.#conns.values()) {
      if (!conn.session && !conn.helloPending && !conn.closed && now - conn.openedAt > this.config.helloTimeoutMs)
        this.#end(conn, CloseCode.HELLO_TIMEOUT, 'no hello');
    }
    this.#registry.sweep(now);
  }
}
