/**
 * A light load-test bot: joins like any client, then reads only the fixed head of each snapshot
 * (type, step, world time, server send time, input ack) with a tiny msgpack reader instead of
 * decoding the whole frame and keeping an entity view. The update latency it records is
 * measured exactly like the full client's (receive wall time − the snapshot's send time field),
 * so thousands of these cost the shared CPU far less while still measuring every snapshot.
 * Non-snapshot frames (welcome, error, event, pong) are decoded in full with msgpackr.
 *
 * Node-only: over the raw transport (src/bots/raw-ws.ts) a frame is read where the socket read
 * put it, without a copy or an allocation; `wss://` and `--transport ws` use the `ws` package.
 */
import { Packr, Unpackr } from 'msgpackr';
import type { LatencySink } from '../client/client.js';
import { helloFrame, inputFrame, leaveFrame, MsgType, purchaseFrame } from '../net/protocol.js';
import { readRegionHeadAt, readSnapshotHeadAt, type SnapshotHead } from './frame-head.js';
import { openBotConn, type BotConn, type BotTransport } from './bot-conn.js';
import type { ReadBuffer } from './raw-ws.js';

export { readRegionHead, readSnapshotHead, type SnapshotHead } from './frame-head.js';

const ACK_RING = 256;

/** How a light bot connects (the fleet shares one read buffer between all its raw sockets). */
export interface LightBotOptions {
  /** Default `raw` (RawWs for ws:// URLs; the ws package for wss://). */
  transport?: BotTransport;
  /** Read buffer shared by the fleet's raw sockets (default: one of the bot's own). */
  readBuffer?: ReadBuffer;
}

/** One light bot. Owns one socket. */
export class LightBot {
  readonly stats = { snapshots: 0, bytesIn: 0, errors: 0, redirects: 0, regionFrames: 0, ignoredFrames: 0 };
  /** Consistency check of region frames: a frame that does not name this bot's player counts one. */
  readonly view = { inconsistencies: 0 };
  /** Player entity id (from welcome; −1 before). */
  playerId = -1;
  closeCode = 0;
  /** The welcome's resume token (a move resumes with it: src/bots/follow-moves.ts), and whether that welcome resumed. */
  resumeToken: string | null = null;
  resumed = false;
  /** The last `redirect` received after the join (a migration's, before its close 4014), or null. */
  lastRedirect: { url: string; ticket: string } | null = null;
  /** Wall time (`now()`) of the last snapshot or region frame received; 0 before the first. */
  lastSnapshotAt = 0;
  /** Called with the close code when the current socket closes (set by the move follower after a join). */
  onClose: ((code: number) => void) | null = null;
  /** Called once with the receive time of the next snapshot or region frame, then cleared. */
  onSnapshot: ((at: number) => void) | null = null;
  #conn: BotConn | null = null;
  /** The connection the last welcome came on (a `leave` is sent only on a welcomed one). */
  #welcomedOn: BotConn | null = null;
  readonly #sink: LatencySink;
  readonly #now: () => number;
  readonly #transport: BotTransport;
  readonly #rb: ReadBuffer | null;
  readonly #dec = new Unpackr({ useRecords: false, mapsAsObjects: true });
  readonly #enc = new Packr({ useRecords: false });
  readonly #head: SnapshotHead = { step: 0, worldTime: 0, sendTime: 0, ack: 0 };
  readonly #r = { v: 0 };
  #onOther: ((m: unknown) => void) | null = null;
  /** Purchases waiting for their txResult, by key. */
  readonly #tx = new Map<string, (code: string | null) => void>();
  #seq = 0;
  #lastAck = 0;
  readonly #ackSeq = new Float64Array(ACK_RING);
  readonly #ackAt = new Float64Array(ACK_RING);

  /** Where the bot connects: the URL given, then the owner's after a redirect. */
  url: string;

  constructor(url: string, sink: LatencySink, now: () => number = Date.now, opts: LightBotOptions = {}) {
    this.url = url;
    this.#sink = sink;
    this.#now = now;
    this.#transport = opts.transport ?? 'raw';
    this.#rb = opts.readBuffer ?? null;
  }

  get open(): boolean {
    return this.#conn !== null && this.#conn.readyState === 1;
  }

