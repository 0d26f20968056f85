/**
 * worldtick client library: connect, hello, send input, keep the local entity view by
 * applying snapshots, and measure update latency (receive time − server send time) and the
 * input acknowledgement round trip. No Node-only imports: pass a WebSocket implementation
 * (`ws` in Node 20; the browser's global WebSocket is used by default).
 */
import { Unpackr, Packr } from 'msgpackr';
import { gameFrame, helloFrame, inputFrame, leaveFrame, pingFrame, purchaseFrame } from '../net/protocol.js';
import type { ErrorMsg, EventMsg, GameMessageMsg, RedirectMsg, RegionMsg, ServerMsg } from '../net/protocol.js';
import type { SnapshotMsg, TxResultMsg, WalletMsg, WelcomeMsg } from '../net/protocol.js';
import { CloseCode, optionInvalid, type WorldtickError } from '../errors.js';
import { closedBeforeOpen, closedWhileWaiting, connectFailed, joinRefused, timedOut, type CloseDetails } from './client-errors.js';
import { answersPurchase, fnOf, notConnected, purchaseNotJoined, purchaseStringProblem } from './client-errors.js';
import { argsOf, packFrame } from './client-args.js';
import { createAckClock, inputSent } from './ack-clock.js';
import { applyServerMessage, decodeServerFrame } from './apply.js';
import { type SilenceWatch, watchSilence } from './silence.js';
import { boundClose, closeTimedOutReason, DEFAULT_CLOSE_TIMEOUT_MS, dropSocket } from './close-bound.js';
import { createView, type EntityView, type ViewChange, viewChange } from './view.js';
import { type ClientOptions, type ClientStats, createClientStats, type LatencySink } from './types.js';
import type { WebSocketCtor, WebSocketLike } from './types.js';
export type { ClientOptions, ClientStats, LatencySink, WebSocketCtor, WebSocketLike } from './types.js';
type Listener<T> = (m: T) => void;

/** A game client. Owns one socket. */
export class WorldtickClient {
  /** Where the socket connects: the URL given, then the owner's after a redirect (sessions stay there). */
  url: string;
  /** The last redirect received (a migration's after the welcome too: then `connect()` and `join` with its ticket), or null. */
  lastRedirect: RedirectMsg | null = null;
  view: EntityView = createView(1);
  welcome: WelcomeMsg | null = null;
  lastSnapshot: SnapshotMsg | null = null;
  /** The last region frame received (net option `viewMode: 'regions'`), or null. */
  lastRegion: RegionMsg | null = null;
  /**
   * The player's wallet: the last `wallet` message (sent after a join or resume once the wallet caught up from the ledger, and after a
   * reward), or the balance of the last `txResult` that carried one. Null until the first; kept across a reconnect until the next one.
   */
  wallet: WalletMsg | null = null;
  closeCode = 0;
  closeReason = '';
  readonly errors: ErrorMsg[] = [];
  readonly events: EventMsg[] = [];
  /** The game's server messages received, oldest first (the first 1,000 kept; use {@link onMessage} to see every one). */
  readonly messages: GameMessageMsg[] = [];
  readonly stats: ClientStats = createClientStats();
  #ws: WebSocketLike | null = null;
  readonly #Ctor: WebSocketCtor;
  readonly #now: () => number;
  readonly #sink: LatencySink | undefined;
  readonly #maxRedirects: number;
  readonly #silenceMs: number;
  readonly #closeMs: number;
  #unbound: () => void = () => {}; // cancels the last close()'s bound (src/client/close-bound.ts)
  #silence: SilenceWatch | null = null;
  readonly #dec = new Unpackr({ useRecords: false, mapsAsObjects: true });
  readonly #enc = new Packr({ useRecords: false });
  readonly #listeners = new Set<Listener<ServerMsg>>();
  readonly #viewListeners = new Set<Listener<ViewChange>>();
  readonly #closeWaiters = new Set<() => void>();
  /** The pending waits' rejecters: a close ends them all at once. */
  readonly #pending = new Set<(d: CloseDetails) => void>();
  /** What `close()` asked of the current socket, until its close event says what happened. */
  #closeAsked: CloseDetails | null = null;
  #seq = 0;
  readonly #acks = createAckClock();
  #welcomedOn: WebSocketLike | null = null; // the socket the last welcome came on (a `leave` is sent only on a welcomed socket)
  #helloOn: WebSocketLike | null = null; // the socket the last hello was sent on (a purchase before it is refused)

