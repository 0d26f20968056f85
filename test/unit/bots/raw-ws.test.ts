import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { pack } from 'msgpackr';
import { afterEach, describe, expect, it } from 'vitest';
import { WorldtickClient } from '../../../src/client/client.js';
import { LightBot } from '../../../src/bots/light-bot.js';
import { createReadBuffer, RawWs } from '../../../src/bots/raw-ws.js';
import { rawWebSocketCtor } from '../../../src/bots/raw-ws-like.js';

/**
 * A real TCP server speaking WebSocket by hand, so the test decides how the bytes are cut into
 * reads: frames split across writes, several frames in one write, fragments, pings, masks.
 */
interface Peer {
  sock: Socket;
  /** Unmasked payloads of the client's data frames, and the opcodes of every frame. */
  received: Uint8Array[];
  opcodes: number[];
}

const frame = (op: number, payload: Uint8Array, fin = true, mask = false): Buffer => {
  const n = payload.length;
  const h = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = Buffer.alloc(h + (mask ? 4 : 0) + n);
  out[0] = (fin ? 128 : 0) | op;
  if (h === 2) out[1] = n;
  else if (h === 4) {
    out[1] = 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(0, 2);
    out.writeUInt32BE(n, 6);
  }
  if (mask) out[1] |= 128;
  out.set(payload, h + (mask ? 4 : 0));
  return out;
};

let server: Server | null = null;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

