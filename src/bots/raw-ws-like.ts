/**
 * The WHATWG-style face of {@link RawWs} that the client library expects ({@link WebSocketLike}),
 * so the bots' full clients run the library's own decode and entity-view checks over the cheap
 * transport. Each message is handed over as a copy (`Uint8Array`), since the client may keep what
 * it decodes.
 */
import type { WebSocketCtor, WebSocketLike } from '../client/client.js';
import { createReadBuffer, RawWs, type ReadBuffer } from './raw-ws.js';

/** A {@link WebSocketCtor} whose sockets all read into `rb` (one per fleet). */
export const rawWebSocketCtor = (rb: ReadBuffer = createReadBuffer()): WebSocketCtor =>
  class RawWebSocket implements WebSocketLike {
    binaryType = 'arraybuffer';
    onopen: ((ev: unknown) => void) | null = null;
    onmessage: ((ev: { data: unknown }) => void) | null = null;
    onclose: ((ev: { code: number; reason: unknown }) => void) | null = null;
    onerror: ((ev: unknown) => void) | null = null;
    readonly #ws: RawWs;

    constructor(url: string) {
      this.#ws = new RawWs(
        url,
        {
          open: () => this.onopen?.({}),
          frame: (b, _dv, start, end) => this.onmessage?.({ data: b.slice(start, end) }),
          close: (code, reason) => this.onclose?.({ code, reason }),
          error: (err) => this.onerror?.(err),
        },
        rb,
      );
    }

    get readyState(): number {
      return this.#ws.readyState;
    }

    send(data: Uint8Array): void {
      this.#ws.send(data);
    }

    close(code?: number, reason?: string): void {
      this.#ws.close(code, reason);
    }

    /** Drop the connection at once (the client library's `dropSocket` uses it, as the ws package's). */
    terminate(): void {
      this.#ws.terminate();
    }
  };