  constructor(opts: ClientOptions) {
    if (typeof opts !== 'object' || opts === null || typeof opts.url !== 'string')
      throw optionInvalid([`WorldtickClient options must be an object { url: 'ws://...', WebSocket? } (got ${typeof opts?.url} url)`]);
    this.url = opts.url;
    const g = globalThis as unknown as { WebSocket?: WebSocketCtor };
    const Ctor = opts.WebSocket ?? g.WebSocket;
    if (!Ctor) throw new Error('no WebSocket implementation: pass options.WebSocket (e.g. the ws package)');
    this.#Ctor = Ctor;
    this.#now = opts.now ?? Date.now;
    this.#sink = opts.sink;
    this.#maxRedirects = opts.maxRedirects ?? 3;
    this.#silenceMs = opts.silenceTimeoutMs ?? 0;
    this.#closeMs = opts.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
  }

  /** True while the socket is open. */
  get open(): boolean {
    return this.#ws?.readyState === 1;
  }

  /** The socket's ready state; with none, 0 (never connected) or 3 (given up). 0: a request would not go out. */
  get #state(): number {
    return this.#ws?.readyState ?? (this.closeCode === 0 ? 0 : 3);
  }

  /** The underlying socket (tests use it to pause reading). */
  get socket(): WebSocketLike | null {
    return this.#ws;
  }

  /** Open the socket. Rejects `WT_ERR_CLIENT_CONNECT_FAILED` (`could not connect to <url>: <why>`), closed first `WT_ERR_CLIENT_CLOSED`. */
  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      let ws: WebSocketLike;
      try {
        ws = new this.#Ctor(this.url);
      } catch (err) {
        // A URL the implementation refuses outright (not ws:// or wss://, malformed) throws here.
        reject(connectFailed(this.url, err instanceof Error ? err.message : String(err)));
        return;
      }
      ws.binaryType = 'arraybuffer';
      this.#ws = ws;
      this.#closeAsked = null;
      let opened = false;
      ws.onopen = () => {
        opened = true;
        this.#watch(ws);
        resolve();
      };
      ws.onerror = (ev: unknown) => {
        // The ws package and the bots' raw socket say why (e.g. an HTTP 503 "server full"); a browser does not.
        const why = typeof ev === 'object' && ev !== null && 'message' in ev && typeof ev.message === 'string' ? ev.message : '';
        if (!opened) reject(connectFailed(this.url, why));
      };
      ws.onclose = (ev: { code: number; reason: unknown }) => {
        if (this.#ws !== ws) return; // a socket left behind by a redirect, or given up as silent
        const d = { closeCode: ev.code, closeReason: String(ev.reason ?? '') };
        if (!opened) reject(closedBeforeOpen(ev.code, d));
        this.#ended(d);
      };
      ws.onmessage = (ev: { data: unknown }) => {
        if (this.#ws !== ws) return;
        this.#silence?.heard();
        this.#onMessage(ev.data);
      };
    });
  }

  /** Send raw bytes (tests: malformed frames). A SharedArrayBuffer view is copied first (a browser's `send` refuses one). */
  sendRaw(bytes: Uint8Array): void {
    if (this.#ws?.readyState === 0) return; // still opening: `send` throws there (ws, and a browser's InvalidStateError)
    this.#ws?.send(bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : bytes.slice());
  }

  /** Send any value msgpack-encoded. */
  sendFrame(frame: unknown): void {
    this.sendRaw(packFrame(this.#enc, frame));
  }

  /**
   * Send hello and wait for welcome (rejects `WT_ERR_CLIENT_JOIN_REFUSED` if refused: `details.wireCode`). A `redirect`
   * (cluster: another instance owns the world) is followed transparently: the socket moves to
   * the owner's URL (kept in `url`, so reconnects go there too) and hello is sent again with the
   * ticket, at most `maxRedirects` times. `firstTicket`: the ticket of a redirect received after the
   * join (a migration's, before its close 4014), sent with the first hello after reconnecting to its `url`.
   */
  async join(
    worldId: string,
    name: string,
    token = '',
    resumeToken: string | null = null,
    timeoutMs = 5000,
    firstTicket: string | null = null,
  ): Promise<WelcomeMsg> {
    argsOf.join(worldId, name, token, resumeToken, timeoutMs, firstTicket);
    if (this.#state === 0) throw notConnected(`the welcome to world ${JSON.stringify(worldId)}`);
    let ticket: string | null = firstTicket;
    for (let hop = 0; ; hop++) {
      this.#helloOn = this.#ws;
      this.sendFrame(helloFrame(worldId, name, token, resumeToken, undefined, ticket));
      // RESUME_REFUSED is informational: the server then joins the client as a new player. NOT_JOINED
      // answers an input, purchase or game message sent before the welcome, never the hello.
      const m = await this.#wait(
        (x) => x.type === 16 || (x.type === 20 && x.code !== 'RESUME_REFUSED' && x.code !== 'NOT_JOINED') || x.type === 23,
        timeoutMs,
        `the welcome to world ${JSON.stringify(worldId)}`,
      );
      if (m.type === 20) throw joinRefused(m.code, m.message);
      if (m.type !== 23) return m as WelcomeMsg;
      if (hop >= this.#maxRedirects) throw joinRefused(null, `more than ${this.#maxRedirects} redirects`);
      this.stats.redirects++;
      ticket = m.ticket; // `url` and `lastRedirect` are the redirect's already (applyServerMessage)
      const old = this.#ws;
      this.#ws = null;
      old?.close(1000, 'redirected');
      await this.connect();
    }
  }

  /**
   * Buy `quantity` of `item` at `expectedPrice` each, idempotent by `key` (retry it after a disconnect or TX_UNAVAILABLE): its
   * txResult. Rejects `WT_ERR_CLIENT_BAD_STRING` at once, sending nothing, when `key` or `item` holds a lone UTF-16 surrogate.
   */
  async purchase(key: string, item: string, quantity: number, expectedPrice: number, timeoutMs = 5000): Promise<TxResultMsg> {
    argsOf.purchase(key, item, quantity, expectedPrice, timeoutMs);
    const bad =
      purchaseStringProblem(key, item) ?? (this.#state === 0 ? notConnected(`the txResult of purchase ${JSON.stringify(key)}`) : null);
    if (bad) throw bad;
    const wait = this.#wait(answersPurchase(key, this.#helloOn !== this.#ws), timeoutMs, `the txResult of purchase ${JSON.stringify(key)}`);
    this.sendFrame(purchaseFrame(key, item, quantity, expectedPrice));
    const m = await wait;
    if (m.type === 20) throw purchaseNotJoined(key, m.code, m.message); // sent before the hello (answersPurchase)
    return m as TxResultMsg;
  }

  /** Send a movement input; returns its sequence number. */
  sendInput(moveX: number, moveY: number, actions = 0): number {
    argsOf.sendInput(moveX, moveY, actions);
    const seq = ++this.#seq;
    inputSent(this.#acks, seq, this.#now());
    this.sendFrame(inputFrame(seq, moveX, moveY, actions));
    return seq;
  }

  /**
   * Send a game-defined message `[5, name, payload]` (docs/GAME-API.md). The server checks the
   * payload against the message's schema: a bad one is answered with an error (`BAD_FIELD`, or
   * `UNKNOWN_TYPE` for an unknown name) in `errors` and counts a strike.
   */
  sendMessage(name: string, payload: unknown): void {
    argsOf.sendMessage(name);
    this.sendFrame(gameFrame(name, payload));
  }

  /** Ping; resolves with the round trip in ms. */
  async ping(timeoutMs = 5000): Promise<number> {
    argsOf.ping(timeoutMs);
    if (this.#state === 0) throw notConnected('the pong of a ping');
    const t = this.#now();
    this.sendFrame(pingFrame(t));
    await this.#wait((m) => m.type === 19 && m.clientTime === t, timeoutMs, 'the pong of a ping');
    return this.#now() - t;
  }

  /**
   * Subscribe to the view's changes (`ViewChange`: entered, updated, left; a `welcome` leaves every old
   * entity), after each welcome, snapshot and region frame is applied. Returns an unsubscribe function.
   */
  onView(fn: (change: ViewChange) => void): () => void {
    this.#viewListeners.add(fnOf(fn, 'onView'));
    return () => this.#viewListeners.delete(fn);
  }

  /** Subscribe to every decoded server message; returns an unsubscribe function. */
  on(fn: Listener<ServerMsg>): () => void {
    this.#listeners.add(fnOf(fn, 'on'));
    return () => this.#listeners.delete(fn);
  }

  /**
   * Subscribe to the game's server message `name` (docs/GAME-API.md "Server messages"): `fn` gets
   * its payload (typed by `P`: the `Static` of the message's schema) and the whole message (with
   * the `step` after whose snapshot it was sent). Returns an unsubscribe function.
   */
  onMessage<P = unknown>(name: string, fn: (payload: P, msg: GameMessageMsg<P>) => void): () => void {
    fnOf(fn, 'onMessage');
    argsOf.onMessage(name);
    return this.on((m) => {
      if (m.type === 25 && m.name === name) fn(m.payload as P, m as GameMessageMsg<P>);
    });
  }

  /**
   * Wait for the first message matching `pred` that arrives from now on (start it before what triggers the message: frames read
   * together with a `welcome` are dispatched before `join` resumes; docs/GAME-API.md). Rejects with a `WorldtickError`: code
   * `WT_ERR_CLIENT_TIMEOUT` after `timeoutMs`, or `WT_ERR_CLIENT_CLOSED` as soon as the socket closes (or `close()` is called; at once
   * if closed), with `details.closeCode` and `details.closeReason` (the server's when it closes the socket). A redirect's old socket
   * does not end it.
   */
  waitFor(pred: (m: ServerMsg) => boolean, timeoutMs = 5000): Promise<ServerMsg> {
    argsOf.waitFor(timeoutMs);
    return this.#wait(fnOf(pred, 'waitFor'), timeoutMs, 'a message');
  }

  /** {@link waitFor}, its errors naming `what` it waited for (`the txResult of purchase "k"`). */
  #wait(pred: (m: ServerMsg) => boolean, timeoutMs: number, what: string): Promise<ServerMsg> {
    return new Promise((resolve, reject) => {
      // Closed, or closing because we asked: at once. Closing because the server sent its close frame
      // (CLOSING until the handshake ends): the close event ends the wait with the server's code.
      const state = this.#state;
      if (state === 3 || (state === 2 && this.#closeAsked !== null)) {
        reject(closedWhileWaiting(this.#closeDetails(), what));
        return;
      }
      const done = (): void => {
        clearTimeout(timer);
        off();
        this.#pending.delete(closed);
      };
      const fail = (err: WorldtickError): void => {
        done();
        reject(err);
      };
      const closed = (d: CloseDetails): void => fail(closedWhileWaiting(d, what));
      const timer = setTimeout(() => fail(timedOut(timeoutMs, what)), timeoutMs);
      const off = this.on((m) => {
        if (!pred(m)) return;
        done();
        resolve(m);
      });
      this.#pending.add(closed);
    });
  }

  /** Wait for a snapshot (or region frame) of step >= `step`. */
  waitForStep(step: number, timeoutMs = 5000): Promise<ServerMsg> {
    argsOf.waitForStep(step, timeoutMs);
    if (this.lastSnapshot && this.lastSnapshot.step >= step) return Promise.resolve(this.lastSnapshot);
    if (this.lastRegion && this.lastRegion.step >= step) return Promise.resolve(this.lastRegion);
    return this.#wait((m) => (m.type === 17 || m.type === 24) && m.step >= step, timeoutMs, `a snapshot of step ${step} or later`);
  }

  /**
   * True once the server ended this session with a kick (close 4020, `CloseCode.KICKED`: the game's
   * `kickPlayer` or the admin API); `closeReason` says why. The player was removed, not parked: its
   * resume token is refused. Do not reconnect on your own (a game that lets a kicked player back
   * asks the player first); a new `join` is a new session of a fresh player.
   */
  get kicked(): boolean {
    return this.closeCode === CloseCode.KICKED;
  }

  /**
   * Leave on purpose (docs/PROTOCOL.md "Leaving"): send `leave`, resolve when the socket closed. The
   * server removes the player at its next step, never parked (its resume token is dead: a later `join`
   * is a fresh entity; the same `token` is still the same wallet), and closes 1000 `left`. Do not
   * reconnect after it (`reconnectAdvice(1000)` is `stop`). A socket not welcomed, or one the server
   * leaves open past `closeTimeoutMs` (a server without `leave`), is closed by the client (1000 `left`).
   */
  async leave(): Promise<void> {
    const ws = this.#ws;
    if (ws === null) return;
    if (ws.readyState !== 1 || this.#welcomedOn !== ws) this.close(1000, 'left');
    else {
      this.sendFrame(leaveFrame());
      const unbound = boundClose(ws, this.#closeMs, () => this.close(1000, 'left'));
      await this.closed();
      unbound();
    }
    await this.closed();
  }

  /** Resolves when the socket has closed (with `closeCode` set). */
  closed(): Promise<void> {
    if (this.#ws === null || this.#ws.readyState === 3) return Promise.resolve();
    return new Promise((r) => this.#closeWaiters.add(r));
  }

  /**
   * Close the socket. Pending waits reject at once (`WT_ERR_CLIENT_CLOSED`, with this `code` and
   * `reason`), not when the close handshake ends. A handshake not done within `closeTimeoutMs` (a dead
   * link) gives the socket up: `closeCode` 1006, `closeReason` `close handshake timed out after <n> ms`.
   */
  close(code = 1000, reason = ''): void {
    argsOf.close(code, reason);
    const ws = this.#ws;
    if (ws === null) return;
    ws.close(code, reason);
    if (ws.readyState === 3) return; // already closed: its close event ended the waits
    this.#closeAsked = { closeCode: code, closeReason: reason };
    this.#failPending();
    this.#unbound();
    this.#unbound = boundClose(ws, this.#closeMs, () => this.#giveUp(ws, closeTimedOutReason(this.#closeMs)));
  }

  /** The close code and reason of the current socket: its close event's, or what `close()` asked until then. */
  #closeDetails(): CloseDetails {
    if (this.#ws?.readyState !== 3 && this.#closeAsked !== null) return this.#closeAsked;
    return { closeCode: this.closeCode, closeReason: this.closeReason };
  }

  /** The current socket ended (its close event, or given up as silent): record why, end the waits. */
  #ended(d: CloseDetails): void {
    this.#silence?.stop();
    this.#silence = null;
    this.#unbound();
    this.closeCode = d.closeCode;
    this.closeReason = d.closeReason;
    this.#failPending(d);
    for (const w of this.#closeWaiters) w();
    this.#closeWaiters.clear();
  }

  /** Give an open socket up when the server stays silent for `silenceTimeoutMs` (src/client/silence.ts): as lost, 1006. */
  #watch(ws: WebSocketLike): void {
    this.#silence?.stop();
    const ping = () => this.sendFrame(pingFrame(this.#now()));
    this.#silence = watchSilence(this.#silenceMs, ping, (quiet) => this.#giveUp(ws, `no message for ${quiet} ms`));
  }

  /** Give the current socket up as lost (silent, or its close handshake timed out): dropped, 1006. */
  #giveUp(ws: WebSocketLike, reason: string): void {
    if (this.#ws !== ws) return;
    this.#ws = null; // its close event, if one ever comes, is ignored
    this.#closeAsked = null;
    dropSocket(ws, 1000, reason);
    this.#ended({ closeCode: 1006, closeReason: reason });
  }

  /** End every pending wait with a `WT_ERR_CLIENT_CLOSED` error (naming what each waited for). */
  #failPending(d = this.#closeDetails()): void {
    for (const closed of [...this.#pending]) closed(d);
  }

  #onMessage(data: unknown): void {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : (data as Uint8Array);
    this.stats.messagesIn++;
    this.stats.bytesIn += bytes.byteLength;
    const m = decodeServerFrame(this.#dec, bytes);
    if (!m) return void this.stats.ignoredFrames++;
    if (m.type === 16) this.#welcomedOn = this.#ws;
    const watched = this.#viewListeners.size > 0 && (m.type === 16 || m.type === 17 || m.type === 24);
    const before = watched ? new Set(this.view.entities.keys()) : null;
    applyServerMessage(this, m, this.#acks, this.#sink, this.#now());
    if (before !== null) {
      const change = viewChange(before, this.view, m.type === 17 ? m.update.map((u) => u[0] ?? 0) : m.type === 16 ? [] : null);
      for (const fn of this.#viewListeners) fn(change);
    }
    for (const fn of this.#listeners) fn(m);
  }
}
