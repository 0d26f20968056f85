/**
 * Fuzz: the client library's methods (src/client/client.ts, `WorldtickClient`) called as a game client
 * written in JavaScript could call them — a world id, name or key that is a number, a Symbol or a BigInt,
 * an input of NaN, a listener that is no function, a timeout of any kind — on clients in every state
 * (never connected, connected, joined, closed), against a real server (startServer, a real SQLite store,
 * real WebSockets). Each call returns, or throws or rejects with a `WT_ERR_` code (the client's own, or the
 * server's answer) — never a TypeError, RangeError or another uncoded error; a promise settles. What the
 * client sends reaches the server, which answers bad frames with error frames: afterwards the server still
 * serves (a new player joins and buys) and the ledger verifies.
 */
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/index.js';
import { shown } from '../../../src/core/shown.js';
import { WorldtickError } from '../../../src/errors.js';
import { type RunningServer, startServer } from '../../../src/index.js';
import { coded, game } from '../../fuzz-helpers/game-api.js';
import { callerValue, fuzzScale, fuzzSeed, jsonValue, type Rng, withSeed, fuzzTimeout } from '../../fuzz-helpers/rng.js';
import { testServerOptions } from '../../helpers/game-server-options.js';

const CALLS = Math.round(600 * fuzzScale());

let server: RunningServer | null = null;
const clients: WorldtickClient[] = [];
afterAll(async () => {
  for (const c of clients) c.close();
  await server?.stop();
});

/** Any value a JavaScript caller could pass (a lone surrogate among the strings). */
const junk = (rng: Rng): unknown => callerValue(rng, ['sword', '\ud800']);
const maybe = <T>(rng: Rng, good: () => T): unknown => (rng.chance(0.6) ? good() : junk(rng));
/** A timeout: short enough that a wait for what never comes ends within the fuzz's bound, or anything that is no number. */
const timeout = (rng: Rng): unknown =>
  rng.pick<() => unknown>([() => rng.int(1, 100), () => rng.pick([0, -1, Number.NaN, 0.5]), () => junk(rng)])();
/** A timeout that is a number at most 300 ms, else left out (the default, 5 s). */
const sane = (t: unknown): boolean => typeof t !== 'number' || (Number.isFinite(t) && t <= 300);

type Call = (rng: Rng, c: WorldtickClient) => unknown;
const METHODS: Array<{ name: string; call: Call }> = [
  {
    name: 'join',
    call: (rng, c) => {
      const t = timeout(rng);
      return sane(t)
        ? c.join(
            maybe(rng, () => '1') as string,
            maybe(rng, () => 'p') as string,
            maybe(rng, () => `t${rng.int(0, 3)}`) as string,
            null,
            t as number,
          )
        : undefined;
    },
  },
  {
    name: 'purchase',
    call: (rng, c) => {
      const t = timeout(rng);
      return sane(t)
        ? c.purchase(
            maybe(rng, () => `k${rng.int(0, 20)}`) as string,
            maybe(rng, () => 'sword') as string,
            maybe(rng, () => rng.int(0, 2)) as number,
            maybe(rng, () => 5) as number,
            t as number,
          )
        : undefined;
    },
  },
  {
    name: 'sendInput',
    call: (rng, c) => c.sendInput(maybe(rng, () => rng.int(-1, 1)) as number, maybe(rng, () => 0) as number, junk(rng) as number),
  },
  { name: 'sendMessage', call: (rng, c) => c.sendMessage(maybe(rng, () => 'hello') as string, jsonValue(rng, 2)) },
  {
    name: 'ping',
    call: (rng, c) => {
      const t = timeout(rng);
      return sane(t) ? c.ping(t as number) : undefined;
    },
  },
  { name: 'on', call: (rng, c) => c.on(maybe(rng, () => () => undefined) as never)() },
  { name: 'onView', call: (rng, c) => c.onView(maybe(rng, () => () => undefined) as never)() },
  { name: 'onMessage', call: (rng, c) => c.onMessage(maybe(rng, () => 'note') as string, maybe(rng, () => () => undefined) as never)() },
  {
    name: 'waitFor',
    call: (rng, c) => {
      const t = timeout(rng);
      return sane(t) ? c.waitFor(maybe(rng, () => () => false) as never, t as number) : undefined;
    },
  },
  {
    name: 'waitForStep',
    call: (rng, c) => {
      const t = timeout(rng);
      return sane(t) ? c.waitForStep(maybe(rng, () => rng.int(0, 1e6)) as number, t as number) : undefined;
    },
  },
  { name: 'close', call: (rng, c) => c.close(maybe(rng, () => rng.pick([1000, 4000, 4999])) as number, maybe(rng, () => 'bye') as string) },
  { name: 'leave', call: (_rng, c) => c.leave() },
  { name: 'connect', call: (_rng, c) => (c.open ? undefined : c.connect()) },
];

