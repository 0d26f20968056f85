/**
 * Hostile game clients for the protocol fuzz test: a plain `ws` socket that sends a scripted
 * list of frames at once and records every reply, plus a model of docs/PROTOCOL.md's session
 * rules that predicts, frame by frame, the replies and the close code the server must produce.
 */
import WebSocket from 'ws';
import { pack, unpack } from 'msgpackr';
import { createServerCodec } from '../../src/net/codec.js';

/** One scripted frame. */
export interface Item {
  bytes: Uint8Array | string;
  binary: boolean;
}

/** What a hostile connection saw. */
export interface ConnResult {
  /** Replies in order: `E:<code>`, `P:<clientTime>`, `W:<resumed>`, `T:<tx code or ok>`; snapshots/events left out. */
  replies: string[];
  /** Close code the client saw (1000 when the test closed it after the sync pong). */
  closeCode: number;
  /** True when the server closed before answering the final sync ping. */
  serverClosed: boolean;
  welcome: { playerId: number; token: string; resumed: boolean } | null;
  errors: Map<string, number>;
}

/** Lane state the model needs: parked players of this lane's earlier connections. */
export interface LaneState {
  parked: Map<string, number>;
}

export const MAX_STRIKES = 5;

/**
 * Connect, send every item, then a ping with `syncTime`; resolve once that pong arrives (then
 * close with 1000) or the server closes the socket. With `awaitWelcome`, a welcome that has not
 * arrived by the sync pong is waited for (it comes from the next step, after the pong).
 */
export const runConn = (
  url: string,
  items: readonly Item[],
  syncTime: number | null,
  timeoutMs = 8000,
  awaitWelcome = false,
  helloAt = -1,
  /**
   * txResults the model expects: the socket stays open past the sync pong until they came. A purchase
   * may be answered after a store commit, later than the pong of the ping sent after it (seed 80289:
   * a purchase of a freshly joined player answered after the client had closed at the pong).
   */
  txExpected = 0,
): Promise<ConnResult> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const res: ConnResult = { replies: [], closeCode: 0, serverClosed: true, welcome: null, errors: new Map() };
    let synced = false;
    let txs = 0;
    /** Close once synced, welcomed (when awaited) and every expected txResult came. */
    const done = (): boolean => synced && (!awaitWelcome || res.welcome !== null) && txs >= txExpected;
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`hostile connection timed out; replies so far ${res.replies.join(',')}`));
    }, timeoutMs);
    ws.on('error', () => {});
    // An accepted hello is answered once the durable store committed its join (a later event-loop
    // turn): the frames after it would meet a hello still pending (held, answered after the welcome).
    // So with `helloAt` (the model's accepted hello) the rest is sent once the welcome came.
    let rest: readonly Item[] = [];
    const sendRest = (): void => {
      for (const it of rest) ws.send(it.bytes, { binary: it.binary });
      rest = [];
      if (syncTime !== null) ws.send(pack([3, syncTime]), { binary: true });
    };
    ws.on('open', () => {
      const first = helloAt >= 0 ? items.slice(0, helloAt + 1) : items;
      rest = helloAt >= 0 ? items.slice(helloAt + 1) : [];
      for (const it of first) ws.send(it.bytes, { binary: it.binary });
      if (helloAt < 0) sendRest();
    });
    ws.on('message', (data: Buffer) => {
      let m: unknown;
      try {
        m = unpack(data);
      } catch {
        res.replies.push('UNDECODABLE');
        return;
      }
      const a = m as unknown[];
      if (a[0] === 20) {
        res.replies.push(`E:${String(a[1])}`);
        res.errors.set(String(a[1]), (res.errors.get(String(a[1])) ?? 0) + 1);
      } else if (a[0] === 19) {
        if (syncTime !== null && a[1] === syncTime) {
          res.serverClosed = false;
          synced = true;
          if (done()) ws.close(1000);
        } else res.replies.push(`P:${String(a[1])}`);
      } else if (a[0] === 21) {
        res.replies.push(`T:${String(a[3] ?? 'ok')}`);
        txs++;
        if (done()) ws.close(1000);
      } else if (a[0] === 16) {
        res.welcome = { playerId: a[2] as number, token: a[6] as string, resumed: a[9] === true };
        res.replies.push(`W:${a[9] === true}`);
        if (helloAt >= 0 && !synced) sendRest();
        if (done()) ws.close(1000);
      }
    });
    ws.on('close', (code: number) => {
      clearTimeout(timer);
      res.closeCode = code;
      resolve(res);
    });
  });

