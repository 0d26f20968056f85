/**
 * The client library ends a pending wait when its socket closes (docs/GAME-API.md "Reference:
 * worldtick/client"): `join`, `purchase` and `waitFor` reject at once with `WT_ERR_CLIENT_CLOSED`
 * (close code and reason in `details`), not after their timeout, and a wait on a closed socket
 * rejects at once. Real sockets: an in-process server stopped, a server process killed with
 * SIGKILL (then restarted: the same key retried after the resume gets its answer), and the
 * client's own `close()` — on a dead link too (the server process stopped with SIGSTOP: no close
 * frame will come), where `closed()` resolves after `closeTimeoutMs`, not after the `ws` package's
 * 30 s handshake timeout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { ErrorCode, isWorldtickError } from '../../../src/errors.js';
import { killHard, startGameProcess, type GameProcess } from '../../helpers/game-process.js';
import { startTestServer, type TestServer } from './harness.js';

/** Far beyond the test's own timeout: only the close can end these waits in time. */
const LONG = 60_000;
const never = (): boolean => false;

/** The rejection of `p` (fails the test if it resolves). */
const rejectionOf = async (p: Promise<unknown>): Promise<unknown> => {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('resolved; expected a rejection');
};

const expectClosed = (err: unknown, closeCode: number, closeReason: string): void => {
  expect(isWorldtickError(err, ErrorCode.CLIENT_CLOSED), String(err)).toBe(true);
  expect((err as { details: unknown }).details).toEqual({ closeCode, closeReason });
};

let ts: TestServer | null = null;
let proc: GameProcess | null = null;
const dirs: string[] = [];
afterEach(async () => {
  await ts?.stop();
  ts = null;
  if (proc && proc.child.exitCode === null && proc.child.signalCode === null) await killHard(proc);
  proc = null;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('pending waits end when the socket closes', () => {
  it('server stop: a pending waitFor rejects with WT_ERR_CLIENT_CLOSED and the close code and reason', { timeout: 15_000 }, async () => {
    ts = await startTestServer();
    const c = await ts.client();
    await c.join('w1', 'stop', '', null, LONG);
    const wait = rejectionOf(c.waitFor(never, LONG));
    await ts.server.stop();
    const err = await wait;
    expect(c.closeCode).not.toBe(0);
    expectClosed(err, c.closeCode, c.closeReason);
    // A wait on the closed socket rejects at once, the same way.
    expectClosed(await rejectionOf(c.waitFor(never, LONG)), c.closeCode, c.closeReason);
    expectClosed(await rejectionOf(c.ping(LONG)), c.closeCode, c.closeReason);
  });

  it('client close(): pending waits reject at once with the code and reason given; a timeout has its own code', {
    timeout: 15_000,
  }, async () => {
    ts = await startTestServer();
    const c = await ts.client();
    await c.join('w1', 'me', '', null, LONG);
    const timedOut = await rejectionOf(c.waitFor(never, 50));
    expect(isWorldtickError(timedOut, ErrorCode.CLIENT_TIMEOUT), String(timedOut)).toBe(true);
    expect((timedOut as { details: unknown }).details).toEqual({ timeoutMs: 50 });
    const a = rejectionOf(c.waitFor(never, LONG));
    const b = rejectionOf(c.waitForStep(1_000_000, LONG));
    c.close(4000, 'going away');
    expectClosed(await a, 4000, 'going away');
    expectClosed(await b, 4000, 'going away');
    await c.closed();
    expect(c.closeCode).toBe(4000);
  });

  it('close() on a dead link (server SIGSTOPped): closed() resolves after closeTimeoutMs with 1006', { timeout: 20_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wt-client-close-'));
    dirs.push(dataDir);
    const args = ['--port', '0', '--admin-port', '0', '--npcs', '0', '--stats-interval', '0'];
    proc = await startGameProcess({ main: 'src/cli/main.ts', args, dataDir, token: 'client-close-token' });
    const url = `ws://127.0.0.1:${proc.lines.find((l) => l.msg === 'server ready')?.port}`;
    const c = new WorldtickClient({ url, WebSocket: WebSocket as unknown as WebSocketCtor, closeTimeoutMs: 500 });
    await c.connect();
    await c.join('1', 'leaver', '', null, LONG);
    proc.child.kill('SIGSTOP'); // the afterEach's SIGKILL ends a stopped process too
    const wait = rejectionOf(c.waitFor(never, LONG));
    c.close(1000, 'bye');
    expectClosed(await wait, 1000, 'bye'); // pending waits: at once, with close()'s code
    await c.closed(); // the ws package alone would wait 30 s for the server's close frame
    expect(c.closeCode).toBe(1006);
    expect(c.closeReason).toBe('close handshake timed out after 500 ms');
    expect(c.open).toBe(false);
    expectClosed(await rejectionOf(c.waitFor(never, LONG)), 1006, 'close handshake timed out after 500 ms');
  });

  it('SIGKILL of the server process: pending join and purchase reject; after the restart the same key gets its answer', {
    timeout: 60_000,
  }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wt-client-close-'));
    dirs.push(dataDir);
    const args = ['--port', '0', '--admin-port', '0', '--npcs', '0', '--stats-interval', '0', '--starting-coins', '1000'];
    const start = async (): Promise<{ p: GameProcess; url: string }> => {
      const p = await startGameProcess({ main: 'src/cli/main.ts', args, dataDir, token: 'client-close-token' });
      return { p, url: `ws://127.0.0.1:${p.lines.find((l) => l.msg === 'server ready')?.port}` };
    };
    const client = (url: string): WorldtickClient => new WorldtickClient({ url, WebSocket: WebSocket as unknown as WebSocketCtor });
    let s = await start();
    proc = s.p;
    const buyer = client(s.url);
    await buyer.connect();
    const welcome = await buyer.join('1', 'buyer', 'client-close-player', null, LONG);
    const joiner = client(s.url);
    await joiner.connect();
    // Stopped: the server reads nothing more, so both waits are surely pending when it dies.
    s.p.child.kill('SIGSTOP');
    const joining = rejectionOf(joiner.join('1', 'joiner', '', null, LONG));
    const buying = rejectionOf(buyer.purchase('close-key-1', 'arrow', 1, 1, LONG));
    await killHard(s.p);
    expectClosed(await joining, 1006, '');
    expectClosed(await buying, 1006, '');
    expect(buyer.open).toBe(false);

    // What a game does next: reconnect, resume, retry the same key.
    s = await start();
    proc = s.p;
    const again = client(s.url);
    await again.connect();
    await again.join('1', 'buyer', 'client-close-player', welcome.resumeToken, LONG);
    const r = await again.purchase('close-key-1', 'arrow', 1, 1, LONG);
    expect(r.status).toBe('ok');
    again.close();
  });
});
