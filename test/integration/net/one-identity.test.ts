/**
 * One identity is one player per world (docs/PROTOCOL.md "Sessions"): a `hello` of an identity (a
 * non-empty token, or the identity the `authenticate` hook accepted) without a resume token, to a
 * world where that identity's player is live or parked, takes that player over as a resume would —
 * the same entity and wallet, the old socket closed 4011 — instead of spawning a second body. A
 * token naming only a session class (`bot`, `spectator`) names no player: each such hello is a
 * player of its own. Real runtime (SQLite store and ledger), real sockets.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { defineGame, startServer, type RunningServer } from '../../../src/index.js';
import type { AuthRequest, AuthResult } from '../../../src/net/hello-auth.js';
import { openStore } from '../../../src/store/open-store.js';
import type { Store } from '../../../src/store/types.js';
import { openRaw, type RawWs } from '../../fuzz-helpers/raw-ws.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { testServerOptions } from '../../helpers/game-server-options.js';
import { settle, startTestServer, type TestServer } from './harness.js';

const WELCOME = 16,
  TX = 21,
  WALLET = 22;

let server: RunningServer | null = null;
let ts: TestServer | null = null;
let store: Store | null = null;
const open: RawWs[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) s.ws.close();
  await server?.stop();
  server = null;
  await ts?.stop();
  ts = null;
  await store?.close();
  store = null;
});

const start = async (authenticate?: (r: AuthRequest) => AuthResult): Promise<string> => {
  server = await startServer(defineGame({ name: 'one-identity' }), {
    options: testServerOptions('wt-one-id-'),
    ...(authenticate ? { authenticate } : {}),
  });
  return `ws://127.0.0.1:${server.port}`;
};

/** Open a socket and send a hello without a resume token; resolves with the welcome. */
const hello = async (url: string, token: string, world = '1'): Promise<{ s: RawWs; w: unknown[] }> => {
  const s = await openRaw(url);
  open.push(s);
  s.send([1, 1, world, 'p', token, null]);
  return { s, w: await s.waitFor(WELCOME) };
};

/** A wallet message with a positive balance (the start grant caught up). */
const funded = (m: unknown[]): boolean => typeof m[1] === 'number' && m[1] > 0;

