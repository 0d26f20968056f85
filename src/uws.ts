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
export type {
  TemplatedApp,
  HttpRequest,
  HttpResponse,
  WebSocket,
  us_listen_socket,
  WebSocketBehavior,
} from 'uWebSockets.js';
