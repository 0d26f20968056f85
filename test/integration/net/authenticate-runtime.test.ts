/**
 * The authenticate hook through the public API (`startServer` options, src/game/server.ts): the
 * HMAC-signed token verifier of docs/GAME-API.md "Authenticating players" on a full runtime (with
 * its ledger and SQLite store: two tokens of one user are one wallet), and its outcomes in the
 * admin's /metrics (`worldtick_net_auth_total{outcome}`).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { defineGame, startServer, type RunningServer } from '../../../src/index.js';
import type { AuthRequest, AuthResult } from '../../../src/net/hello-auth.js';
import { openRaw } from '../../fuzz-helpers/raw-ws.js';
import { testServerOptions } from '../../helpers/game-server-options.js';

const SECRET = 'studio-shared-secret';

/** Token `<userId>.<expiresAtSeconds>.<base64url HMAC-SHA256 of "<userId>.<expiresAtSeconds>">` (as in docs/GAME-API.md). */
const sign = (userId: string, expiresAt: number): string =>
  `${userId}.${expiresAt}.${createHmac('sha256', SECRET).update(`${userId}.${expiresAt}`).digest('base64url')}`;

const authenticate = ({ token }: AuthRequest): AuthResult => {
  const [userId, exp, sig] = token.split('.');
  if (!userId || !exp || !sig) return { ok: false, reason: 'malformed token' };
  const want = createHmac('sha256', SECRET).update(`${userId}.${exp}`).digest();
  const got = Buffer.from(sig, 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return { ok: false, reason: 'bad signature' };
  if (Number(exp) * 1000 < Date.now()) return { ok: false, reason: 'token expired' };
  return { ok: true, identity: userId };
};

let server: RunningServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

describe('authenticate through startServer', () => {
  it('verifies HMAC-signed tokens and counts the outcomes in /metrics', async () => {
    server = await startServer(defineGame({ name: 'auth-game' }), {
      options: testServerOptions('wt-auth-rt-'),
      authenticate,
    });
    const url = `ws://127.0.0.1:${server.port}`;
    const later = Math.floor(Date.now() / 1000) + 3600;
    const ok = await openRaw(url);
    ok.send([1, 1, '1', 'alice', sign('user-42', later), null]);
    await ok.waitFor(16);
    await ok.waitFor(22, (m) => typeof m[1] === 'number' && m[1] > 0); // the start grant
    ok.send([4, 'k1', 'potion', 1, 10]);
    const tx = await ok.waitFor(21);
    expect(tx[2], JSON.stringify(tx)).toBe('ok');
    const coins = Number(tx[8]);
    ok.ws.close();
    await ok.closed;
    // Another token of the same user (a later expiry), no resume token: the same wallet and ledger.
    const again = await openRaw(url);
    again.send([1, 1, '1', 'alice', sign('user-42', later + 60), null]);
    await again.waitFor(16);
    const w = await again.waitFor(22, (m) => typeof m[1] === 'number' && m[1] > 0);
    expect(w[1]).toBe(coins);
    again.send([4, 'k1', 'potion', 1, 10]);
    const replay = await again.waitFor(21);
    expect(replay[10], 'the same key replays: one ledger player').toBe(true);
    expect(replay[8]).toBe(coins);
    for (const token of [`user-42.${later}.forged`, sign('user-42', 1000), 'nonsense']) {
      const bad = await openRaw(url);
      bad.send([1, 1, '1', 'mallory', token, null]);
      expect(await bad.closed).toBe(4017);
      expect(bad.errors()).toEqual(['AUTH_REFUSED']);
    }
    const res = await fetch(`http://127.0.0.1:${server.adminPort}/metrics`, { headers: { authorization: 'Bearer tok' } });
    const text = await res.text();
    expect(text).toMatch(/^worldtick_net_auth_total\{outcome="accepted"\} 2$/m);
    expect(text).toMatch(/^worldtick_net_auth_total\{outcome="refused"\} 3$/m);
    expect(text).toMatch(/^worldtick_net_auth_total\{outcome="timedOut"\} 0$/m);
    again.ws.close();
  });
});
