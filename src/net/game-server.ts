/**
 * The game server's transport: a uWebSockets.js WebSocket endpoint (via src/uws.ts) speaking
 * the protocol of docs/PROTOCOL.md — socket binding, framing, rate limits, strikes, backpressure
 * and statistics (sends, error replies and the first handling of a message: game-server-wire.ts;
 * the statistics report: game-server-stats.ts). Sessions (join, resume, takeover, park, expire) belong to the session registry
 * (session-registry.ts), which changes worlds only through ingest facts; the replicate phase of
 * each world sends snapshots through the world's `net` slot (replication.ts).
 *
 * Handlers never throw out (a throw is counted and answered with INTERNAL); nothing a client
 * sends touches another session: each socket has its own token bucket and strike count, and
 * offences only ever close the offending socket.
 */
import { CloseCode, ErrorCode, WireErrorCode, WorldtickError } from '../errors.js';
import { isLoggedOccurrence, type Logger } from '../log.js';
import { DurableSessions } from './durable-sessions.js';
import { worstMode } from './session-sweep.js';
import type { Service } from '../server/service.js';
import { listenExclusive, uWS, type TemplatedApp, type us_listen_socket } from '../uws.js';
import type { SimWorld } from '../world/sim-world.js';
import { createServerCodec, type ServerCodec } from './codec.js';
import { AddressLimiter } from './address-limit.js';
import { admitUpgrade, createUpgradeGate, type UpgradeGate } from './upgrade-gate.js';
import { NewPlayerLimiter, newPlayerAdmission } from './new-player-limit.js';
import { connectionCap, readOpenFileLimit } from './fd-limit.js';
import { resolveNetConfig, type NetConfig } from './net-config.js';
import { PROTOCOL_VERSION } from './protocol.js';
import type { NetTransport, WorldNet } from './replication.js';
import { SessionRegistry } from './session-registry.js';
import { sessionPriority } from './session-priority.js';
import { createConn, type Conn, type ConnRef } from './session.js';
import { createServerNetStats, type GameServerStats, type ServerNetStats } from './net-stats.js';
import type { GameServerOptions } from './game-server-options.js';
import { HelloAuthenticator } from './hello-auth.js';
import { gameServerStats } from './game-server-stats.js';
import { TransportProbe } from './transport-probe.js';
import { createConnWire, onSocketMessage, releaseHeld, type SocketContext } from './game-server-wire.js';
import {
  closeWorldSessions,
  detachAllWorlds,
  detachWorldSessions,
  redirectWorldSessions,
  saveLivePositions,
  type SessionWire,
} from './world-sessions.js';

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
  readonly #s: ServerNetStats = createServerNetStats();
  #listen: us_listen_socket | null = null;
  #app: TemplatedApp | null = null;
  readonly #probe = new TransportProbe(); // src/net/transport-probe.ts
  #port = 0;
  #nextId = 1;
  #sweeper: NodeJS.Timeout | null = null;
  #maxConnections: number;
  /** Open sockets per remote address (`net.maxConnectionsPerAddress`; address-limit.ts). */
  readonly #perAddress: AddressLimiter;
  /** Upgrade admission: connection caps and the client address behind trusted proxies (upgrade-gate.ts). */
  readonly #gate: UpgradeGate;
  /** Send, close and reply with strikes (src/net/game-server-wire.ts). */
  readonly #wire: SessionWire;
  /** What the message dispatch and the hello, purchase and game-message handlers use (game-server-wire.ts, game-server-handlers.ts). */
  readonly #cx: SocketContext;

  /** Validates options (throws `WT_ERR_OPTION_INVALID`); nothing listens until `start`. */
  constructor(opts: GameServerOptions) {
    this.config = resolveNetConfig(opts.net);
    this.#maxConnections = this.config.maxConnections;
    this.#perAddress = new AddressLimiter(this.config.maxConnectionsPerAddress, this.config.perAddressExemptLoopback);
    this.#opts = opts;
    this.#log = opts.logger;
    this.#gate = createUpgradeGate(this.config, this.#perAddress, this.#s, this.#log);
    this.#codec = createServerCodec();
    this.#epochNow = opts.epochNow ?? Date.now;
    const wire = createConnWire(this.#codec, this.#s, this.config, opts.logger);
    this.#wire = wire;
    this.#transport = {
      send: (s, bytes) => wire.send(s.conn, bytes),
      buffered: (s) => {
        const ws = s.conn.ws;
        // Fully written by the last send (and nothing sent since): nothing buffered.
        return s.conn.closed || !ws || s.conn.lastSend === 1 ? 0 : ws.getBufferedAmount();
      },
      close: (s, code, reason) => wire.end(s.conn, code, reason),
      event: (kind, npc, at, expiresAt) => this.#codec.event(kind, npc, at, expiresAt),
      now: () => this.#epochNow(),
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
    const settled = (conn: Conn): void => {
      try {
        releaseHeld(this.#cx, conn);
      } catch (err) {
        this.#handlerFailed(err, conn);
      }
    };
    const auth = opts.authenticate
      ? new HelloAuthenticator(opts.authenticate, this.config, this.#log, this.#s.auth, wire, settled, (err, conn) => {
          this.#s.internalErrors++;
          this.#log.error({ err, conn: conn.id }, 'hello after authentication failed');
          if (!conn.closed && !conn.session) wire.reply(conn, WireErrorCode.INTERNAL, 'internal error', false);
        })
      : null;
    this.#cx = {
      ...wire,
      opts,
      registry: this.#registry,
      codec: this.#codec,
      stats: this.#s,
      config: this.config,
      epochNow: this.#epochNow,
      auth,
    };
    this.#registry.onHelloSettled = settled;
    const c = this.config;
    this.#registry.admitNewPlayer = newPlayerAdmission(
      new NewPlayerLimiter(c.maxNewPlayersPerAddressPerMinute, c.newPlayersExemptLoopback, this.#s),
    );
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
    // Warn when the cap is well below what was configured (a low `ulimit -n`); a cut of at most 10 % —
    // the default 20,000 at a limit of 20,000 keeps 19,000 — is the reserve doing its job: info.
    if (cap.capped)
      this.#log[cap.max < 0.9 * cfg.maxConnections ? 'warn' : 'info'](
        {
          maxConnections: cfg.maxConnections,
          effective: cap.max,
          openFilesSoft: limit?.soft,
          openFilesHard: limit?.hard,
          reserve: cap.reserve,
        },
        'net.maxConnections lowered to fit the open-file limit (raise it with ulimit -n before start)',
      );
    const app = uWS.App().ws<ConnRef>('/*', {
      maxPayloadLength: cfg.maxPayloadLength,
      maxBackpressure: cfg.maxBackpressure,
      closeOnBackpressureLimit: 0,
      idleTimeout: cfg.idleTimeoutSeconds,
      sendPingsAutomatically: true,
      compression: cfg.compression ? uWS.SHARED_COMPRESSOR : uWS.DISABLED,
      upgrade: (res, req, context) => {
        const ok = admitUpgrade(this.#gate, res, req, this.#conns.size, this.#maxConnections); // upgrade-gate.ts: 503, 429
        if (!ok) return;
        const conn = createConn(this.#nextId++, performance.now(), cfg.messageBurst, ok.remote);
        // Counted at open (uWS opens the socket inside `upgrade`), uncounted at close: a refused or failed
        // upgrade never counts, and only a socket that opened has a close.
        res.upgrade<ConnRef>(
          { conn, addr: ok.addr, counted: false },
          req.getHeader('sec-websocket-key'),
          req.getHeader('sec-websocket-protocol'),
          req.getHeader('sec-websocket-extensions'),
          context,
        );
      },
      open: (ws) => {
        const ref = ws.getUserData();
        const conn = ref.conn;
        if (!ref.counted) this.#perAddress.add(ref.addr);
        ref.counted = true;
        conn.ws = ws;
        this.#conns.set(conn.id, conn);
        this.#s.connections = this.#conns.size;
        this.#s.connectionsTotal++;
      },
      message: (ws, ab, isBinary) => {
        const conn = ws.getUserData().conn;
        try {
          onSocketMessage(this.#cx, conn, ab, isBinary);
        } catch (err) {
          this.#handlerFailed(err, conn);
          this.#wire.reply(conn, WireErrorCode.INTERNAL, 'internal error', false);
        }
      },
      close: (ws, code) => {
        const ref = ws.getUserData();
        const conn = ref.conn;
        if (ref.counted) this.#perAddress.remove(ref.addr);
        ref.counted = false;
        try {
          this.#onClose(conn, code);
        } catch (err) {
          this.#s.internalErrors++;
          this.#log.error({ err, conn: conn.id }, 'game server close handler failed');
        }
      },
    });
    this.#app = app;
    const ls = await listenExclusive(app, this.#opts.host, this.#opts.port);
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
          this.#epochNow, // record expiry and the resume grace are epoch ms on this server's wall clock
          {
            mode: () => worstMode(this.#registry.nets.values()),
            slackMs: this.#opts.loopSlackMs ?? (() => Number.POSITIVE_INFINITY),
          }, // the sweep's pace (src/net/session-sweep.ts)
        )
      : null;
    this.#port = uWS.us_socket_local_port(ls as unknown as Parameters<typeof uWS.us_socket_local_port>[0]);
    this.#sweeper = setInterval(() => {
      // A timer callback that throws would end the process: count and log instead (the next sweep retries).
      try {
        this.#sweep();
      } catch (err) {
        this.#s.internalErrors++;
        this.#log.error({ err }, 'game server sweep failed');
      }
    }, SWEEP_MS);
    this.#sweeper.unref();
    this.#log.info({ host: this.#opts.host, port: this.#port, protocol: PROTOCOL_VERSION }, 'game server listening');
  }

  /** Close every socket (1001), stop listening, detach from worlds. */
  async stop(): Promise<void> {
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#sweeper = null;
    // Positions first; the sockets closing below were live at shutdown: their durable records stay
    // `live`, so the next process counts their resume grace from its own start.
    saveLivePositions(this.#registry.tables, this.#registry.durable, performance.now());
    this.#registry.shuttingDown = true;
    for (const conn of [...this.#conns.values()]) this.#wire.end(conn, CloseCode.GOING_AWAY, 'server shutting down');
    if (this.#listen) uWS.us_listen_socket_close(this.#listen);
    this.#listen = null;
    detachAllWorlds(this.#registry.tables);
    // The durable writes above wait for the end of the turn (write-behind): committed before the store closes.
    await this.#registry.durable?.settled();
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
    detachWorldSessions(this.#registry.tables, this.#wire, world);
    this.#registry.admission.release(world);
    this.#registry.durable?.forgetWorld(world.id);
  }

  /**
   * Stop serving `world` here without forgetting its durable sessions (it moved to another instance, or
   * an adopted copy of it replaces this one): its remaining sessions (those joining) are closed 4015, a
   * close the client reconnects after (before: 4012 `world deleted`, after which a client stops — a join
   * that reached a standby copy just as the instance adopted the world was told its world was deleted),
   * and its parked players dropped.
   */
  releaseWorld(world: SimWorld): void {
    detachWorldSessions(this.#registry.tables, this.#wire, world, CloseCode.LEASE_LOST, 'world moved; reconnect');
    this.#registry.admission.release(world);
  }

  /**
   * Close every session of world `worldId` with `code` (the cluster's lost lease: 4015), keeping
   * the world attached. Returns how many sockets were closed.
   */
  closeWorldSessions(worldId: string, code: number, reason: string): number {
    return closeWorldSessions(this.#registry.tables, this.#wire, worldId, code, reason);
  }

  /**
   * Kick the connected player of durable player id `playerId` from world `worldId` (admin API): its
   * socket closed 4020 with `reason` now, its entity removed by the world's next step (session-kick.ts).
   * Returns the entity id, or -1 when no joined session of that world has that id.
   */
  kickPlayer(worldId: string, playerId: string, reason: string): number {
    return this.#registry.kick(worldId, playerId, reason);
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
    return redirectWorldSessions(this.#registry.tables, this.#wire, this.#codec, worldId, url, ticketFor);
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
    this.#s.limitedAddresses = this.#perAddress.addresses;
    this.#s.authLimited = this.#cx.auth?.failures.limited ?? 0;
    this.#s.authLimitedAddresses = this.#cx.auth?.failures.addresses ?? 0;
    return gameServerStats(this.#s, this.#registry, this.#conns.size, this.#maxConnections);
  }

  /**
   * Transport floor probe (bench `net`): send `bytes` to every joined session's socket, by a
   * `ws.send` loop or by one uWS `publish` to a topic every joined socket is subscribed to (on
   * first use). Returns the sockets reached and the wall ms the fan-out took. The frame should
   * be one clients ignore (e.g. an event); it does not touch any session's known set.
   * `every` > 1 probes only the sockets whose connection id is a multiple of it (a fixed sample,
   * spread over the whole id range), so a 10,000-socket run does not send the load generator
   * 10,000 extra frames in one burst (docs/NET-SCALE.md "Transport-floor probe").
   */
  probeTransport(bytes: Uint8Array, mode: 'send' | 'publish', every = 1): { sockets: number; ms: number } {
    return this.#probe.run(this.#conns.values(), this.#app, bytes, mode, every);
  }

  /** A handler threw (a bug, likely hit by every message): counted; logged at the 1st, 10th, 100th… */
  #handlerFailed(err: unknown, conn: Conn): void {
    const n = ++this.#s.internalErrors;
    if (isLoggedOccurrence(n)) this.#log.error({ err, conn: conn.id, internalErrors: n }, 'game server handler failed');
  }

  #onClose(conn: Conn, code: number): void {
    conn.closed = true;
    conn.ws = null;
    this.#conns.delete(conn.id);
    this.#s.connections = this.#conns.size;
    // The server's own code when it ended the socket; a client's close frame may carry any code of
    // 3000-4999, which would pose as a server close (4002, 4008) and add a key per code: `client`.
    const key = conn.endCode !== 0 ? String(conn.endCode) : code >= 3000 ? 'client' : String(code);
    this.#s.closesByCode[key] = (this.#s.closesByCode[key] ?? 0) + 1;
    this.#registry.closed(conn);
  }

  /** Wall-time housekeeping: hello timeouts and expired parked players. */
  #sweep(): void {
    const now = performance.now();
    for (const conn of this.#conns.values()) {
      if (!conn.session && !conn.helloPending && !conn.closed && now - conn.openedAt > this.config.helloTimeoutMs)
        this.#wire.end(conn, CloseCode.HELLO_TIMEOUT, 'no hello');
    }
    this.#registry.sweep(now);
  }
}
