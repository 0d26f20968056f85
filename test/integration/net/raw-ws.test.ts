import { afterEach, describe, expect, it } from 'vitest';
import { RawWs } from '../../../src/bots/raw-ws.js';
import { uWS, type us_listen_socket } from '../../../src/uws.js';

let listen: us_listen_socket | null = null;
afterEach(() => { if (listen) uWS.us_listen_socket_close(listen); listen = null; });

/** A real uWS server: echoes binary messages; "big" → 70,000 bytes; "bye" → close 4001. */
const start = async (): Promise<number> => {
  const app = uWS.App().ws('/*', {
    maxPayloadLength: 1 << 20,
    message: (ws, ab) => {
      const text = Buffer.from(ab).toString();
      if (text === 'big') ws.send(new Uint8Array(70_000).fill(7), true);
      else if (text === 'mid') ws.send(new Uint8Array(300).fill(3), true);
      else if (text === 'bye') ws.end(4001, 'bye');
      else ws.send(ab, true);
    },
  });
  listen = await new Promise<us_listen_socket>((r, j) => app.listen('127.0.0.1', 0, (ls) => (ls ? r(ls) : j(new Error('listen')))));
  return uWS.us_socket_local_port(listen as never);
};

describe('raw WebSocket client of the light bots', () => {
  it('handshakes, sends masked frames, reads 7-bit, 16-bit and 64-bit lengths, gets the close code', async () => {
    const port = await start();
    const got: Uint8Array[] = [];
    let code = 0;
    let ws: RawWs | null = null;
    await new Promise<void>((resolve, reject) => {
      ws = new RawWs(`ws://127.0.0.1:${port}/`, {
        open: () => resolve(),
        message: (d) => got.push(Buffer.from(d)),
        close: (c) => { code = c; reject(new Error(`closed ${c}`)); },
      });
    });
    const w = ws as unknown as RawWs;
    expect(w.readyState).toBe(1);
    w.send(Buffer.from('hello'));
    w.send(Buffer.from('mid'));
    w.send(Buffer.from('big'));
    const long = Buffer.alloc(200, 9);
    w.send(long);
    const until = Date.now() + 5000;
    while (got.length < 4 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(Buffer.from(got[0]!).toString()).toBe('hello');
    expect(got[1]).toEqual(Buffer.alloc(300, 3));
    expect(got[2]).toEqual(Buffer.alloc(70_000, 7));
    expect(got[3]).toEqual(long);
    const closed = new Promise<void>((r) => { const t = setInterval(() => { if (code) { clearInterval(t); r(); } }, 10); });
    w.send(Buffer.from('bye'));
    await closed;
    expect(code).toBe(4001);
    expect(w.readyState).toBe(3);
  });
});