/** The model's prediction for one scripted connection. */
export interface Prediction {
  replies: string[];
  /** 0 = stays open (answers the sync ping); -1 = dropped for a frame over maxPayloadLength (uWS picks the code). */
  closeCode: number;
  /** Token of a parked player this connection's hello should resume, if any. */
  resumes: string | null;
  /** Index of the item that is the accepted hello (a welcome follows), or -1. */
  helloAt: number;
  /** A `leave` after the welcome closed the socket 1000: its player is removed, not parked. */
  left: boolean;
}

/** Predict the server's replies to `items` (docs/PROTOCOL.md: strikes, order rules, closes). */
export const predict = (items: readonly Item[], worldIds: ReadonlySet<string>, lane: LaneState, maxPayload: number): Prediction => {
  const codec = createServerCodec();
  const out: Prediction = { replies: [], closeCode: 0, resumes: null, helloAt: -1, left: false };
  let joined = false;
  let lastSeq = 0;
  let strikes = 0;
  const strike = (code: string): boolean => {
    out.replies.push(`E:${code}`);
    if (++strikes >= MAX_STRIKES) {
      out.closeCode = 4002;
      return true;
    }
    return false;
  };
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    if (Buffer.byteLength(it.bytes) > maxPayload) {
      out.closeCode = -1;
      break;
    }
    if (!it.binary) {
      if (strike('BAD_FRAME')) break;
      continue;
    }
    const r = codec.decode(it.bytes as Uint8Array);
    if (!r.ok) {
      if (strike(r.code)) break;
      continue;
    }
    const m = r.msg;
    if (m.type === 1) {
      if (joined) {
        if (strike('ALREADY_JOINED')) break;
        continue;
      }
      if (m.version !== 1) {
        out.replies.push('E:BAD_VERSION');
        out.closeCode = 4001;
        break;
      }
      if (!worldIds.has(m.worldId)) {
        out.replies.push('E:UNKNOWN_WORLD');
        out.closeCode = 4004;
        break;
      }
      const resumed = m.resumeToken !== null && lane.parked.has(m.resumeToken);
      if (resumed) out.resumes = m.resumeToken;
      // An unknown (forged, expired) resume token is refused with a code, then a fresh join.
      else if (m.resumeToken !== null) out.replies.push('E:RESUME_REFUSED');
      out.replies.push(`W:${resumed}`);
      out.helloAt = i;
      joined = true;
      lastSeq = 0;
    } else if (m.type === 2) {
      if (!joined) {
        if (strike('NOT_JOINED')) break;
      } else if (m.seq <= lastSeq) {
        if (strike('OUT_OF_RANGE')) break;
      } else lastSeq = m.seq;
    } else if (m.type === 3) out.replies.push(`P:${String(m.clientTime)}`);
    else if (m.type === 4) {
      if (!joined) {
        if (strike('NOT_JOINED')) break;
      } else out.replies.push('T:TX_UNAVAILABLE'); // a txResult: its code is the ledger's (compared by presence)
    } else if (m.type === 5) {
      // The fuzzed runtime serves no game: every game message of a joined session is an unknown name.
      if (strike(joined ? 'UNKNOWN_TYPE' : 'NOT_JOINED')) break;
    } else if (m.type === 6) {
      // leave: NOT_JOINED with a strike before the welcome; after it, closed 1000 "left" at once.
      if (!joined) {
        if (strike('NOT_JOINED')) break;
        continue;
      }
      out.closeCode = 1000;
      out.left = true;
      break;
    }
  }
  return out;
};
