/**
 * Audit: guessing tokens through the game's `authenticate` hook. A refused hello only closed its
 * socket (AUTH_REFUSED, 4017, no strike), and reconnecting is free: one client could try tokens —
 * and put load on the game's auth service — at the rate it can open sockets (the per-address limit
 * bounds open sockets, not their rate). Now every refusal takes a token from its client address's
 * bucket (`net.maxAuthFailuresPerAddressPerMinute`, default 30); with none left, hellos from that
 * address are refused `AUTH_LIMITED` (close 4019, no strike, counted) without calling the hook,
 * until the bucket refills. Other addresses are not affected; loopback is exempt by default.
 * Real uWS server, real sockets; client addresses forwarded by a trusted proxy (127.0.0.1).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AuthRequest, AuthResult } from '../../src/net/hello-auth.js';
import { AuthFailureLimiter } from '../../src/net/auth-failure-limit.js';
import { openRaw } from '../fuzz-helpers/raw-ws.js';
import { startTestServer, type TestServer } from './net/harness.js';

let ts: TestServer | null = null;
afterEach(async () => {
  await ts?.stop();
  ts = null;
});

const WELCOME = 16;
const ERROR = 20;

const start = async (net: Record<string, unknown>): Promise<{ calls: AuthRequest[] }> => {
  const calls: AuthRequest[] = [];
  ts = await startTestServer({
    net: { trustedProxies: ['127.0.0.1'], ...net },
    hooks: {
      authenticate: (req): AuthResult => {
        calls.push(req);
        return req.token === 'good' ? { ok: true, identity: 'alice' } : { ok: false, reason: 'bad token' };
      },
    },
  });
  return { calls };
};

/** A hello from client address `from` (forwarded by the trusted proxy; '' = the loopback peer itself): the error code (or 'WELCOME') and close code. */
const hello = async (from: string, token: string): Promise<{ answer: string; close: number }> => {
  const c = await openRaw(ts!.url, from ? { 'X-Forwarded-For': from } : undefined);
  c.send([1, 1, 'w1', 'guesser', token, null]);
  const m = await c.waitFor(ERROR, undefined, 5000).catch(() => null);
  const answer = m ? String(m[1]) : c.msgs.some((x) => x[0] === WELCOME) ? 'WELCOME' : 'NONE';
  if (answer === 'WELCOME') {
    c.ws.close();
    return { answer, close: 0 };
  }
  return { answer, close: await c.closed };
};

describe('audit: refused authentications per client address', () => {
  it('past the limit, hellos from that address are AUTH_LIMITED (4019) without calling the hook; others are served', async () => {
    const { calls } = await start({ maxAuthFailuresPerAddressPerMinute: 3 });
    const attacker = '203.0.113.7';
    for (let i = 0; i < 3; i++) expect(await hello(attacker, `guess-${i}`)).toEqual({ answer: 'AUTH_REFUSED', close: 4017 });
    expect(calls.length).toBe(3);
    expect(await hello(attacker, 'guess-3')).toEqual({ answer: 'AUTH_LIMITED', close: 4019 });
    expect(await hello(attacker, 'good')).toEqual({ answer: 'AUTH_LIMITED', close: 4019 });
    expect(calls.length, 'the hook is not asked while the address is limited').toBe(3);

    // Another address is not affected (an honest player behind the same proxy).
    const honest = await openRaw(ts!.url, { 'X-Forwarded-For': '198.51.100.9' });
    honest.send([1, 1, 'w1', 'alice', 'good', null]);
    await honest.waitFor(WELCOME);
    expect(honest.errors()).toEqual([]);

    const st = ts!.server.stats();
    expect(st.authLimited).toBe(2);
    expect(st.authLimitedAddresses).toBe(1);
    expect(st.errorsByCode.AUTH_LIMITED).toBe(2);
    expect(st.closesByCode['4019']).toBe(2);
    expect(st.auth.refused).toBe(3);
    expect(st.strikes, 'no strike').toBe(0);
    honest.ws.close();
  });

  it('loopback peers are exempt by default; 0 turns the limit off', async () => {
    const { calls } = await start({ maxAuthFailuresPerAddressPerMinute: 2 });
    for (let i = 0; i < 4; i++) expect((await hello('', `guess-${i}`)).answer).toBe('AUTH_REFUSED');
    expect(calls.length).toBe(4);
    await ts!.stop();
    const off = await start({ maxAuthFailuresPerAddressPerMinute: 0 });
    for (let i = 0; i < 4; i++) expect((await hello('203.0.113.8', `guess-${i}`)).answer).toBe('AUTH_REFUSED');
    expect(off.calls.length).toBe(4);
    expect(ts!.server.stats().authLimitedAddresses).toBe(0);
  });

  it('the bucket refills continuously: one refusal more per 60 s / limit; a full bucket is dropped', () => {
    let now = 0;
    const lim = new AuthFailureLimiter(6, true, () => now);
    const key = lim.keyOf('203.0.113.9');
    expect(lim.keyOf('127.0.0.1'), 'loopback exempt').toBe('');
    expect(lim.keyOf('::ffff:203.0.113.9'), 'IPv4-mapped counts as its IPv4 address').toBe(key);
    for (let i = 0; i < 6; i++) {
      expect(lim.blocked(key)).toBe(false);
      lim.refused(key);
    }
    expect(lim.blocked(key)).toBe(true);
    now += 9_000; // 0.9 of a token
    expect(lim.blocked(key)).toBe(true);
    now += 1_000;
    expect(lim.blocked(key)).toBe(false);
    expect(lim.limited).toBe(2);
    now += 60_000;
    lim.prune();
    expect(lim.addresses).toBe(0);
  });
});
