/**
 * A light bot's connection: the raw transport ({@link RawWs}: shared read buffer, frames handed
 * over in place) for `ws://` URLs, or the `ws` package (for `wss://`, and `--transport ws` to
 * compare the two in one run). Both deliver frames through the same {@link FrameSink}.
 */
import WebSocket from 'ws';
import { createReadBuffer, RawWs, type FrameSink, type ReadBuffer } from './raw-ws.js';

/** Transport of the bots: `raw` (RawWs for ws://, the ws package for wss://) or `ws` (the ws package always). */
export type BotTransport = 'raw' | 'ws';

/** What a bot needs of its connection. */
export interface BotConn {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
}

/** The `ws` package behind {@link BotConn}: one DataView per message (the package hands a new Buffer each time). */
class WsPackageConn implements BotConn {
  readonly #ws: WebSocket;

  constructor(url: string, sink: FrameSink) {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    this.#ws = ws;
    ws.on('open', () => sink.open());
    ws.on('error', (err) => sink.error(err));
    ws.on('close', (code, reason) => sink.close(code, reason.toString()));
    ws.on('message', (data: Buffer) => sink.frame(data, new DataView(data.buffer, data.byteOffset, data.byteLength), 0, data.length));
  }

  get readyState(): number {
    return this.#ws.readyState;
  }

  send(data: Uint8Array): void {
    this.#ws.send(data);
  }

  close(code = 1000, reason = ''): void {
    this.#ws.close(code, reason);
  }

  terminate(): void {
    this.#ws.terminate();
  }
}

/** Open a connection to `url` over `transport` (raw needs the fleet's shared read buffer `rb`). */
export const openBotConn = (url: string, sink: FrameSink, transport: BotTransport, rb: ReadBuffer | null): BotConn =>
  transport === 'raw' && url.startsWith('ws://') ? new RawWs(url, sink, rb ?? createReadBuffer()) : new WsPackageConn(url, sink);
