/**
 * Hostile probe below the protocol: raw TCP against the game port (test/fuzz-helpers/raw-http.ts
 * style sockets, not a WebSocket library). Covered here, not by the protocol fuzz test:
 * - close frames with a client-chosen code: before the fix a client closing with 4002 or 4008 was
 *   counted as a server close for strikes or a slow consumer (`closesByCode`), and every code of
 *   3000-4999 added a key; now such codes count under `client`;
 * - WebSocket ping control frames (answered by uWebSockets.js itself, outside the message rate
 *   limit) from a client that never reads: the pongs stay under the socket's `maxBackpressure`;
 * - plain HTTP and malformed upgrades on the game port: closed, nothing counted as a connection.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openRaw } from '../../fuzz-helpers/raw-ws.js';
import { settle, startTestServer, type TestServer } from '../net/harness.js';

let ts: TestServer | null = null;
afterEach(async () => {
  await ts?.stop();
  ts = null;
});

const UPGRADE =
  'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

/** A masked client frame (payload ≤ 125 bytes). */
const frame = (opcode: number, payload: Buffer): Buffer => {
  const mask = Buffer.from([0x11, 0x22, 0x33, 0x44]);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length]), mask, masked]);
};

const rawSocket = async (port: number, head: string): Promise<{ sock: net.Socket; closed: Promise<void>; data: () => string }> => {
  const sock = net.connect(port, '127.0.0.1');
  let buf = '';
  sock.on('data', (d: Buffer) => (buf += d.toString('latin1')));
  sock.on('error', () => {});
  const closed = new Promise<void>((r) => sock.on('close', () => r()));
  await new Promise((r) => sock.once('connect', r));
  sock.write(head);
  return { sock, closed, data: () => buf };
};

describe('hostile: transport below the protocol', () => {
  it('client-chosen close codes count under `client`, never as server closes', async () => {
    ts = await startTestServer();
    const before = ts.server.stats().closesByCode;
    for (const code of [4002, 4008, 4011, 4100, 4999]) {
      const c = await openRaw(ts.url);
      c.send([1, 1, 'w1', `c${code}`, '', null]);
      await c.waitFor(16);
      c.ws.close(code);
      await c.closed;
    }
    await settle(50);
    const after = ts.server.stats().closesByCode;
    for (const k of ['4002', '4008', '4011']) expect(after[k] ?? 0, k).toBe(before[k] ?? 0);
    expect((after.client ?? 0) - (before.client ?? 0)).toBe(5);
    // A server close is still counted under its code.
    const bad = await openRaw(ts.url);
    for (let i = 0; i < 5; i++) bad.send([9]);
    expect(await bad.closed).toBe(4002);
    await settle(20);
    expect((ts.server.stats().closesByCode['4002'] ?? 0) - (before['4002'] ?? 0)).toBe(1);
  });

  it('a ping-frame flood from a socket that never reads stays within maxBackpressure', async () => {
    ts = await startTestServer(); // maxBackpressure 512 KiB
    const { sock } = await rawSocket(ts.server.port, UPGRADE);
    sock.pause(); // never read: every pong stays in the server's buffers
    await settle(50);
    const ping = frame(0x9, Buffer.alloc(125, 7));
    const batch = Buffer.concat(Array.from({ length: 1000 }, () => ping));
    const rss0 = process.memoryUsage().rss;
    // 200,000 pings: 25 MB of pongs the server would have to hold.
    for (let i = 0; i < 200; i++) if (!sock.write(batch)) await new Promise((r) => sock.once('drain', r));
    await settle(200);
    const grew = process.memoryUsage().rss - rss0;
    // Another client is served meanwhile.
    const other = await openRaw(ts.url);
    other.send([3, 5]);
    await other.waitFor(19);
    expect(grew).toBeLessThan(16 * 1024 * 1024);
    expect(ts.server.stats().internalErrors).toBe(0);
    sock.destroy();
  });

  it('plain HTTP and malformed upgrades on the game port are closed and not counted as connections', async () => {
    ts = await startTestServer();
    const heads = [
      'GET / HTTP/1.1\r\nHost: x\r\n\r\n',
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello',
      'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n',
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`,
    ];
    for (const h of heads) {
      const r = await rawSocket(ts.server.port, h);
      await r.closed;
      expect(r.data().startsWith('HTTP/1.1 101'), h.slice(0, 40)).toBe(false);
    }
    const s = ts.server.stats();
    expect(s.connectionsTotal).toBe(0);
    expect(s.internalErrors).toBe(0);
  });
});
