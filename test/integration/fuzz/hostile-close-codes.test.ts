/**
 * Hostile probe: close frames with client-chosen codes below 3000, sent over raw TCP (a WebSocket
 * library refuses to send most of them). `closesByCode` counts a client's code of 3000-4999 under
 * `client` (hostile-transport.test.ts); below 3000 the code is its own key, so the keys a client can
 * add must stay few. Holds: uWebSockets.js passes on only the codes RFC 6455 lets an endpoint send
 * (here 1000-1003, 1007, 1008, 1011) and reports anything else — reserved (1004-1006, 1015), unassigned
 * (1016-2999) — as 1006, so the table keeps a handful of keys whatever the client sends.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { settle, startTestServer, type TestServer } from '../net/harness.js';

let ts: TestServer | null = null;
afterEach(async () => {
  await ts?.stop();
  ts = null;
});

const UPGRADE =
  'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

/** A masked close frame carrying `code`. */
const closeFrame = (code: number): Buffer => {
  const mask = Buffer.from([0x11, 0x22, 0x33, 0x44]);
  const body = Buffer.alloc(2);
  body.writeUInt16BE(code);
  return Buffer.concat([Buffer.from([0x88, 0x82]), mask, Buffer.from(body.map((b, i) => b ^ (mask[i % 4] ?? 0)))]);
};

const closeWith = async (port: number, code: number): Promise<void> => {
  const sock = net.connect(port, '127.0.0.1');
  sock.on('error', () => {});
  const closed = new Promise<void>((r) => sock.on('close', () => r()));
  let head = '';
  await new Promise<void>((r) =>
    sock
      .on('data', (d: Buffer) => {
        head += d.toString('latin1');
        if (head.includes('\r\n\r\n')) r();
      })
      .write(UPGRADE),
  );
  sock.write(closeFrame(code));
  await Promise.race([closed, settle(1000)]);
  sock.destroy();
};

describe('hostile: client close codes below 3000', () => {
  it('only the codes an endpoint may send are counted as themselves; the rest count as 1006', async () => {
    ts = await startTestServer();
    const codes = [1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1011, 1015, 1016, 1999, 2000, 2500, 2999];
    for (const code of codes) await closeWith(ts.server.port, code);
    await settle(50);
    const st = ts.server.stats();
    const keys = Object.keys(st.closesByCode).sort();
    for (const k of keys) expect(['1000', '1001', '1002', '1003', '1006', '1007', '1008', '1011'], k).toContain(k);
    for (const k of ['1999', '2000', '2500', '2999', '1016', '1015']) expect(st.closesByCode[k], k).toBeUndefined();
    expect(Object.values(st.closesByCode).reduce((a, b) => a + b, 0)).toBe(codes.length);
    expect(st.internalErrors).toBe(0);
  });
});
