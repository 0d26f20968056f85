/**
 * A minimal RFC 6455 WebSocket client over a plain TCP socket, for load-test bots only: the
 * opening handshake, unfragmented or fragmented binary/text messages from the server, ping →
 * pong, close. No extensions (no permessage-deflate), no TLS (ws:// only).
 *
 * Why not the `ws` package here: with thousands of bots on the same 2 cores as the server, its
 * stream-based receiver cost more CPU per snapshot than everything else in the bots process;
 * this parser works on the `data` chunks directly and hands out subarrays (no copies for
 * frames that arrive whole).
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** Callbacks of one raw socket. `message` gets a view valid only during the call. */
export interface RawWsHandlers {
  open(): void;
  message(data: Uint8Array): void;
  /** Closed (close frame, socket end or error); code 1006 when there was no close frame. */
  close(code: number): void;
}

/**
 * Write a 4-byte masking key at `at` and return it. Math.random, not crypto: masking only
 * protects proxies from crafted payloads, and these bots talk to our own server on loopback.
 */
const maskKey = (f: Buffer, at: number): Buffer => {
  const k = (Math.random() * 0x100000000) >>> 0;
  f.writeUInt32BE(k, at);
  return f.subarray(at, at + 4);
};

const OP_CONT = 0, OP_TEXT = 1, OP_BINARY = 2, OP_CLOSE = 8, OP_PING = 9, OP_PONG = 10;

/** A client WebSocket. A class: it owns a socket. */
export class RawWs {
  readyState = 0;
  #sock: Socket;
  #buf: Buffer | null = null;
  #shook = false;
  #frag: Buffer[] = [];
  #closed = false;
  readonly #h: RawWsHandlers;

  /** Connect to `url` (ws://host:port/path). */
  constructor(url: string, h: RawWsHandlers) {
    const u = new URL(url);
    if (u.protocol !== 'ws:') throw new Error('raw bots speak ws:// only');
    this.#h = h;
    const key = randomBytes(16).toString('base64');
    this.#sock = connect({ host: u.hostname, port: Number(u.port || 80), noDelay: true }, () => {
      this.#sock.write(`GET ${u.pathname || '/'} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    this.#sock.on('data', (d: Buffer) => this.#onData(d));
    this.#sock.on('error', () => this.#finish(1006));
    this.#sock.on('close', () => this.#finish(1006));
  }

  /** Send one binary message (masked, as clients must). */
  send(payload: Uint8Array): void {
    if (this.readyState !== 1) return;
    const n = payload.length;
    const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
    const f = Buffer.allocUnsafe(head + 4 + n);
    f[0] = 0x80 | OP_BINARY;
    if (n < 126) f[1] = 0x80 | n;
    else if (n < 65536) { f[1] = 0x80 | 126; f.writeUInt16BE(n, 2); }
    else { f[1] = 0x80 | 127; f.writeBigUInt64BE(BigInt(n), 2); }
    const m = maskKey(f, head);
    for (let i = 0; i < n; i++) f[head + 4 + i] = payload[i]! ^ m[i & 3]!;
    this.#sock.write(f);
  }

  /** Send a close frame and end the socket. */
  close(code = 1000): void {
    if (this.readyState === 1) {
      this.#control(OP_CLOSE, Buffer.from([code >> 8, code & 0xff]));
      this.readyState = 2;
    }
    this.#sock.end();
  }

  /** Drop the socket at once. */
  terminate(): void {
    this.#sock.destroy();
  }

  #control(op: number, payload: Buffer): void {
    const f = Buffer.allocUnsafe(6 + payload.length);
    f[0] = 0x80 | op;
    f[1] = 0x80 | payload.length;
    const m = maskKey(f, 2);
    for (let i = 0; i < payload.length; i++) f[6 + i] = payload[i]! ^ m[i & 3]!;
    this.#sock.write(f);
  }

  #finish(code: number): void {
    if (this.#closed) return;
    this.#closed = true;
    this.readyState = 3;
    this.#sock.destroy();
    this.#h.close(code);
  }

  #onData(d: Buffer): void {
    let b = this.#buf ? Buffer.concat([this.#buf, d]) : d;
    this.#buf = null;
    let p = 0;
    if (!this.#shook) {
      const end = b.indexOf('\r\n\r\n');
      if (end < 0) { this.#buf = b; return; }
      if (!/^HTTP\/1\.1 101/.test(b.toString('latin1', 0, Math.min(end, 64)))) return this.#finish(1006);
      this.#shook = true;
      this.readyState = 1;
      p = end + 4;
      this.#h.open();
    }
    while (p < b.length) {
      if (b.length - p < 2) break;
      const b0 = b[p]!, b1 = b[p + 1]!;
      let len = b1 & 0x7f, q = p + 2;
      if (len === 126) { if (b.length - q < 2) break; len = b.readUInt16BE(q); q += 2; }
      else if (len === 127) { if (b.length - q < 8) break; len = Number(b.readBigUInt64BE(q)); q += 8; }
      if (b1 & 0x80) return this.#finish(1002); // servers must not mask
      if (b.length - q < len) break;
      const payload = b.subarray(q, q + len);
      p = q + len;
      const op = b0 & 0x0f, fin = (b0 & 0x80) !== 0;
      if (op === OP_BINARY || op === OP_TEXT || op === OP_CONT) {
        if (fin && op !== OP_CONT) this.#h.message(payload);
        else {
          this.#frag.push(Buffer.from(payload));
          if (fin) { const whole = Buffer.concat(this.#frag); this.#frag = []; this.#h.message(whole); }
        }
      } else if (op === OP_PING) this.#control(OP_PONG, payload);
      else if (op === OP_CLOSE) {
        const code = len >= 2 ? payload.readUInt16BE(0) : 1005;
        if (this.readyState === 1) this.#control(OP_CLOSE, payload.subarray(0, 2));
        this.readyState = 2;
        this.#sock.end();
        return this.#finish(code);
      } else if (op !== OP_PONG) return this.#finish(1002);
      if (this.#closed) return;
    }
    if (p < b.length) this.#buf = Buffer.from(b.subarray(p));
  }
}
