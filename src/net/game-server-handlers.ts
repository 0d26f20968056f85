/**
 * Handlers of the game server's client messages that reach past the socket (src/net/game-server.ts):
 * hello (protocol version, cluster routing, world lookup, admission), purchase (through the
 * world's ledger), game-defined messages and leave. Free functions over a {@link MessageContext}.
 */
import { CloseCode, TxCode, WireErrorCode, type WireErrorCodeValue } from '../errors.js';
import { rejection, type TxResult } from '../ledger/decide.js';
import { submitPurchase } from '../ledger/world-ledger.js';
import type { ServerCodec } from './codec.js';
import type { GameServerOptions } from './game-server-options.js';
import type { HelloAuthenticator } from './hello-auth.js';
import { pushGameMessage } from './game-messages.js';
import type { ServerNetStats } from './net-stats.js';
import { type HelloMsg, PROTOCOL_VERSION, type PurchaseMsg } from './protocol.js';
import type { Conn } from './session.js';
import type { SessionRegistry } from './session-registry.js';

/** What the message handlers use of the game server. */
export interface MessageContext {
  readonly opts: GameServerOptions;
  readonly registry: SessionRegistry;
  readonly codec: ServerCodec;
  /** The server's counters (purchases, txResults are counted here). */
  readonly stats: ServerNetStats;
  /** The game's `authenticate` hook runner, or null without one (src/net/hello-auth.ts). */
  readonly auth: HelloAuthenticator | null;
  send(conn: Conn, bytes: Uint8Array): number;
  end(conn: Conn, code: number, reason: string): void;
  /** Answer an error; with `strike`, count an offence; with `closeCode`, close. */
  reply(conn: Conn, code: WireErrorCodeValue, message: string, strike: boolean, closeCode?: number): void;
}

/** The wallet a txResult carries: coins and items after it, or null (docs/PROTOCOL.md `txResult`). */
type WalletView = { coins: number; items: Record<string, number> };

/** Send a purchase's txResult, counted by code in the server's statistics. */
const sendTxResult = (cx: MessageContext, conn: Conn, r: TxResult, w: WalletView | null): void => {
  cx.stats.txResults[r.code ?? 'ok'] = (cx.stats.txResults[r.code ?? 'ok'] ?? 0) + 1;
  cx.send(
    conn,
    cx.codec.txResult({
      key: r.key,
      status: r.status,
      code: r.code,
      seq: r.seq,
      item: r.item,
      quantity: r.quantity,
      coinsDelta: r.coinsDelta,
      coins: w ? w.coins : null,
      items: w ? w.items : null,
      replayed: r.replayed,
    }),
  );
};

/**
 * A purchase frame over the socket's message rate (the caller answers the wire `RATE_LIMITED` and
 * its strike): also a txResult `rejected` / `TX_RATE_LIMITED` with its key, so the client knows the
 * key was not taken and may retry it later instead of waiting out its timeout. Nothing reaches the
 * ledger; the wallet fields are nil.
 */
export const refuseOverRatePurchase = (cx: MessageContext, conn: Conn, m: PurchaseMsg): void =>
  sendTxResult(
    cx,
    conn,
    rejection(
      {
        kind: 'purchase',
        playerId: conn.session?.ledgerId ?? '',
        key: m.key,
        item: m.item,
        quantity: m.quantity,
        expectedPrice: m.expectedPrice,
      },
      TxCode.RATE_LIMITED,
    ),
    null,
  );

/** A purchase: through the world's ledger; answered with a txResult (ok only once durable and applied). */
export const onPurchase = (cx: MessageContext, conn: Conn, m: PurchaseMsg): void => {
  const s = conn.session!;
  const world = cx.opts.resolveWorld(s.worldId);
  if (!world) return cx.reply(conn, WireErrorCode.UNKNOWN_WORLD, 'no such world', false);
  cx.stats.purchases++;
  const req = { playerId: s.ledgerId, key: m.key, item: m.item, quantity: m.quantity, expectedPrice: m.expectedPrice };
  const answer = (r: TxResult, w: WalletView | null): void => sendTxResult(cx, conn, r, w);
  // A game that sells only through its own rules (purchaseForPlayer) closes the frame: nothing reaches the ledger.
  if (world.game?.clientPurchases === false) return answer(rejection({ kind: 'purchase', ...req }, TxCode.CLIENT_PURCHASES_OFF), null);
  submitPurchase(world, req, answer);
};

/** A game-defined message: checked against its schema here, applied by its handler in the next step. */
export const onGameMessage = (cx: MessageContext, conn: Conn, name: string, payload: unknown): void => {
  const s = conn.session;
  if (!s) return cx.reply(conn, WireErrorCode.NOT_JOINED, 'send hello first', true);
  const entry = cx.registry.nets.get(s.worldId);
  if (!entry) return;
  const r = pushGameMessage(entry.world, s.player, conn.id, name, payload, { sessions: entry.net.sessions.length, holder: s });
  if (!r.ok) cx.reply(conn, r.code, r.message, r.strike);
};

/**
 * A `leave` (docs/PROTOCOL.md "Leaving"): valid once the session is welcomed — its player removed
 * by the next step, never parked, the socket closed 1000 `left` (session-kick.ts `leaveByClient`).
 * Before (no hello yet, a hello still being resolved, a join not applied by a step yet) it is
 * `NOT_JOINED` with a strike, as an input before hello, and changes nothing.
 */
export const onLeave = (cx: MessageContext, conn: Conn): void => {
  const s = conn.session;
  if (!s || s.player < 0) return cx.reply(conn, WireErrorCode.NOT_JOINED, 'leave is accepted after welcome', true);
  cx.registry.consentedLeave(s);
};

/**
 * A hello: version check, cluster routing (redirect or refuse), world lookup, the game's
 * `authenticate` hook if any (hello-auth.ts; the world is looked up again once it accepted), then
 * the session registry joins or resumes.
 */
export const onHello = (cx: MessageContext, conn: Conn, m: HelloMsg): void => {
  if (conn.session || conn.helloPending) return cx.reply(conn, WireErrorCode.ALREADY_JOINED, 'this socket has joined already', true);
  if (m.version !== PROTOCOL_VERSION)
    return cx.reply(conn, WireErrorCode.BAD_VERSION, `server speaks protocol version ${PROTOCOL_VERSION}`, true, CloseCode.BAD_VERSION);
  const route = cx.opts.routeHello?.(m);
  if (route && route.kind === 'redirect') {
    cx.send(conn, cx.codec.redirect(m.worldId, route.url, route.ticket));
    return cx.end(conn, CloseCode.REDIRECTED, 'redirected');
  }
  if (route && route.kind === 'refuse') return cx.reply(conn, route.code, route.message, false, route.closeCode);
  const world = cx.opts.resolveWorld(m.worldId);
  if (!world) return cx.reply(conn, WireErrorCode.UNKNOWN_WORLD, 'no such world', true, CloseCode.UNKNOWN_WORLD);
  if (!cx.auth) return cx.registry.hello(conn, m, world, cx.opts.refuseNewSessions?.(world) ?? false);
  cx.auth.run(conn, m, (identity) => {
    const w = cx.opts.resolveWorld(m.worldId);
    if (!w) return cx.reply(conn, WireErrorCode.UNKNOWN_WORLD, 'no such world', false, CloseCode.UNKNOWN_WORLD);
    cx.registry.hello(conn, m, w, cx.opts.refuseNewSessions?.(w) ?? false, identity);
  });
};
