/**
 * Audit: WebSocket framing attacks over raw TCP against a real uWS game server (below any client
 * library, which would refuse to send these frames). Holds, guarded here:
 * - permessage-deflate (`net.compression: true`, off by default; never exercised before): a
 *   compressed frame that inflates past `maxPayloadLength` — a 1 KiB deflate bomb of 50 MB of
 *   zeros, or a frame just one byte over — closes only that socket; a compressed hello within the
 *   limit is served; another client keeps playing and nothing is counted as an internal error;
 * - fragmentation: a hello split into one-byte continuation frames with a ping between them is
 *   served; fragments that add up past `maxPayloadLength` close the socket.
 */
import net from 'node:net';
import zlib from 'node:zlib';
import { pack, unpack } from 'msgpackr';
import { afterEach, describe, expect, it } from 'vitest';
import { openRaw } from '../fuzz-helpers/raw-ws.js';
import { startTestServer, type TestServer } from './net/harness.js';

let ts: TestServer | null = null;
afterEach(async () => {
  await ts?.stop();
  ts = null;
});

const MASK = Buffer.from([0x5a, 0x17, 0xc3, 0x08]);

/** A masked client frame: first byte `b0` (FIN, RSV1, opcode), any payload length. */
const frame = (b0: number, payload: Buffer): Buffer => {
  const body = Buffer.from(payload.map((b, i) => b ^ (MASK[i % 4] ?? 0)));
  let head: Buffer;
  if (payload.length < 126) head = Buffer.from([b0, 0x80 | payload.length]);
  else {
    head = Buffer.from([b0, 0x80 | 126, 0, 0]);
    head.writeUInt16BE(payload.length, 2);
  }
  return Buffer.concat([head, MASK, body]);
};

