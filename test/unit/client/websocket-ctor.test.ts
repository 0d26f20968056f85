/**
 * `new WorldtickClient({ url, WebSocket })` takes the `ws` package's constructor as it is (docs/GAME-API.md
 * "Reference: worldtick/client": "in Node pass `WebSocket` from the `ws` package"). This file is the
 * test: `npx tsc` (part of `npm test`) refused it before — `WebSocketLike`'s handler event types were
 * not ones `ws`'s handlers accept, so every Node game client needed `WebSocket as unknown as WebSocketCtor`.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type WebSocketCtor, WorldtickClient } from '../../../src/client/index.js';

describe('WorldtickClient and the ws package', () => {
  it('accepts ws.WebSocket without a cast', () => {
    const c = new WorldtickClient({ url: 'ws://127.0.0.1:9', WebSocket });
    const ctor: WebSocketCtor = WebSocket;
    expect(c.open).toBe(false);
    expect(typeof ctor).toBe('function');
  });
});
