/**
 * What a client should do after the server closed its socket, by close code (docs/PROTOCOL.md
 * "Close codes"): the table every client otherwise writes by hand. Browser-safe, no imports of Node.
 */
import { CloseCode } from '../wire-codes.js';

/**
 * - `reconnect` — connect again (with backoff) and resume with the session's resume token: the
 *   connection was lost (1006), the server is shutting down or restarting (1001), it timed out
 *   waiting for the hello (4003), the socket fell behind (4008), or cluster routing moved the world
 *   (4014: to `client.url`, the redirect's, with `client.lastRedirect.ticket`; 4015, 4016: to the URL first used).
 * - `later` — the same, but the server asked to wait before retrying: a service the hello needs was
 *   unavailable (1013), the world is full (4009) or in maintenance (4013), or the client's address
 *   made too many new players or failed authentications (4018, 4019).
 * - `stop` — do not reconnect on your own: a normal close (1000; reason `left` after the client's own
 *   `leave`, whose player is removed, its resume token dead), a protocol version the server
 *   does not speak (4001), too many protocol errors (4002: a client bug), an unknown or deleted
 *   world (4004, 4012), the session taken over by another socket of the same player (4011: another
 *   tab or device holds it now), authentication refused (4017), kicked (4020). Unknown codes stop
 *   too: a client should not hammer a server whose close it cannot interpret.
 */
export type ReconnectAdvice = 'reconnect' | 'later' | 'stop';

const RECONNECT: ReadonlySet<number> = new Set([
  CloseCode.GOING_AWAY,
  1006,
  CloseCode.HELLO_TIMEOUT,
  CloseCode.SLOW_CONSUMER,
  CloseCode.REDIRECTED,
  CloseCode.LEASE_LOST,
  CloseCode.BAD_TICKET,
]);
const LATER: ReadonlySet<number> = new Set([
  CloseCode.TRY_AGAIN,
  CloseCode.WORLD_FULL,
  CloseCode.MAINTENANCE,
  CloseCode.NEW_PLAYER_LIMITED,
  CloseCode.AUTH_LIMITED,
]);

/** The advice for a close code (see {@link ReconnectAdvice}). */
export const reconnectAdvice = (closeCode: number): ReconnectAdvice =>
  RECONNECT.has(closeCode) ? 'reconnect' : LATER.has(closeCode) ? 'later' : 'stop';
