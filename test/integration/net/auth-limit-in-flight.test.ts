/**
 * The refused-authentication limit per client address (`net.maxAuthFailuresPerAddressPerMinute`,
 * src/net/auth-failure-limit.ts) holds for hellos whose asynchronous `authenticate` hook is still
 * pending: each hook call in flight takes its token up front (given back when the hook accepts or
 * fails), so a client cannot call the hook more often than the limit by sending its hellos on many
 * sockets at once, nor by closing each socket before the answer (a refusal nobody hears must
 * count too). Real uWS server, real sockets; client addresses forwarded by a trusted proxy.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AuthRequest, AuthResult } from '../../../src/net/hello-auth.js';
import { openRaw, type RawWs } from '../../fuzz-helpers/raw-ws.js';
import { startTestServer, type TestServer } from './harness.js';

let ts: TestServer | null = null;
afterEach(async () => {
  await ts?.stop();
  ts = null;
});

const ERROR = 20;
const WELCOME = 16;

/** A server whose hook answers only when `release` is called: refuses every token but 'good'. */
const start = async (limit: number) => {
  const calls: AuthRequest[] = [];
  const waiting: Array<() => void> = [];
  ts = await startTestServer({
    net: { trustedProxies: ['127.0.0.1'], maxAuthFailuresPerAddressPerMinute: limit },
    hooks: {
      authenticate: (req): Promise<AuthResult> => {
        calls.push(req);
        return new Promise((res) =>
          waiting.push(() => res(req.token === 'good' ? { ok: true, identity: 'alice' } : { ok: false, reason: 'bad token' })),
        );
      },
    },
  });
  const release = (): void => {
    for (const r of waiting.splice(0)) r();
  };
  return { calls, release };
};

const until = async (what: string, ok: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
};

const helloFrom = async (from: string, token: string): Promise<RawWs> => {
  const c = await openRaw(ts!.url, { 'X-Forwarded-For': from });
  c.send([1, 1, 'w1', 'guesser', token, null]);
  return c;
};

const limitedOf = (cs: RawWs[]): number => cs.filter((c) => c.msgs.some((m) => m[0] === ERROR && m[1] === 'AUTH_LIMITED')).length;

describe('refused authentications per address: hellos in flight', () => {
  it('hellos sent at once on many sockets call the hook at most the limit', async () => {
    const { calls, release } = await start(3);
    const cs: RawWs[] = [];
    for (let i = 0; i < 8; i++) cs.push(await helloFrom('203.0.113.20', `guess-${i}`));
    // Every hello is either with the hook or answered AUTH_LIMITED.
    await until('every hello handled', () => calls.length + limitedOf(cs) === 8);
    expect(calls.length, 'hook calls while 8 hellos are in flight at once').toBe(3);
    expect(limitedOf(cs)).toBe(5);
    release();
    await until(
      'the refusals answered',
      () => cs.filter((c) => c.msgs.some((m) => m[0] === ERROR && m[1] === 'AUTH_REFUSED')).length === 3,
    );
    const again = await helloFrom('203.0.113.20', 'guess-9');
    await again.waitFor(ERROR);
    expect(again.msgs.find((m) => m[0] === ERROR)?.[1]).toBe('AUTH_LIMITED');
    expect(calls.length).toBe(3);
    for (const c of [...cs, again]) c.ws.close();
  });

  it('a hello whose socket closed before the refusal still counts; an accepted one gives its token back', async () => {
    const { calls, release } = await start(2);
    // Accepted hellos take nothing once answered: three in a row from one address, one at a time.
    for (let i = 0; i < 3; i++) {
      const ok = await helloFrom('203.0.113.21', 'good');
      await until('the hook asked', () => calls.length === i + 1);
      release();
      await ok.waitFor(WELCOME);
      ok.ws.close();
    }
    // Hello, then close before the hook answers (the attacker does not wait for the refusal).
    for (let i = 0; i < 2; i++) {
      const c = await helloFrom('203.0.113.21', `guess-${i}`);
      await until('the hook asked', () => calls.length === 3 + i + 1);
      c.ws.close();
      await c.closed;
      release();
    }
    const third = await helloFrom('203.0.113.21', 'guess-2');
    await until('an answer or a hook call', () => calls.length === 6 || limitedOf([third]) === 1);
    expect(calls.length, 'the hook is not asked again').toBe(5);
    expect(limitedOf([third])).toBe(1);
    third.ws.close();
  });
});
