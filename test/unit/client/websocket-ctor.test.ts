/**
 * `new WorldtickClient({ url, WebSocket })` takes the `ws` package's constructor as it is (docs/GAME-API.md
 * "Reference: worldtick/client": "in Node pass `WebSocket` from the `ws` package"). This file is the
 * test: `npx tsc` (part of `npm test`) refused it before — `WebSocketLike`'s handler event types were
 * not ones `ws`'s handlers accept, so every Node game client needed `WebSocket as unknown as WebSocketCtor`.
 * The browser's own constructor (lib.dom) is checked the same way.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type WebSocketCtor, WorldtickClient } from '../../../src/client/index.js';

/** The browser's constructor, as lib.dom types it (Node 20 has no global WebSocket to run it with). */
declare const BrowserWebSocket: typeof globalThis.WebSocket;

describe('WorldtickClient and the ws package', () => {
  it('accepts ws.WebSocket without a cast', () => {
    const c = new WorldtickClient({ url: 'ws://127.0.0.1:9', WebSocket });
    const ctor: WebSocketCtor = WebSocket;
    expect(c.open).toBe(false);
    expect(typeof ctor).toBe('function');
  });

  it("accepts the browser's WebSocket without a cast (a type check: `npx tsc` refused it before)", () => {
    // lib.dom's send takes `BufferSource`, whose views are over ArrayBuffer only: a `send(Uint8Array)`
    // in WebSocketLike (any ArrayBufferLike, SharedArrayBuffer included) did not fit it.
    const make = (): WorldtickClient => new WorldtickClient({ url: 'ws://127.0.0.1:9', WebSocket: BrowserWebSocket });
    const ctor = (): WebSocketCtor => BrowserWebSocket;
    expect(typeof make).toBe('function');
    expect(typeof ctor).toBe('function');
  });
});
