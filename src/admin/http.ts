/**
 * The one safe way to answer a uWebSockets.js HTTP request (LIBRARY-FACTS.md):
 *
 * - `openExchange` registers `res.onAborted` before anything else, so a handler may return
 *   before responding (an unanswered request without an abort handler kills the process);
 * - every write goes through `Exchange.send`, which does nothing once the client aborted or a
 *   response was sent, and writes inside `res.cork` (required after an `await`);
 * - `readBody` copies each `onData` chunk before the callback returns (uWS empties it after),
 *   enforces a byte limit (413) and rejects when the request is aborted.
 *
 * `req` (uWS HttpRequest) is valid only until the handler returns or awaits: callers read what
 * they need with `snapshotRequest` synchronously.
 */
import type { HttpRequest, HttpResponse } from '../uws.js';
import { bodyTooLarge } from './http-errors.js';

/** What a route handler returns. `json` is serialised; otherwise `body` is sent as is. */
export interface RouteResponse {
  /** HTTP status code. Default 200. */
  status?: number;
  json?: unknown;
  body?: string | Uint8Array;
  /** Content type of `body` (JSON responses get `application/json`). */
  contentType?: string;
  headers?: Readonly<Record<string, string>>;
}

/** The request fields read synchronously from uWS (valid after the handler returns). */
export interface RequestSnapshot {
  /** Upper-case method (`GET`, `POST`, ...). */
  readonly method: string;
  /** Path without the query string (not decoded). */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly authorization: string;
  readonly contentType: string;
  /** Parsed `Content-Length`, -1 if absent, NaN if malformed. */
  readonly contentLength: number;
  readonly chunked: boolean;
  /** `X-Worldtick-Forwarded-By`: the instance that forwarded this request (cluster), or ''. */
  readonly forwardedBy: string;
}

/** Read everything the admin needs from `req` now (it is invalid after the first await). */
export const snapshotRequest = (req: HttpRequest): RequestSnapshot => {
  const cl = req.getHeader('content-length');
  return {
    method: req.getMethod().toUpperCase(),
    path: req.getUrl(),
    query: new URLSearchParams(req.getQuery() ?? ''),
    authorization: req.getHeader('authorization'),
    contentType: req.getHeader('content-type'),
    contentLength: cl === '' ? -1 : /^\d{1,15}$/.test(cl) ? Number(cl) : NaN,
    chunked: /chunked/i.test(req.getHeader('transfer-encoding')),
    forwardedBy: req.getHeader('x-worldtick-forwarded-by'),
  };
};

const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: '200 OK',
  201: '201 Created',
  202: '202 Accepted',
  204: '204 No Content',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  403: '403 Forbidden',
  408: '408 Request Timeout',
  409: '409 Conflict',
  410: '410 Gone',
  413: '413 Payload Too Large',
  415: '415 Unsupported Media Type',
  422: '422 Unprocessable Content',
  429: '429 Too Many Requests',
  500: '500 Internal Server Error',
  502: '502 Bad Gateway',
  503: '503 Service Unavailable',
  504: '504 Gateway Timeout',
};

/** The status line uWS wants (`"404 Not Found"`). */
export const statusLine = (status: number): string => STATUS_TEXT[status] ?? `${status} Status`;

/** One request/response pair, guarded against use after abort or after responding. */
export interface Exchange {
  /** True once the client went away; the response must not be touched. */
  readonly aborted: boolean;
  /** True once a response was written. */
  readonly responded: boolean;
  /**
   * Write `r` (corked). Returns false and writes nothing if the request was aborted or already
   * answered. `close` asks uWS to close the connection after the response (used when the
   * request body was not consumed).
   */
  send(r: RouteResponse, close?: boolean): boolean;
  /** Register a callback run once if the client aborts. */
  onAbort(cb: () => void): void;
}

const SECURITY_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['X-Content-Type-Options', 'nosniff'],
  ['Cache-Control', 'no-store'],
  ['Referrer-Policy', 'no-referrer'],
];

/**
 * Wrap a uWS response. Call synchronously at the top of the uWS handler, with `req` still
 * valid: a `HEAD` request's answers (success or error alike) carry the status and headers a
 * `GET` would get, `Content-Length` included, and no body (RFC 9110 §9.3.2); a 204 has neither
 * body nor `Content-Type`. (An answer that must close the connection — a request body left
 * unread — goes through `end('', true)` instead: `Content-Length: 0`, no body.)
 */
export const openExchange = (res: HttpResponse, req: HttpRequest): Exchange => {
  const head = req.getMethod().toUpperCase() === 'HEAD';
  let aborted = false;
  let responded = false;
  const abortCbs: Array<() => void> = [];
  res.onAborted(() => {
    aborted = true;
    for (const cb of abortCbs.splice(0)) cb();
  });
  return {
    get aborted() {
      return aborted;
    },
    get responded() {
      return responded;
    },
    onAbort(cb) {
      if (aborted) cb();
      else abortCbs.push(cb);
    },
    send(r, close = false) {
      if (aborted || responded) return false;
      responded = true;
      let body: string | Uint8Array;
      let type: string;
      if (r.body !== undefined) {
        body = r.body;
        type = r.contentType ?? 'application/octet-stream';
      } else {
        body = r.json === undefined ? '' : JSON.stringify(r.json);
        type = r.contentType ?? 'application/json; charset=utf-8';
      }
      const status = r.status ?? 200;
      res.cork(() => {
        res.writeStatus(statusLine(status));
        if (status !== 204) res.writeHeader('Content-Type', type);
        for (const [k, v] of SECURITY_HEADERS) if (!r.headers?.[k]) res.writeHeader(k, v);
        if (r.headers) for (const k of Object.keys(r.headers)) res.writeHeader(k, r.headers[k]);
        if (close || !(head || status === 204)) res.end(head ? '' : body, close);
        else {
          // This uWS build sends nothing for `endWithoutBody(n)` with n > 0 (nor with a close
          // flag): the GET's length goes in as a header and the bodiless end takes no argument.
          if (head && status !== 204)
            res.writeHeader('Content-Length', String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength));
          res.endWithoutBody();
        }
      });
      return true;
    },
  };
};

/** Thrown (as a rejection) by {@link readBody} when the client aborts mid-body. */
export class RequestAborted extends Error {
  constructor() {
    super('request aborted by the client');
    this.name = 'RequestAborted';
  }
}

/**
 * Collect the request body (at most `limitBytes`), copying every chunk. Must be called
 * synchronously inside the uWS handler. Rejects with `WT_ERR_ADMIN_BODY_TOO_LARGE` as soon as
 * the limit is crossed (further chunks are ignored) and with {@link RequestAborted} on abort.
 */
export const readBody = (res: HttpResponse, ex: Exchange, limitBytes: number): Promise<Buffer> =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    ex.onAbort(() => {
      if (settled) return;
      settled = true;
      reject(new RequestAborted());
    });
    res.onData((chunk, isLast) => {
      if (settled) return;
      total += chunk.byteLength;
      if (total > limitBytes) {
        settled = true;
        reject(bodyTooLarge(limitBytes));
        return;
      }
      // uWS empties `chunk` when this callback returns: copy it now.
      if (chunk.byteLength > 0) chunks.push(Buffer.from(chunk.slice(0)));
      if (isLast) {
        settled = true;
        resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total));
      }
    });
  });
