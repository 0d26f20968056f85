/**
 * A minimal WebSocket client (RFC 6455, `ws://` only) for load-test bots, built on `net.Socket`
 * with the `onread` option: every socket of the process reads into ONE shared buffer and the
 * frames are handed to the bot as `(bytes, view, start, end)` inside the read callback — no
 * stream machinery, no Buffer or event object per message. This is what lets one core drive
 * ten thousand sessions (docs/BOTS.md "Bot cost"); the `ws` package is used for `wss://` and
 * with `--transport ws`.
 *
 *   socket read ──> shared 256 KiB buffer ──> frame parser ──> sink.frame(b, dv, start, end)
 *                     (valid only during the call: copy anything kept)
 *   a frame cut by a read boundary is carried in a per-socket buffer and parsed on the next read
 *
 * What it does not do: extensions (no permessage-deflate is offered, so the server never
 * compresses), TLS, redirects of the HTTP upgrade. Server frames must be unmasked; a masked one
 * closes the socket with 1002. Pings are answered with pongs (uWS pings idle sockets).
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** What a socket delivers to its owner. */
export interface FrameSink {
  /** The upgrade completed. */
  open(): void;
  /** One complete text or binary message in `b[start, end)`; `dv` views `b` (same offsets). Valid only during the call. */
  frame(b: Uint8Array, dv: DataView, start: number, end: number): void;
  /** The socket closed: the close frame's code, or 1006 when the connection ended without one. Called once. */
  close(code: number, reason: string): void;
  /** A connection error (a close follows). */
  error(err: Error): void;
}

/** The read buffer shared by every raw socket of a process (one read is parsed completely before the next). */
export interface ReadBuffer {
  bytes: Uint8Array;
  view: DataView;
}

/** A read buffer for {@link RawWs} sockets (one per process or fleet is enough). */
export const createReadBuffer = (size = 256 * 1024): ReadBuffer => {
  const bytes = new Uint8Array(size);
  return { bytes, view: new DataView(bytes.buffer) };
};

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const CONNECTING = 0,
  OPEN = 1,
  CLOSING = 2,
  CLOSED = 3;

/** One client WebSocket over a raw TCP socket. */
export class RawWs {
  /** 0 connecting, 1 open, 2 closing, 3 closed (the WHATWG values). */
  readyState = CONNECTING;
  readonly #sock: Socket;
  readonly #sink: FrameSink;
  readonly #key: string;
  /** Handshake bytes until the blank line. */
  #head = '';
  /** Bytes of a frame cut by a read boundary (null when none). */
  #carry: Uint8Array | null = null;
  /** Fragments of a message not finished yet (FIN 0), or null. */
  #frag: Uint8Array[] | null = null;
  #closeCode = 1006;
  #closeReason = '';
  #closeTimer: NodeJS.Timeout | null = null;