/** Settle within 5 s: a promise that never settles is a finding. */
const settle = async (p: Promise<unknown>): Promise<{ ok: true } | { ok: false; err: unknown }> => {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      p,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('the promise did not settle within 5 s')), 5000);
      }),
    ]);
    return { ok: true };
  } catch (err) {
    return { ok: false, err };
  } finally {
    clearTimeout(timer);
  }
};
const describeErr = (err: unknown): string => (err instanceof Error ? `${err.name}: ${err.message}` : shown(err));

describe('fuzz: the client library called with what a JavaScript caller could pass', () => {
  it(`${CALLS} calls on clients in every state: coded or accepted, every promise settles, the server serves on`, {
    timeout: fuzzTimeout(180_000),
  }, async () => {
    const s = await startServer(game, { options: testServerOptions('wt-client-api-fuzz-') });
    server = s;
    const url = `ws://127.0.0.1:${s.port}`;
    const fresh = (): WorldtickClient => {
      const c = new WorldtickClient({ url, WebSocket: WebSocket as unknown as WebSocketCtor });
      clients.push(c);
      return c;
    };
    await withSeed('client-api', fuzzSeed(2026_12_07), async (rng, at) => {
      const pool: WorldtickClient[] = [];
      for (let i = 0; i < 4; i++) pool.push(fresh());
      for (let i = 0; i < CALLS; i++) {
        // Now and then a client in another state: a new one (never connected), or one connected and joined.
        if (rng.chance(0.05)) {
          const c = fresh();
          if (rng.chance(0.5)) {
            await c.connect();
            await c.join('1', 'p', `t${rng.int(0, 3)}`).catch(() => undefined);
          }
          pool[rng.int(0, pool.length - 1)] = c;
        }
        const c = rng.pick(pool);
        const m = rng.pick(METHODS);
        at.at = `call ${i} (${m.name})`;
        let out: unknown;
        try {
          out = m.call(rng, c);
        } catch (err) {
          expect(coded(err), `${m.name} threw ${describeErr(err)}`).toBe(true);
          continue;
        }
        if (out instanceof Promise) {
          const r = await settle(out);
          if (!r.ok) expect(r.err instanceof WorldtickError && coded(r.err), `${m.name} rejected with ${describeErr(r.err)}`).toBe(true);
        }
      }
    });

    // The server serves on: a new player joins and buys once; the ledger verifies.
    const dave = fresh();
    await dave.connect();
    await dave.join('1', 'dave', 'dave-token');
    expect(await dave.purchase('after-fuzz', 'sword', 1, 5)).toMatchObject({ status: 'ok' });
    const verify = await fetch(`http://127.0.0.1:${s.adminPort}/api/v1/ledger/verify`, {
      headers: { authorization: `Bearer ${s.adminToken}` },
    });
    expect(await verify.json()).toMatchObject({ ok: true, mismatches: [] });
  });
});
