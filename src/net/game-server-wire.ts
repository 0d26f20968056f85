/**
 * The game server's socket layer (src/net/game-server.ts): sending a frame (counted in the
 * server's statistics), closing a socket, answering an error with a strike, and the first
 * handling of every client message — rate limit, frame type, decode — before it goes to the
 * session registry (input) or the handlers of game-server-handlers.ts (hello, purchase, game
 * messages). Free functions over the server's counters and codec; no socket is kept here.
 */
import { CloseCode, WireErrorCode, type WireErrorCodeValue } from '../errors.js';
import { isLoggedOccurrence, type Logger } from '../log.js';
import type { ServerCodec } from './codec.js';
import { type MessageContext, onGameMessage, onHello, onLeave, onPurchase, refuseOverRatePurchase } from './game-server-handlers.js';
import type { NetConfig } from './net-config.js';
import type { ServerNetStats } from './net-stats.js';
import { type ClientMsg, MsgType } from './protocol.js';
import type { SessionWire } from './world-sessions.js';
import { takeToken, type Conn } from './session.js';

/**
 * Send, close and reply over uWS sockets, counting into `stats`. `config` is read at every call
 * (`maxStrikes`). A closed socket is never written: `send` returns −1, `end` does nothing. A socket
 * closed for too many strikes is logged (with `log`) at the 1st, 10th, 100th, … such close: visible
 * under a flood of garbage, never a line per socket.
 */
export const createConnWire = (codec: ServerCodec, stats: ServerNetStats, config: NetConfig, log?: Logger): SessionWire => {
  const send = (conn: Conn, bytes: Uint8Array): number => {
    const ws = conn.ws;
    if (conn.closed || !ws) return -1;
    try {
      const r = ws.send(bytes, true, false);
      conn.lastSend = r;
      stats.messagesOut++;
      stats.bytesOut += bytes.byteLength;
      return r;
    } catch {
      return -1;
    }
  };
  const end = (conn: Conn, code: number, reason: string): void => {
    const ws = conn.ws;
    if (conn.closed || !ws) return;
    if (conn.endCode === 0) conn.endCode = code;
    try {
      ws.end(code, reason);
    } catch {
      // Already closed underneath us: the close handler has run or will run.
    }
  };
  /** Answer an error; with `strike`, count an offence and close after maxStrikes. */
  const reply = (conn: Conn, code: WireErrorCodeValue, message: string, strike: boolean, closeCode = 0): void => {
    stats.errorsByCode[code] = (stats.errorsByCode[code] ?? 0) + 1;
    send(conn, codec.error(code, message));
    if (closeCode) return end(conn, closeCode, code);
    if (!strike) return;
    stats.strikes++;
    if (++conn.strikes < config.maxStrikes) return;
    const n = ++stats.closedForStrikes;
    if (log && isLoggedOccurrence(n))
      log.warn(
        { address: conn.remoteAddress, code, closedForStrikes: n, maxStrikes: config.maxStrikes },
        'client closed after too many protocol errors (4002)',
      );
    end(conn, CloseCode.TOO_MANY_STRIKES, `too many errors (last: ${code})`); // the reason names the last offence: the client may not read error frames
  };
  return { send, end, reply };
};

/** What {@link onSocketMessage} uses: the handlers' context, the net settings and the epoch clock. */
export interface SocketContext extends MessageContext {
  readonly config: NetConfig;
  /** Wall clock, Unix epoch ms (pong). */
  readonly epochNow: () => number;
}

/**
 * One message from a socket: counted, rate-limited (token bucket per socket), refused if text,
 * decoded synchronously (`ab` is emptied when the uWS callback returns), then dispatched by type.
 * Every refusal is an error reply with a strike; nothing here touches another socket.
 */