describe('one identity is one player per world', () => {
  it('a second socket with the same token takes the player over: same entity and wallet, the first closed 4011', async () => {
    const url = await start();
    const a = await hello(url, 'alice-secret');
    expect(a.w[9]).toBe(false);
    await a.s.waitFor(WALLET, funded);
    a.s.send([4, 'k1', 'potion', 1, 10]);
    const tx = await a.s.waitFor(TX);
    expect(tx[2], JSON.stringify(tx)).toBe('ok');
    const coins = Number(tx[8]);

    const b = await hello(url, 'alice-secret');
    expect(b.w[2], 'the same entity').toBe(a.w[2]);
    expect(b.w[9], 'resumed').toBe(true);
    expect(b.w[6], "the session's resume token").toBe(a.w[6]);
    expect(b.s.errors()).toEqual([]);
    expect(await a.s.closed).toBe(4011);
    expect((await b.s.waitFor(WALLET))[1], 'the same wallet').toBe(coins);
    b.s.send([4, 'k2', 'potion', 1, 10]);
    const tx2 = await b.s.waitFor(TX);
    expect(tx2[2]).toBe('ok');
    expect(tx2[8]).toBe(coins - 10);
    // It controls that entity: its pings and inputs are answered on the one socket left.
    b.s.send([3, 5]);
    await b.s.waitFor(19, (m) => m[1] === 5);
    expect(b.s.code()).toBe(0);
  });

  it('two tokens the authenticate hook maps to one identity are one player', async () => {
    const url = await start(({ token }) => ({ ok: true, identity: token.split('.')[0] ?? token }));
    const a = await hello(url, 'user-7.first');
    const coins = Number((await a.s.waitFor(WALLET, funded))[1]);
    const b = await hello(url, 'user-7.rotated');
    expect(b.w[2]).toBe(a.w[2]);
    expect(b.w[9]).toBe(true);
    expect(b.w[6]).toBe(a.w[6]);
    expect(await a.s.closed).toBe(4011);
    expect((await b.s.waitFor(WALLET))[1]).toBe(coins);
    // Another identity of the same hook is a player of its own; the first is untouched.
    const c = await hello(url, 'user-8.first');
    expect(c.w[2]).not.toBe(b.w[2]);
    expect(c.w[9]).toBe(false);
    b.s.send([3, 9]);
    await b.s.waitFor(19, (m) => m[1] === 9);
    expect(b.s.code()).toBe(0);
  });

  it('a parked player is taken over by a fresh hello of its identity', async () => {
    const url = await start();
    const a = await hello(url, 'bob-secret');
    await a.s.waitFor(WALLET, funded);
    a.s.ws.close();
    await a.s.closed;
    await new Promise((r) => setTimeout(r, 150)); // the park applies at the next step (20 Hz)
    const b = await hello(url, 'bob-secret');
    expect(b.w[2]).toBe(a.w[2]);
    expect(b.w[9]).toBe(true);
    expect(b.w[6]).toBe(a.w[6]);
    expect(b.s.errors()).toEqual([]);
  });

  it('class-only tokens name no player: two sockets are two players; another identity is unaffected', async () => {
    ts = await startTestServer();
    const url = ts.url;
    const carol = await hello(url, 'carol', 'w1');
    for (const token of ['bot', 'spectator']) {
      const x = await hello(url, token, 'w1');
      const y = await hello(url, token, 'w1');
      expect(y.w[2], token).not.toBe(x.w[2]);
      expect(y.w[9]).toBe(false);
      expect(y.w[6]).not.toBe(x.w[6]);
      x.s.send([3, 1]);
      await x.s.waitFor(19, (m) => m[1] === 1);
      expect(x.s.code(), `the first ${token} socket stays`).toBe(0);
    }
    const dave = await hello(url, 'dave', 'w1');
    expect(dave.w[2]).not.toBe(carol.w[2]);
    carol.s.send([3, 2]);
    await carol.s.waitFor(19, (m) => m[1] === 2);
    expect(carol.s.code()).toBe(0);
    // The same identity without a store too: one player, the first socket closed 4011.
    const carol2 = await hello(url, 'carol', 'w1');
    expect(carol2.w[2]).toBe(carol.w[2]);
    expect(carol2.w[9]).toBe(true);
    expect(await carol.s.closed).toBe(4011);
  });

  it('class-only tokens with a store: each session its own durable player and wallet', async () => {
    const url = await start();
    const x = await hello(url, 'bot');
    const y = await hello(url, 'bot');
    expect(y.w[2]).not.toBe(x.w[2]);
    const start0 = Number((await x.s.waitFor(WALLET, funded))[1]);
    expect((await y.s.waitFor(WALLET, funded))[1]).toBe(start0);
    x.s.send([4, 'kx', 'potion', 1, 10]);
    expect((await x.s.waitFor(TX))[8]).toBe(start0 - 10);
    y.s.send([4, 'ky', 'potion', 1, 10]);
    expect((await y.s.waitFor(TX))[8], 'not the same wallet').toBe(start0 - 10);
    expect(x.s.code()).toBe(0);
  });

  it("a hello while its identity's join is in flight waits for it, then takes the player over", async () => {
    ts = await startTestServer();
    ts.hold = true; // the first join stays in flight until the harness steps again
    const a = await openRaw(ts.url);
    const b = await openRaw(ts.url);
    open.push(a, b);
    a.send([1, 1, 'w1', 'erin', 'erin-secret', null]);
    await ts.sessionFactsQueued(1); // a's join in flight (a fixed wait: not on a loaded machine)
    b.send([1, 1, 'w1', 'erin', 'erin-secret', null]);
    b.send([2, 1, 1, 0, 0]); // an input before the welcome: held, applied to the player taken over
    await settle(30);
    ts.hold = false;
    const [wa, wb] = await Promise.all([a.waitFor(WELCOME), b.waitFor(WELCOME)]);
    expect(wb[2], 'one entity').toBe(wa[2]);
    expect(wb[9]).toBe(true);
    expect(wb[6]).toBe(wa[6]);
    expect(await a.closed).toBe(4011);
    expect(b.errors()).toEqual([]);
    ts.step(2);
    await b.waitFor(17, (m) => m[4] === 1); // the held input was applied (ack 1)
  });

  it('after a restart, a fresh hello of the identity is its player, and its old resume token takes that one over', async () => {
    store = await openStore({ dataDir: tempDataDir('wt-one-id-').dir });
    ts = await startTestServer({ store });
    const a = await hello(ts.url, 'fay-secret', 'w1');
    const oldToken = a.w[6] as string;
    await ts.stop(); // fay was live at shutdown: her record stays resumable after the restart
    ts = await startTestServer({ store });
    const b = await hello(ts.url, 'fay-secret', 'w1');
    expect(b.w[9], 'a new session of the same durable player').toBe(false);
    // The old token (an empty hello token may resume) names fay's player: the live one is taken over.
    const c = await openRaw(ts.url);
    open.push(c);
    c.send([1, 1, 'w1', 'p', '', oldToken]);
    const wc = await c.waitFor(WELCOME);
    expect(wc[2], 'not a second entity').toBe(b.w[2]);
    expect(wc[9]).toBe(true);
    expect(wc[6]).toBe(b.w[6]);
    expect(await b.s.closed).toBe(4011);
  });
});
