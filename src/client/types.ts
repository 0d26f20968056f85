/**
 * The client library's option, statistics and socket types (src/client/client.ts uses them; the
 * package's client entry re-exports them).
 */

/**
 * The subset of the WHATWG WebSocket API the client uses: the browser's WebSocket and the `ws`
 * package's both fit as they are. The handlers are the client's to assign, so their event parameter is
 * typed `never` here: any socket's handler type accepts them (the client reads only `data`, `code`,
 * `reason` and an error's `message`, the fields both event kinds have).
 */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array<ArrayBuffer>): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: never) => void) | null;
  onmessage: ((ev: never) => void) | null;
  onclose: ((ev: never) => void) | null;
  onerror: ((ev: never) => void) | null;
}
export type WebSocketCtor = new (url: string) => WebSocketLike;

/** Where latency samples go (bots share one recorder across thousands of clients). */
export interface LatencySink {
  /** Update latency of one snapshot, wall ms (receive − server send time). */
  update(ms: number): void;
  /** Input acknowledgement round trip, wall ms (input sent → snapshot acking it received). */
  ack(ms: number): void;
  /**
   * Wall ms since this client's previous snapshot or region frame (from its second on, a reconnect's gap
   * included): how long the player's view stood still — a server that stops sending shows here, not in `update`.
   */
  gap?(ms: number): void;
}

export interface ClientOptions {
  url: string;
  WebSocket?: WebSocketCtor;
  /** Wall clock in Unix epoch ms (must match the server's for latency). Default Date.now. */
  now?: () => number;
  sink?: LatencySink;
  /** Redirects (cluster: another instance owns the world) followed per join. Default 3. */
  maxRedirects?: number;
  /**
   * Wall ms without any server message after which an open socket is given up as lost (a link that
   * died without closing: no close event would ever come): pending waits reject `WT_ERR_CLIENT_CLOSED`,
   * `closeCode` 1006, `closeReason` `no message for <n> ms`, `closed()` resolves. A `ping` is sent
   * after half of it (a paused world sends no snapshots). Default 0: off.
   */
  silenceTimeoutMs?: number;
  /**
   * Wall ms `close()` waits for the close handshake (the server's close frame) before giving the
   * socket up — a dead link never answers, and the `ws` package waits 30 s, a browser as long as TCP
   * does: the socket is terminated (`ws`'s `terminate()`; a browser's is no longer waited for),
   * `closeCode` 1006, `closeReason` `close handshake timed out after <n> ms`, `closed()` resolves.
   * Default 2000 (`DEFAULT_CLOSE_TIMEOUT_MS`); 0: wait for the handshake however long it takes.
   */
  closeTimeoutMs?: number;
}

export interface ClientStats {
  snapshots: number;
  bytesIn: number;
  messagesIn: number;
  events: number;
  /** Server messages of the game received (`message`, type 25). */
  gameMessages: number;
  errors: number;
  /** Last update latency sample (ms). */
  lastLatencyMs: number;
  /** Last input ack round trip (ms). */
  lastAckRttMs: number;
  /** Wall time (the client's clock, ms) the last snapshot or region frame arrived; 0 before the first. */
  lastSnapshotAt: number;
  /** `redirect` messages followed (cluster). */
  redirects: number;
  /**
   * Frames ignored: not msgpack, not a server message (an unknown type: a newer server's), or a snapshot or
   * region frame whose rows are not arrays of numbers (src/net/protocol-parse.ts). Should stay 0.
   */
  ignoredFrames: number;
}

/** Zeroed statistics. */
export const createClientStats = (): ClientStats => ({
  snapshots: 0,
  bytesIn: 0,
  messagesIn: 0,
  events: 0,
  gameMessages: 0,
  errors: 0,
  lastLatencyMs: 0,
  lastAckRttMs: 0,
  lastSnapshotAt: 0,
  redirects: 0,
  ignoredFrames: 0,
});