  constructor(url: string, sink: FrameSink, rb: ReadBuffer) {
    const u = new URL(url);
    if (u.protocol !== 'ws:') throw new Error(`raw WebSocket: only ws:// URLs (got ${u.protocol})`);
    this.#sink = sink;
    this.#key = randomBytes(16).toString('base64');
    const port = Number(u.port || 80);
    const host = u.hostname.replace(/^\[|\]$/g, '');
    this.#sock = connect({ host, port, onread: { buffer: rb.bytes, callback: (n: number) => this.#onRead(rb, n) } });
    this.#sock.setNoDelay(true);
    this.#sock.on('connect', () => {
      this.#sock.write(
        `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${this.#key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    this.#sock.on('error', (err) => this.#sink.error(err));
    this.#sock.on('close', () => {
      if (this.#closeTimer) clearTimeout(this.#closeTimer);
      if (this.readyState === CLOSED) return;
      this.readyState = CLOSED;
      this.#sink.close(this.#closeCode, this.#closeReason);
    });
  }

  /** Send one binary message (masked, as a client must). */
  send(data: Uint8Array): void {
    if (this.readyState !== OPEN) return;
    this.#sock.write(frameOf(2, data));
  }

  /** Start the closing handshake (close frame with `code`); the socket ends when the server answers, or after 1 s. */
  close(code = 1000, reason = ''): void {
    if (this.readyState === CONNECTING) {
      this.terminate();
      return;
    }
    if (this.readyState !== OPEN) return;
    this.readyState = CLOSING;
    const r = Buffer.from(reason.slice(0, 120));
    const p = new Uint8Array(2 + r.length);
    p[0] = code >> 8;
    p[1] = code & 255;
    p.set(r, 2);
    this.#sock.write(frameOf(8, p));
    this.#closeTimer = setTimeout(() => this.#sock.destroy(), 1000);
  }

  /** Drop the connection at once (no closing handshake: the server sees 1006). */
  terminate(): void {
    this.#sock.destroy();
  }

  /** Returns true (never pauses the socket). */
  #onRead(rb: ReadBuffer, n: number): boolean {
    let b = rb.bytes,
      dv = rb.view,
      p = 0,
      end = n;
    if (this.readyState === CONNECTING) {
      // The upgrade response: ASCII up to the blank line; anything after it is frames.
      this.#head += Buffer.from(b.buffer, b.byteOffset, n).toString('latin1');
      const at = this.#head.indexOf('\r\n\r\n');
      if (at < 0) return true;
      const rest = this.#head.length - (at + 4);
      if (!this.#upgraded(this.#head.slice(0, at))) return true;
      p = n - rest;
    }
    if (this.#carry) {
      const c = this.#carry;
      const all = new Uint8Array(c.length + end - p);
      all.set(c, 0);
      all.set(b.subarray(p, end), c.length);
      this.#carry = null;
      b = all;
      dv = new DataView(all.buffer);
      p = 0;
      end = all.length;
    }
    while (p < end && this.readyState !== CLOSED) {
      const q = this.#frame(b, dv, p, end);
      if (q < 0) {
        this.#carry = b.slice(p, end);
        return true;
      }
      p = q;
    }
    return true;
  }

  /** Check the 101 response; open, or close the socket. */
  #upgraded(head: string): boolean {
    const accept = createHash('sha1')
      .update(this.#key + GUID)
      .digest('base64');
    const ok =
      /^HTTP\/1\.1 101 /.test(head) && new RegExp(`\\r\\nsec-websocket-accept:\\s*${accept.replace(/[+/]/g, '\\$&')}`, 'i').test(head);
    this.#head = '';
    if (!ok) {
      this.#sink.error(new Error(`WebSocket upgrade refused: ${head.split('\r\n')[0]}`));
      this.#sock.destroy();
      return false;
    }
    this.readyState = OPEN;
    this.#sink.open();
    return true;
  }

  /** Parse and handle one frame at `p`; returns the offset after it, or −1 when it is not complete in `b[p, end)`. */
  #frame(b: Uint8Array, dv: DataView, p: number, end: number): number {
    if (end - p < 2) return -1;
    const b0 = b[p],
      b1 = b[p + 1];
    let len = b1 & 127,
      h = p + 2;
    if (len === 126) {
      if (end - p < 4) return -1;
      len = dv.getUint16(p + 2);
      h = p + 4;
    } else if (len === 127) {
      if (end - p < 10) return -1;
      len = dv.getUint32(p + 2) * 2 ** 32 + dv.getUint32(p + 6);
      h = p + 10;
    }
    if (b1 & 128) {
      this.#fail(1002);
      return end;
    }
    if (end - h < len) return -1;
    const op = b0 & 15,
      fin = (b0 & 128) !== 0,
      e = h + len;
    if (op === 1 || op === 2 || op === 0) {
      if (fin && op !== 0 && this.#frag === null) this.#sink.frame(b, dv, h, e);
      else this.#fragment(b, h, e, fin);
    } else if (op === 8) {
      this.#closeCode = len >= 2 ? dv.getUint16(h) : 1005;
      this.#closeReason = len > 2 ? Buffer.from(b.buffer, b.byteOffset + h + 2, len - 2).toString('utf8') : '';
      if (this.readyState === OPEN) this.#sock.write(frameOf(8, b.slice(h, Math.min(e, h + 2))));
      this.readyState = CLOSING;
      this.#sock.end();
    } else if (op === 9) {
      if (this.readyState === OPEN) this.#sock.write(frameOf(10, b.slice(h, e)));
    }
    return e;
  }

  /** A fragmented message (rare: uWS sends whole messages): collect, deliver at FIN. */
  #fragment(b: Uint8Array, h: number, e: number, fin: boolean): void {
    (this.#frag ??= []).push(b.slice(h, e));
    if (!fin) return;
    const parts = this.#frag;
    this.#frag = null;
    let n = 0;
    for (const f of parts) n += f.length;
    const all = new Uint8Array(n);
    n = 0;
    for (const f of parts) {
      all.set(f, n);
      n += f.length;
    }
    this.#sink.frame(all, new DataView(all.buffer), 0, all.length);
  }

  #fail(code: number): void {
    this.#closeCode = code;
    this.#sock.destroy();
  }
}

/** One masked client frame of `opcode` carrying `data`. */
const frameOf = (opcode: number, data: Uint8Array): Buffer => {
  const n = data.length;
  const h = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(h + 4 + n);
  out[0] = 128 | opcode;
  if (h === 2) out[1] = 128 | n;
  else if (h === 4) {
    out[1] = 128 | 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 128 | 127;
    out.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    out.writeUInt32BE(n >>> 0, 6);
  }
  // The masking key: any 4 bytes (it guards proxies' caches, not secrets); a fresh one per frame.
  const m = (Math.random() * 2 ** 32) >>> 0;
  out.writeUInt32BE(m, h);
  const k0 = m >>> 24,
    k1 = (m >>> 16) & 255,
    k2 = (m >>> 8) & 255,
    k3 = m & 255;
  const o = h + 4;
  for (let i = 0; i < n; i++) out[o + i] = data[i] ^ (i % 4 === 0 ? k0 : i % 4 === 1 ? k1 : i % 4 === 2 ? k2 : k3);
  return out;
};
