/**
 * The client's bound on its own close (`ClientOptions.closeTimeoutMs`): `close()` sends a close
 * frame and the socket closes when the server's answers it — but on a dead link (the server process
 * stopped, the network gone without a FIN or RST) no answer ever comes, and the platform gives up
 * late (the `ws` package after 30 s; a browser whenever TCP does). A game client that closes on its
 * own should be done promptly: after the bound the socket is dropped (`terminate()` where the
 * implementation has one, as `ws` does; a browser's is just no longer waited for) and the client
 * ends it as lost.
 */
import type { WebSocketLike } from './types.js';

/** Wall ms `close()` waits for the close handshake before giving the socket up. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 2000;

/** The close reason of a socket given up because its close handshake did not finish in `ms`. */
export const closeTimedOutReason = (ms: number): string => `close handshake timed out after ${ms} ms`;

/**
 * Drop a socket without a handshake: `terminate()` if the implementation has one (the `ws`
 * package, the bots' raw socket: the TCP connection is destroyed at once, so nothing lingers and keeps
 * a Node process alive), else `close(code, reason)` (a browser: it closes whenever it can; the caller
 * stops listening to it).
 */
export const dropSocket = (ws: WebSocketLike, code: number, reason: string): void => {
  const t = (ws as { terminate?: unknown }).terminate;
  if (typeof t === 'function') t.call(ws);
  else ws.close(code, reason);
};

/**
 * Call `giveUp()` once if the socket is still not closed `ms` wall ms from now. Returns a cancel
 * function (call it when the close event arrives). `ms <= 0`: no bound (cancel is a no-op).
 */
export const boundClose = (ws: WebSocketLike, ms: number, giveUp: () => void): (() => void) => {
  if (ms <= 0) return () => {};
  const timer = setTimeout(() => {
    if (ws.readyState !== 3) giveUp();
  }, ms);
  return () => clearTimeout(timer);
};
