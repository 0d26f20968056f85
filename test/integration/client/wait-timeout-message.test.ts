/**
 * A client wait that times out says what it waited for: it used to reject `timed out after 300 ms
 * waiting for a message`, which did not say which of a client's calls it was (a purchase sent before
 * the hello, which waited out its time then; it now rejects at once: purchase-not-joined.test.ts).
 * Real server (port 0), real client.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, isWorldtickError, WorldtickClient } from '../../../src/client/index.js';
import { defineGame, type RunningServer, startServer } from '../../../src/index.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const dir = tempDataDir('wt-wait-msg-');
let server: RunningServer;
beforeAll(async () => {
  server = await startServer(defineGame({ name: 'wait-msg', world: { npcs: 0, physics: 'off' } }), {
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

describe('a client wait that times out', () => {
  it('names the purchase key, the step or the ping it waited for', async () => {
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket: WebSocket as never });
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