/** Raw DEFLATE as permessage-deflate sends it (RFC 7692: sync flush, the 00 00 ff ff tail removed). */
const deflate = (b: Buffer): Buffer => {
  const z = zlib.deflateRawSync(b, { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  return z.subarray(0, z.length - 4);
};

interface RawTcp {
  sock: net.Socket;
  /** Resolves when the TCP connection closed. */
  closed: Promise<void>;
  isClosed(): boolean;
  /** Decoded server messages (unmasked binary frames after the 101 answer). */
  messages(): unknown[][];
}

/** Open a TCP connection and send a WebSocket upgrade (optionally offering permessage-deflate); resolves after the 101. */
const upgrade = async (port: number, deflateOffer: boolean): Promise<RawTcp> => {
  const sock = net.connect(port, '127.0.0.1');
  let buf = Buffer.alloc(0);
  let closed = false;
  sock.on('data', (d: Buffer) => (buf = Buffer.concat([buf, d])));
  sock.on('error', () => {});
  const closedP = new Promise<void>((r) =>
    sock.on('close', () => {
      closed = true;
      r();
    }),
  );
  await new Promise((r) => sock.once('connect', r));
  sock.write(
    'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
      `Sec-WebSocket-Version: 13\r\n${deflateOffer ? 'Sec-WebSocket-Extensions: permessage-deflate\r\n' : ''}\r\n`,
  );
  for (let i = 0; i < 400 && !buf.includes('\r\n\r\n'); i++) await new Promise((r) => setTimeout(r, 5));
  expect(buf.toString('latin1')).toMatch(/^HTTP\/1\.1 101/);
  if (deflateOffer) expect(buf.toString('latin1')).toMatch(/Sec-WebSocket-Extensions: permessage-deflate/i);
  const start = buf.indexOf('\r\n\r\n') + 4;
  return {
    sock,
    closed: closedP,
    isClosed: () => closed,
    messages: () => {
      const out: unknown[][] = [];
      let p = start;
      while (p + 2 <= buf.length) {
        const op = (buf[p] ?? 0) & 0x0f;
        let len = (buf[p + 1] ?? 0) & 0x7f;
        let q = p + 2;
        if (len === 126) {
          len = buf.readUInt16BE(q);
          q += 2;
        } else if (len === 127) {
          len = Number(buf.readBigUInt64BE(q));
          q += 8;
        }
        if (q + len > buf.length) break;
        if (op === 2) out.push(unpack(buf.subarray(q, q + len)) as unknown[]);
        p = q + len;
      }
      return out;
    },
  };
};

const until = async (cond: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
};

const HELLO = (name: string): Buffer => Buffer.from(pack([1, 1, 'w1', name, '', null]));

describe('audit: WebSocket framing over raw TCP', () => {
  it('permessage-deflate: frames inflating past maxPayloadLength close only their socket', async () => {
    ts = await startTestServer({ net: { compression: true } });
    const good = await ts.client();
    await good.join('w1', 'good');
    const port = ts.server.port;

    // A compressed hello within the limit is served.
    const ok = await upgrade(port, true);
    ok.sock.write(frame(0xc2, deflate(HELLO('squeezed'))));
    await until(() => ok.messages().some((m) => m[0] === 16), 'the welcome of a compressed hello');

    // A deflate bomb: 1,000 bytes on the wire of 50 MB of zeros.
    const bomb = await upgrade(port, true);
    const z = deflate(Buffer.alloc(50 * 1024 * 1024));
    bomb.sock.write(frame(0xc2, z.subarray(0, 1000)));
    await bomb.closed;

    // One byte over the limit once inflated: a bin of 1,022 bytes is a 1,025-byte message.
    const over = await upgrade(port, true);
    over.sock.write(frame(0xc2, deflate(Buffer.concat([Buffer.from([0xc5, 0x03, 0xfe]), Buffer.alloc(1022)]))));
    await over.closed;
    // Exactly at the limit: decoded and answered (a bin is not a message: BAD_FRAME), not closed.
    const at = await upgrade(port, true);
    at.sock.write(frame(0xc2, deflate(Buffer.concat([Buffer.from([0xc5, 0x03, 0xfd]), Buffer.alloc(1021)]))));
    await until(() => at.messages().some((m) => m[0] === 20), 'the answer to a frame at the limit');
    expect(at.messages().find((m) => m[0] === 20)?.[1]).toBe('BAD_FRAME');
    expect(at.isClosed()).toBe(false);

    const before = good.stats.snapshots;
    ts.step(2);
    await until(() => good.stats.snapshots >= before + 2, 'the good client keeps getting snapshots');
    expect(good.errors).toEqual([]);
    expect(ts.server.stats().internalErrors).toBe(0);
    for (const c of [ok, at]) c.sock.destroy();
  });

  it('fragmentation: a hello in one-byte fragments (a ping between) is served; fragments past the limit close', async () => {
    ts = await startTestServer();
    const port = ts.server.port;
    const c = await upgrade(port, false);
    const hello = HELLO('fragments');
    for (let i = 0; i < hello.length; i++) {
      const opcode = i === 0 ? 0x2 : 0x0;
      c.sock.write(frame((i === hello.length - 1 ? 0x80 : 0) | opcode, hello.subarray(i, i + 1)));
      if (i === 3) c.sock.write(frame(0x89, Buffer.from('hi'))); // a control frame between fragments is allowed
    }
    await until(() => c.messages().some((m) => m[0] === 16), 'the welcome of a fragmented hello');

    const big = await upgrade(port, false);
    big.sock.write(frame(0x02, Buffer.alloc(600)));
    big.sock.write(frame(0x80, Buffer.alloc(600))); // 1,200 bytes in two fragments: over 1,024
    await big.closed;

    // The server still serves new clients.
    const after = await openRaw(ts.url);
    after.send([1, 1, 'w1', 'after', '', null]);
    await after.waitFor(16);
    expect(ts.server.stats().internalErrors).toBe(0);
    c.sock.destroy();
  });
});