/** Start the hand-made server; `onPeer` gets each upgraded connection. Returns its ws:// URL. */
const start = async (onPeer: (p: Peer) => void): Promise<string> => {
  server = createServer((sock) => {
    let head = Buffer.alloc(0);
    let buf = Buffer.alloc(0);
    let peer: Peer | null = null;
    sock.on('error', () => {});
    sock.on('data', (d: Buffer) => {
      if (!peer) {
        head = Buffer.concat([head, d]);
        const at = head.indexOf('\r\n\r\n');
        if (at < 0) return;
        const key = /sec-websocket-key:\s*(\S+)/i.exec(head.subarray(0, at).toString())?.[1] ?? '';
        const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        sock.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
        );
        peer = { sock, received: [], opcodes: [] };
        onPeer(peer);
        d = head.subarray(at + 4);
      }
      buf = Buffer.concat([buf, d]);
      // Client frames: always masked, short here.
      while (buf.length >= 6) {
        const len = buf[1] & 127;
        if (len > 125 || buf.length < 6 + len) break;
        const m = buf.subarray(2, 6);
        const p = Uint8Array.from(buf.subarray(6, 6 + len), (b, i) => b ^ m[i % 4]);
        peer.opcodes.push(buf[0] & 15);
        if ((buf[0] & 15) === 2) peer.received.push(p);
        if ((buf[0] & 15) === 8) sock.end(frame(8, p.subarray(0, 2)));
        buf = buf.subarray(6 + len);
      }
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  return `ws://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/`;
};

const waitFor = async (cond: () => boolean, ms = 3000): Promise<void> => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('raw WebSocket transport of the bots', () => {
  it('delivers whole messages however the bytes are cut: split frames, many per read, 16- and 64-bit lengths, fragments; answers pings', async () => {
    let peer: Peer | null = null;
    const url = await start((p) => (peer = p));
    const got: number[][] = [];
    let closed: number | null = null;
    const ws = new RawWs(
      url,
      {
        open: () => {},
        frame: (b, _dv, s, e) => got.push([e - s, b[s], b[e - 1]]),
        close: (code) => (closed = code),
        error: () => {},
      },
      createReadBuffer(4096),
    );
    await waitFor(() => peer !== null && ws.readyState === 1);
    const p = peer!;
    const big = new Uint8Array(70_000).fill(7);
    big[0] = 1;
    big[big.length - 1] = 9;
    const mid = new Uint8Array(300).fill(3);
    const bytes = Buffer.concat([
      frame(2, Uint8Array.of(1, 2, 3)),
      frame(2, mid),
      frame(9, Uint8Array.of(42)), // ping
      frame(2, big), // bigger than the 4 KiB read buffer: carried over many reads
      frame(2, Uint8Array.of(5), false),
      frame(0, Uint8Array.of(6), false),
      frame(0, Uint8Array.of(7), true),
    ]);
    // One byte at a time for the first 40 bytes, then the rest in uneven chunks.
    for (let i = 0; i < 40; i++) {
      p.sock.write(bytes.subarray(i, i + 1));
      await new Promise((r) => setTimeout(r, 1));
    }
    for (let i = 40; i < bytes.length; i += 997) p.sock.write(bytes.subarray(i, i + 997));
    await waitFor(() => got.length === 4);
    expect(got).toEqual([
      [3, 1, 3],
      [300, 3, 3],
      [70_000, 1, 9],
      [3, 5, 7],
    ]);
    await waitFor(() => p.opcodes.includes(10));
    // The client's own frames are masked (the server unmasked them) and closing is a handshake.
    ws.send(Uint8Array.of(9, 8, 7));
    await waitFor(() => p.received.length === 1);
    expect([...(p.received.at(0) ?? [])]).toEqual([9, 8, 7]);
    ws.close(1000, 'bye');
    await waitFor(() => closed !== null);
    expect(closed).toBe(1000);
    expect(p.opcodes).toEqual([10, 2, 8]);
  });

  it('a masked server frame closes the connection (1002); a refused upgrade is an error', async () => {
    let peer: Peer | null = null;
    const url = await start((p) => (peer = p));
    let closed: number | null = null;
    const frames: number[] = [];
    new RawWs(
      url,
      { open: () => {}, frame: (_b, _dv, s, e) => frames.push(e - s), close: (c) => (closed = c), error: () => {} },
      createReadBuffer(),
    );
    await waitFor(() => peer !== null);
    peer!.sock.write(frame(2, Uint8Array.of(1, 2), true, true));
    await waitFor(() => closed !== null);
    expect(closed).toBe(1002);
    expect(frames).toEqual([]);

    const http = createServer((s) =>
      s
        .on('error', () => {})
        .resume()
        .end('HTTP/1.1 404 Not Found\r\n\r\n'),
    );
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    const port = (http.address() as { port: number }).port;
    let err: Error | null = null;
    let code: number | null = null;
    new RawWs(
      `ws://127.0.0.1:${port}/`,
      { open: () => {}, frame: () => {}, close: (c) => (code = c), error: (e) => (err = e) },
      createReadBuffer(),
    );
    await waitFor(() => code !== null);
    expect(String(err)).toContain('upgrade refused: HTTP/1.1 404');
    expect(code).toBe(1006);
    await new Promise<void>((r) => http.close(() => r()));
  });

  it('the consistency checks still find inconsistencies over it: a full client an update of an unknown id, a light bot a region frame without its player', async () => {
    const peers: Peer[] = [];
    const url = await start((p) => peers.push(p));
    const nth = (i: number): Peer => {
      const p = peers.at(i);
      if (!p) throw new Error(`no peer ${i}`);
      return p;
    };
    const welcome = pack([16, 1, 77, 20, 0, 0, 'r', 100, 50, false]);
    const rb = createReadBuffer();
    const full = new WorldtickClient({ url, WebSocket: rawWebSocketCtor(rb) });
    await full.connect();
    const joined = full.join('w', 'a', '', null, 3000);
    await waitFor(() => peers.length === 1 && nth(0).received.length === 1);
    nth(0).sock.write(frame(2, welcome));
    await joined;
    // Enter 5, then update 5 (fine) and 6 (never entered), leave 9 (never entered).
    nth(0).sock.write(
      Buffer.concat([
        frame(2, pack([17, 1, 0.05, Date.now(), 0, [[5, 100, 100, 1, 0]], [], []])),
        frame(
          2,
          pack([
            17,
            2,
            0.1,
            Date.now(),
            0,
            [],
            [
              [5, 1, 120],
              [6, 1, 130],
            ],
            [9],
          ]),
        ),
      ]),
    );
    await waitFor(() => full.stats.snapshots === 2);
    expect(full.view.inconsistencies).toBe(2);
    expect([...full.view.entities.keys()]).toEqual([5]);

    const samples: number[] = [];
    const light = new LightBot(url, { update: (ms) => samples.push(ms), ack: () => {} }, Date.now, { readBuffer: rb });
    const lj = light.join('w', 'b', 3000);
    await waitFor(() => peers.length === 2 && nth(1).received.length === 1);
    nth(1).sock.write(frame(2, welcome));
    await lj;
    expect(light.playerId).toBe(77);
    // A region frame naming player 77 (ack 3), then one for another cell (does not name it).
    nth(1).sock.write(
      Buffer.concat([
        frame(2, pack([24, 3, 0.15, Date.now(), [77, 3], 0, 50, 10, [[77, 0, 0, 65535, 0]]])),
        frame(2, pack([24, 4, 0.2, Date.now(), [12, 1], 1, 50, 10, [[12, 0, 0, 65535, 0]]])),
        frame(2, pack([17, 5, 0.25, Date.now(), 3, [], [], []])),
      ]),
    );
    await waitFor(() => light.stats.snapshots === 3);
    expect(light.stats.regionFrames).toBe(2);
    expect(light.view.inconsistencies).toBe(1);
    expect(samples.length).toBe(3);
    full.close();
    light.close();
    await waitFor(() => !light.open && !full.open);
  });
});
