/**
 * A wait started while the server is closing the socket (its close frame arrived: `readyState` 2,
 * CLOSING, until the close handshake ends and the `close` event fires) ends with the server's close
 * code and reason — a kicked player's client waiting for its next snapshot was told
 * `closed (0) while waiting for a message` (details `closeCode: 0`), the code of no close at all.
 *
 * A fake socket holds the CLOSING state: with a real server it lasts one round trip, too short to
 * start a wait in on purpose (test/integration/examples/royale.test.ts hit it by chance).
 */
import { describe, expect, it } from 'vitest';
import { type WebSocketLike, WorldtickClient } from '../../../src/client/index.js';
import { ErrorCode, isWorldtickError } from '../../../src/index.js';

class FakeSocket implements WebSocketLike {
  static last: FakeSocket | null = null;
  binaryType = '';
  readyState = 0;
  onopen: ((ev: never) => void) | null = null;
  onmessage: ((ev: never) => void) | null = null;
  onclose: ((ev: never) => void) | null = null;
  onerror: ((ev: never) => void) | null = null;
  constructor(_url: string) {
    FakeSocket.last = this;
    queueMicrotask(() => {
      this.readyState = 1;
      (this.onopen as ((ev: unknown) => void) | null)?.({});
    });
  }
  send(): void {}
  close(): void {
    this.readyState = 2;
  }
  /** The server's close frame arrived: CLOSING until `closed`. */
  serverClosing(): void {
    this.readyState = 2;
  }
  closed(code: number, reason: string): void {
    this.readyState = 3;
    (this.onclose as ((ev: unknown) => void) | null)?.({ code, reason });
  }
}

describe('a wait started while the server closes the socket', () => {
  it('ends with the close code and reason the server sent, not 0', async () => {
    const c = new WorldtickClient({ url: 'ws://fake', WebSocket: FakeSocket });
    await c.connect();
    const sock = FakeSocket.last as FakeSocket;
    sock.serverClosing();
    const wait = c.waitForStep(7).then(
      () => null,
      (err: unknown) => err,
    );
    sock.closed(4020, 'idle');
    const err = await wait;
    expect(isWorldtickError(err, ErrorCode.CLIENT_CLOSED)).toBe(true);
    expect((err as Error).message).toBe('closed (4020: idle) while waiting for a snapshot of step 7 or later');
    expect((err as { details: unknown }).details).toEqual({ closeCode: 4020, closeReason: 'idle' });
    expect(c.kicked).toBe(true);
  });

  it('a wait after our own close() still ends at once, with the code we asked', async () => {
    const c = new WorldtickClient({ url: 'ws://fake', WebSocket: FakeSocket });
    await c.connect();
    c.close(4000, 'bye');
    const err = await c.waitForStep(7).then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as { details: unknown }).details).toEqual({ closeCode: 4000, closeReason: 'bye' });
  });
});
