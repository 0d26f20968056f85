/**
 * The one module that imports uWebSockets.js. Everything else (game server, admin API) uses
 * what this module re-exports.
 *
 * The package silently falls back to a slow JS implementation if its native binary fails to
 * load (LIBRARY-FACTS.md), so we assert at import that `App` is native code.
 */
import { createRequire } from 'node:module';
import type * as UWS from 'uWebSockets.js';
import { ErrorCode, WorldtickError } from './errors.js';

const require = createRequire(import.meta.url);
const uws = require('uWebSockets.js') as typeof UWS;

if (typeof uws.App !== 'function' || !/\[native code\]/.test(Function.prototype.toString.call(uws.App))) {
  throw new WorldtickError(
    ErrorCode.NATIVE_MISSING,
    'uWebSockets.js native binary did not load (need glibc >= 2.36, linux x64); refusing to run on the JS fallback',
  );
}

export const uWS = uws;

declare module 'uWebSockets.js' {
  interface TemplatedApp {
    /** Listens to host and port with listen options (native since v20; missing from the package's typings). */
    listen(
      host: RecognizedString,
      port: number,
      options: ListenOptions,
      cb: (listenSocket: us_listen_socket | false) => void,
    ): TemplatedApp;
  }
}

/** `ListenOptions.LIBUS_LISTEN_EXCLUSIVE_PORT` (the typings declare the enum, the binary exports no object for it). */
const LISTEN_EXCLUSIVE_PORT = 1 as UWS.ListenOptions;

/**
 * `app.listen` on `host:port` with `LIBUS_LISTEN_EXCLUSIVE_PORT`. uWS's default listen sets
 * SO_REUSEPORT on Linux: a second listen on a taken port then succeeds, in this process (the admin
 * port equal to the game port) or in another one (a second server started with the same ports), and
 * the kernel spreads new connections over both. Exclusive, a taken port is refused (`false`), so the
 * start fails with `WT_ERR_PORT_IN_USE`. Resolves with the listen socket, or `false`.
 */
export const listenExclusive = (app: UWS.TemplatedApp, host: string, port: number): Promise<UWS.us_listen_socket | false> =>
  new Promise((resolve) => app.listen(host, port, LISTEN_EXCLUSIVE_PORT, resolve));
export type {
  TemplatedApp,
  HttpRequest,
  HttpResponse,
  WebSocket,
  us_listen_socket,
  WebSocketBehavior,
} from 'uWebSockets.js';