export const onSocketMessage = (cx: SocketContext, conn: Conn, ab: ArrayBuffer, isBinary: boolean): void => {
  if (conn.closed) return;
  const st = cx.stats;
  st.messagesIn++;
  st.bytesIn += ab.byteLength;
  const cfg = cx.config;
  if (!takeToken(conn, performance.now(), cfg.messageRatePerSecond, cfg.messageBurst)) {
    // A purchase over the rate is also answered by its key (before the strike may close the socket).
    const r = isBinary ? cx.codec.decode(new Uint8Array(ab)) : null;
    if (r?.ok && r.msg.type === MsgType.PURCHASE) refuseOverRatePurchase(cx, conn, r.msg);
    return cx.reply(conn, WireErrorCode.RATE_LIMITED, `more than ${cfg.messageRatePerSecond} messages per second`, true);
  }
  if (!isBinary) return cx.reply(conn, WireErrorCode.BAD_FRAME, 'text frames are not accepted: send binary msgpack', true);
  const frame = new Uint8Array(ab);
  const r = cx.codec.decode(frame);
  if (!r.ok) return cx.reply(conn, r.code, r.message, true);
  dispatchMessage(cx, conn, r.msg, frame);
};

/** Most messages held for a socket whose hello the durable store is still resolving. */
export const MAX_HELD_MESSAGES = 16;

/**
 * A decoded, rate-limited client message, by type. While the socket's hello is being resolved
 * against the durable store (`helloPending`: a store round trip, e.g. PostgreSQL) or the game's
 * `authenticate` hook, an input, purchase or game message — which the protocol allows right after
 * hello — is held (at most {@link MAX_HELD_MESSAGES}, then `NOT_JOINED` without a strike) and
 * dispatched once the hello resolved ({@link releaseHeld}); before, they were answered `NOT_JOINED`
 * with a strike each. A game message is held as a copy of its `frame` (decoded again at release),
 * not as its decoded payload: a 1 KiB payload of empty maps, arrays or bins decodes to 40–100 KB
 * of objects, so 16 held payloads per socket were ≈ 1.5 MB (20,000 sockets waiting on a slow
 * auth service: ≈ 30 GB); held frames are at most 16 × `maxPayloadLength` per socket. A `leave`
 * is never held: before the welcome it is `NOT_JOINED` ({@link onLeave}).
 */
export const dispatchMessage = (
  cx: MessageContext & { readonly epochNow: () => number },
  conn: Conn,
  msg: ClientMsg,
  frame: Uint8Array | null = null,
): void => {
  const unheld = msg.type === MsgType.HELLO || msg.type === MsgType.PING || msg.type === MsgType.LEAVE;
  if (!unheld && !conn.session && conn.helloPending) {
    const held = (conn.held ??= []);
    if (held.length >= MAX_HELD_MESSAGES)
      return cx.reply(conn, WireErrorCode.NOT_JOINED, 'hello is still being resolved: wait for welcome', false);
    // The frame is a view of uWS's buffer (emptied when the callback returns): copied.
    held.push(msg.type === MsgType.GAME && frame !== null ? frame.slice() : msg);
    return;
  }
  switch (msg.type) {
    case MsgType.HELLO:
      return onHello(cx, conn, msg);
    case MsgType.INPUT:
      if (!conn.session) return cx.reply(conn, WireErrorCode.NOT_JOINED, 'send hello first', true);
      return cx.registry.input(conn.session, msg);
    case MsgType.PING:
      cx.send(conn, cx.codec.pong(msg.clientTime, cx.epochNow()));
      return;
    case MsgType.PURCHASE:
      if (!conn.session) return cx.reply(conn, WireErrorCode.NOT_JOINED, 'send hello first', true);
      return onPurchase(cx, conn, msg);
    case MsgType.GAME:
      return onGameMessage(cx, conn, msg.name, msg.payload);
    case MsgType.LEAVE:
      return onLeave(cx, conn);
  }
};

/** The hello of `conn` resolved (joined, refused or failed): dispatch or drop what was held meanwhile. */
export const releaseHeld = (cx: MessageContext & { readonly epochNow: () => number }, conn: Conn): void => {
  const held = conn.held;
  conn.held = null;
  if (!held || conn.closed || !conn.session) return;
  for (const m of held) {
    if (!(m instanceof Uint8Array)) {
      dispatchMessage(cx, conn, m);
      continue;
    }
    // A held game message's frame: it decoded when it arrived, and decoding is deterministic.
    const r = cx.codec.decode(m);
    if (r.ok) dispatchMessage(cx, conn, r.msg);
  }
};