  /**
   * Connect, send hello, resolve on welcome (reject on error frame, close or timeout). A
   * `redirect` (cluster: another instance owns the world) is followed, at most 3 times: the bot
   * moves to the owner's URL (`url`) and says hello again with the ticket. `resume`: a resume token
   * to send in the hello (a move: src/bots/follow-moves.ts).
   */
  join(
    worldId: string,
    name: string,
    timeoutMs = 15_000,
    token = '',
    ticket: string | null = null,
    hop = 0,
    resume: string | null = null,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (err: Error | null) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.#onOther = null;
        if (err) {
          reject(err);
          conn.terminate();
        } else resolve();
      };
      const timer = setTimeout(() => finish(new Error('join timed out')), timeoutMs);
      const conn = openBotConn(
        this.url,
        {
          open: () => conn.send(this.#enc.pack(helloFrame(worldId, name, token, resume, undefined, ticket))),
          error: (err) => finish(new Error(`could not connect to ${this.url}: ${err.message}`)),
          close: (code) => {
            if (this.#conn === conn) this.closeCode = code;
            finish(new Error(`closed (${code})`));
            if (this.#conn === conn) this.onClose?.(code);
          },
          frame: (b, dv, start, end) => this.#onMessage(b, dv, start, end),
        },
        this.#transport,
        this.#rb,
      );
      this.#conn = conn;
      this.#onOther = (m) => {
        const t = Array.isArray(m) ? m[0] : undefined;
        if (t === MsgType.WELCOME) {
          const w = m as unknown[];
          this.playerId = Number(w[2]);
          this.resumeToken = typeof w[6] === 'string' ? w[6] : null;
          this.resumed = w[9] === true;
          this.#welcomedOn = conn;
          finish(null);
        } else if (t === MsgType.ERROR) finish(new Error(`hello refused: ${String(m && (m as unknown[])[1])}`));
        else if (t === MsgType.REDIRECT && hop < 3) {
          const r = m as unknown[];
          done = true;
          clearTimeout(timer);
          this.#onOther = null;
          this.stats.redirects++;
          conn.terminate();
          this.url = String(r[2]);
          this.join(worldId, name, timeoutMs, token, String(r[3]), hop + 1, resume).then(resolve, reject);
        }
      };
    });
  }

  /** Send a movement input (its acknowledgement round trip is measured). */
  sendInput(moveX: number, moveY: number): void {
    const seq = ++this.#seq;
    this.#ackSeq[seq % ACK_RING] = seq;
    this.#ackAt[seq % ACK_RING] = this.#now();
    this.#conn?.send(this.#enc.pack(inputFrame(seq, moveX, moveY, 0)));
  }

  /** Send a purchase; resolves with its txResult's code (null = ok), rejects after `timeoutMs`. */
  purchase(key: string, item: string, quantity: number, expectedPrice: number, timeoutMs = 5000): Promise<{ code: string | null }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#tx.delete(key);
        reject(new Error('purchase timed out'));
      }, timeoutMs);
      this.#tx.set(key, (code) => {
        clearTimeout(timer);
        resolve({ code });
      });
      this.#conn?.send(this.#enc.pack(purchaseFrame(key, item, quantity, expectedPrice)));
    });
  }

  /** Close (1000); `drop`: at once, without a close handshake (a join a stop cancels: src/bots/join-cancel.ts). */
  close(drop = false): void {
    if (drop) this.#conn?.terminate();
    else this.#conn?.close(1000, '');
  }

  /** True while the socket is open and welcomed: a {@link leave} would reach the server as one. */
  get welcomed(): boolean {
    return this.open && this.#welcomedOn === this.#conn;
  }

  /**
   * Leave on purpose (docs/PROTOCOL.md "Leaving"): on a welcomed socket send `leave`, then close (1000;
   * the server, which closes 1000 `left` on its own, has it before the close frame): its player is
   * removed at the server's next step, never parked. A socket not welcomed is just closed.
   */
  leave(): void {
    if (this.welcomed) this.#conn?.send(this.#enc.pack(leaveFrame()));
    this.close();
  }

  /** One frame in `b[start, end)` (valid only during the call). Snapshot and region heads are read in place. */
  #onMessage(b: Uint8Array, dv: DataView, start: number, end: number): void {
    this.stats.bytesIn += end - start;
    const h = this.#head;
    const region = b[start + 1] === MsgType.REGION && readRegionHeadAt(b, dv, start, end, this.playerId, this.#r, h);
    if (region) {
      this.stats.regionFrames++;
      if (h.ack < 0) {
        this.view.inconsistencies++;
        h.ack = 0;
      }
    }
    if (region || readSnapshotHeadAt(b, dv, start, end, this.#r, h)) {
      const now = this.#now();
      this.stats.snapshots++;
      if (this.lastSnapshotAt > 0) this.#sink.gap?.(now - this.lastSnapshotAt);
      this.lastSnapshotAt = now;
      if (this.onSnapshot !== null) {
        const f = this.onSnapshot;
        this.onSnapshot = null;
        f(now);
      }
      this.#sink.update(now - h.sendTime);
      if (h.ack > this.#lastAck) {
        this.#lastAck = h.ack;
        const k = h.ack % ACK_RING;
        if (this.#ackSeq[k] === h.ack) this.#sink.ack(now - this.#ackAt[k]);
      }
      return;
    }
    // Events (`[18, kind, npc, at, expiresAt]`, e.g. the net bench's transport-floor probes) are
    // of no use to a light bot: skipped without decoding.
    if (b[start] === 0x95 && b[start + 1] === MsgType.EVENT) return;
    let m: unknown;
    try {
      m = this.#dec.unpack(b.slice(start, end));
    } catch {
      this.stats.ignoredFrames++; // not msgpack
      return;
    }
    if (Array.isArray(m) && m[0] === MsgType.ERROR) this.stats.errors++;
    if (Array.isArray(m) && m[0] === MsgType.REDIRECT) this.lastRedirect = { url: String(m[2]), ticket: String(m[3]) };
    if (Array.isArray(m) && m[0] === MsgType.TX_RESULT) {
      const done = this.#tx.get(String(m[1]));
      this.#tx.delete(String(m[1]));
      done?.(typeof m[3] === 'string' ? m[3] : null);
      return;
    }
    this.#onOther?.(m);
  }
}
