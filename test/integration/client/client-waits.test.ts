/**
 * What a client's waits say and when they end. Real server (port 0), real client; one server for both.
 *
 * A wait that times out says what it waited for: it used to reject `timed out after 300 ms waiting for
 * a message`, which did not say which of a client's calls it was.
 *
 * A `purchase()` sent before `join` sent its hello on the socket is answered `NOT_JOINED` by the server
 * at once (an `error` frame, no `txResult`); the client waited out its whole timeout and rejected
 * `WT_ERR_CLIENT_TIMEOUT`. It now rejects `WT_ERR_CLIENT_NOT_JOINED` on that answer. The error frame
 * names no purchase, so only a purchase that no hello preceded on its socket takes a `NOT_JOINED` as
 * its answer: one sent after the hello (held until the welcome, or handled) still gets its
 * `txResult`, and so does one after a resume.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, isWorldtickError, WorldtickClient } from '../../../src/client/index.js';
import { defineGame, type RunningServer, startServer } from '../../../src/index.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const dir = tempDataDir('wt-client-waits-');
let server: RunningServer;
beforeAll(async () => {
  server = await startServer(defineGame({ name: 'client-waits', world: { npcs: 0, physics: 'off' } }), {
    options: { port: 0, adminPort: 0, logLevel: 'silent', dataDir: dir.dir, statsIntervalSeconds: 0 },
  });
});
afterAll(async () => {
  await server?.stop();
  dir.remove();
});

const rejection = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => null,
    (err: unknown) => err,
  );
const client = (): WorldtickClient => new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket: WebSocket as never });

describe('a client wait that times out', () => {
  it('names the purchase key, the step or the ping it waited for', async () => {
    const c = client();
    await c.connect();
    const err = await rejection(c.waitForStep(1e9, 300)); // no snapshot before a join
    expect(isWorldtickError(err, ErrorCode.CLIENT_TIMEOUT)).toBe(true);
    expect((err as Error).message).toBe('timed out after 300 ms waiting for a snapshot of step 1000000000 or later');
    expect((err as { details: unknown }).details).toEqual({ timeoutMs: 300 });
    // A wait the close ends names it too.
    const pending = rejection(c.purchase('k-2', 'potion', 1, 10, 5000));
    const ping = rejection(c.ping(5000));
    c.close(1000, 'bye');
    expect(((await pending) as Error).message).toBe('closed (1000: bye) while waiting for the txResult of purchase "k-2"');
    expect(((await ping) as Error).message).toBe('closed (1000: bye) while waiting for the pong of a ping');
    // The generic wait keeps its wording.
    expect(((await rejection(c.waitFor(() => false, 50))) as Error).message).toBe('closed (1000: bye) while waiting for a message');
    await c.closed();
  });
});

describe('purchase() before join', () => {
  it('rejects WT_ERR_CLIENT_NOT_JOINED on the server answer; purchases after the hello and after a resume get their txResult', async () => {
    const c = client();
    await c.connect();
    const err = await rejection(c.purchase('k-1', 'potion', 1, 10, 2000));
    expect(isWorldtickError(err, ErrorCode.CLIENT_NOT_JOINED)).toBe(true);
    expect((err as Error).message).toBe('purchase "k-1" refused: NOT_JOINED send hello first (join before purchasing)');
    expect((err as { details: unknown }).details).toEqual({ key: 'k-1', wireCode: 'NOT_JOINED', message: 'send hello first' });
    expect(c.errors.map((e) => e.code)).toEqual(['NOT_JOINED']);

    // Same socket: join, then a purchase sent right after the hello (before the welcome) and one after it.
    const joined = c.join('1', 'p');
    const early = c.purchase('k-2', 'potion', 1, 10, 5000);
    const welcome = await joined;
    expect((await early).key).toBe('k-2');
    expect((await c.purchase('k-3', 'potion', 1, 10, 5000)).key).toBe('k-3');

    // A resumed session: a purchase on the new socket before its hello is refused, after the resume it is answered.
    c.close(4000, 'gone');
    await c.closed();
    const r = client();
    await r.connect();
    expect(isWorldtickError(await rejection(r.purchase('k-4', 'potion', 1, 10, 2000)), ErrorCode.CLIENT_NOT_JOINED)).toBe(true);
    const again = await r.join('1', 'p', '', welcome.resumeToken);
    expect(again.playerId).toBe(welcome.playerId);
    expect((await r.purchase('k-4', 'potion', 1, 10, 5000)).key).toBe('k-4');
    r.close(1000, 'bye');
    await r.closed();
  });
});

describe('a request with no open socket', () => {
  it('join, purchase and ping reject WT_ERR_CLIENT_CLOSED at once, never connected or connect() not awaited; nothing is thrown by the socket', async () => {
    expect(() => new WorldtickClient(null as never)).toThrowError(expect.objectContaining({ code: 'WT_ERR_OPTION_INVALID' }));
    const c = client();
    // A listener that is no function: refused at the call (a TypeError out of the socket's handler at the next message before).
    expect(() => c.on(null as never)).toThrowError(/^invalid options: on: the listener must be a function \(got null\)/);
    expect(() => c.onView(5 as never)).toThrowError(/onView: the listener must be a function/);
    expect(() => c.onMessage('m', undefined as never)).toThrowError(/onMessage: the listener must be a function/);
    expect(() => c.waitFor('x' as never)).toThrowError(/waitFor: the listener must be a function/);
    for (const p of [c.join('1', 'n', '', null, 5000), c.purchase('k-9', 'potion', 1, 10, 5000), c.ping(5000)]) {
      const err = await rejection(p);
      expect(isWorldtickError(err, ErrorCode.CLIENT_CLOSED)).toBe(true);
      expect((err as Error).message).toMatch(/^not connected \(await connect\(\) first\): nothing sent for /);
    }
    // connect() not awaited: the socket is opening (the ws package threw `WebSocket is not open` from send).
    const opening = c.connect();
    expect(((await rejection(c.join('1', 'n'))) as Error).message).toBe(
      'not connected (await connect() first): nothing sent for the welcome to world "1"',
    );
    expect(() => c.sendInput(1, 0)).not.toThrow();
    await opening;
    expect((await c.join('1', 'n')).type).toBe(16);
    c.close(1000, 'bye');
    await c.closed();
  });
});
