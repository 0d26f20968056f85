/**
 * The errors the client library's promises reject with (docs/GAME-API.md "When a wait ends without
 * its answer"): one constructor each, so the messages and `details` stay the same everywhere.
 */
import { ErrorCode, optionInvalid, WorldtickError } from '../errors.js';
import type { ServerMsg } from '../net/protocol.js';

/** A close code and reason: the close event's, or what `close()` asked. */
export interface CloseDetails {
  closeCode: number;
  closeReason: string;
}

/** `connect()` could not open the socket (`reason`: what the WebSocket implementation said, or ''). */
export const connectFailed = (url: string, reason: string): WorldtickError =>
  new WorldtickError(ErrorCode.CLIENT_CONNECT_FAILED, `could not connect to ${url}${reason === '' ? '' : `: ${reason}`}`, {
    details: { url, reason },
  });

/** The socket closed before it opened. */
export const closedBeforeOpen = (code: number, d: CloseDetails): WorldtickError =>
  new WorldtickError(ErrorCode.CLIENT_CLOSED, `closed before open (${code})`, { details: d });

/** A wait for `what` (`the txResult of purchase "k"`; default `a message`) ended because the socket closed. */
export const closedWhileWaiting = (d: CloseDetails, what = 'a message'): WorldtickError => {
  const why = d.closeReason === '' ? '' : `: ${d.closeReason}`;
  return new WorldtickError(ErrorCode.CLIENT_CLOSED, `closed (${d.closeCode}${why}) while waiting for ${what}`, { details: d });
};

/** A wait for `what` (default `a message`) ran out its time on an open socket. */
export const timedOut = (timeoutMs: number, what = 'a message'): WorldtickError =>
  new WorldtickError(ErrorCode.CLIENT_TIMEOUT, `timed out after ${timeoutMs} ms waiting for ${what}`, { details: { timeoutMs } });

/**
 * A request made with no open socket (never connected, or `connect()` not awaited): nothing was sent. Before, a
 * `join` or `purchase` sent nothing and timed out, or the WebSocket implementation threw its own error.
 */
export const notConnected = (what: string): WorldtickError =>
  new WorldtickError(ErrorCode.CLIENT_CLOSED, `not connected (await connect() first): nothing sent for ${what}`, {
    details: { closeCode: 0, closeReason: '' },
  });

/** The server refused the hello (`wireCode` null: too many redirects). */
export const joinRefused = (wireCode: string | null, message: string): WorldtickError =>
  new WorldtickError(ErrorCode.CLIENT_JOIN_REFUSED, `hello refused: ${wireCode === null ? '' : `${wireCode} `}${message}`, {
    details: { wireCode, message },
  });

/** The server answered purchase `key` with an error frame (`NOT_JOINED`: sent before `join` sent its hello). */
export const purchaseNotJoined = (key: string, wireCode: string, message: string): WorldtickError =>
  new WorldtickError(
    ErrorCode.CLIENT_NOT_JOINED,
    `purchase ${JSON.stringify(key)} refused: ${wireCode} ${message} (join before purchasing)`,
    {
      details: { key, wireCode, message },
    },
  );

/** A lone UTF-16 surrogate: a string with one has no UTF-8 form. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The purchase's `key` or `item` that cannot be sent (a lone surrogate), as the error to reject with; null when both can. */
export const purchaseStringProblem = (key: string, item: string): WorldtickError | null => {
  for (const [field, value] of [
    ['key', key],
    ['item', item],
  ] as const) {
    if (typeof value === 'string' && LONE_SURROGATE.test(value))
      return new WorldtickError(
        ErrorCode.CLIENT_BAD_STRING,
        `purchase ${field} ${JSON.stringify(value)} holds a lone UTF-16 surrogate: it has no UTF-8 form, the server would refuse it (nothing sent)`,
        { details: { field } },
      );
  }
  return null;
};

/**
 * Whether `m` answers purchase `key`: its `txResult`, or — `beforeHello`: no hello was sent on its
 * socket before it — a `NOT_JOINED` error frame. An error frame names no purchase; one sent before
 * the hello is refused for sure, while one sent after it is held until the welcome or handled, and a
 * `NOT_JOINED` then answers another message (a game message before the welcome, a 17th held one).
 */
export const answersPurchase =
  (key: string, beforeHello: boolean) =>
  (m: ServerMsg): boolean =>
    (m.type === 21 && m.key === key) || (beforeHello && m.type === 20 && m.code === 'NOT_JOINED');

/**
 * `fn` when it is a function; else `WT_ERR_OPTION_INVALID` naming `what`: a listener that is none (a JavaScript caller's
 * null) threw a TypeError out of the socket's message handler at the next message, far from the call.
 */
export const fnOf = <F>(fn: F, what: string): F => {
  if (typeof fn !== 'function') throw optionInvalid([`${what}: the listener must be a function (got ${fn === null ? 'null' : typeof fn})`]);
  return fn;
};
