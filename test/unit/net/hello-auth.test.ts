/**
 * The authenticate hook's parts (src/net/hello-auth.ts): the refusal message a client may see, the
 * `net.authTimeoutMs` option, failures logged once per kind, and the durable resume by identity
 * after a restart (a real SQLite store; two DurableSessions are two processes).
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { WireErrorCodeValue } from '../../../src/errors.js';
import { createLogger } from '../../../src/log.js';
import { DurableSessions, playerIdOfIdentity, playerIdOfToken } from '../../../src/net/durable-sessions.js';
import { createAuthStats, HelloAuthenticator, refusalMessage, type AuthenticateHook } from '../../../src/net/hello-auth.js';
import { resolveNetConfig } from '../../../src/net/net-config.js';
import type { HelloMsg } from '../../../src/net/protocol.js';
import { createConn } from '../../../src/net/session.js';
import { openStore } from '../../../src/store/open-store.js';
import type { Store } from '../../../src/store/types.js';
import { tempDataDir } from '../../helpers/data-dir.js';

let store: Store | null = null;
afterEach(async () => {
  await store?.close();
  store = null;
});

const hello = (token: string): HelloMsg => ({ type: 1, version: 1, worldId: 'w1', name: 'n', token, resumeToken: null, ticket: null });

describe('authenticate hook: parts', () => {
  it('a refusal reason reaches the client only when short, printable and free of the token', () => {
    expect(refusalMessage('expired session', 'tok123')).toBe('authentication refused: expired session');
    expect(refusalMessage(undefined, 'tok123')).toBe('authentication refused');
    expect(refusalMessage('', 'tok123')).toBe('authentication refused');
    expect(refusalMessage('x'.repeat(65), 'tok123')).toBe('authentication refused');
    expect(refusalMessage('line\nbreak', 'tok123')).toBe('authentication refused');
    expect(refusalMessage('caf\u00e9', 'tok123')).toBe('authentication refused');
    expect(refusalMessage('bad token tok123', 'tok123')).toBe('authentication refused');
    expect(refusalMessage(42, '')).toBe('authentication refused');
  });

  it('net.authTimeoutMs defaults to 5000 and is validated like the other net options', () => {
    expect(resolveNetConfig().authTimeoutMs).toBe(5000);
    expect(resolveNetConfig({ authTimeoutMs: 50 }).authTimeoutMs).toBe(50);
    expect(() => resolveNetConfig({ authTimeoutMs: 0 })).toThrow(/authTimeoutMs/);
    expect(() => resolveNetConfig({ authTimeoutMs: 'soon' as unknown as number })).toThrow(/authTimeoutMs/);
  });

  it('the no-hook player id is unchanged; an identity has its own namespace', () => {
    expect(playerIdOfToken('abc')).toBe('t:ba7816bf8f01cfea414140de5dae2223');
    expect(playerIdOfIdentity('abc')).toBe('a:ba7816bf8f01cfea414140de5dae2223');
  });

  it('a failing hook is answered UNAVAILABLE every time but logged once per kind', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const replies: Array<[WireErrorCodeValue, number | undefined]> = [];
    const hook: AuthenticateHook = (req) => {
      if (req.token === 'throw') throw new Error('down');
      if (req.token === 'bad') return { ok: true, identity: 'x'.repeat(129) };
      return Promise.reject(new Error('down'));
    };
    const auth = new HelloAuthenticator(
      hook,
      resolveNetConfig(),
      createLogger('info', sink),
      createAuthStats(),
      { reply: (_c, code, _m, _s, close) => replies.push([code, close]) },
      () => {},
      () => {},
    );
    const accepted: unknown[] = [];
    for (let i = 0; i < 3; i++)
      for (const t of ['throw', 'bad', 'reject']) auth.run(createConn(i + 1, 0, 10), hello(t), (id) => accepted.push(id));
    await new Promise((r) => setTimeout(r, 20));
    expect(accepted).toEqual([]);
    expect(replies.length).toBe(9);
    expect(replies.every(([code, close]) => code === 'UNAVAILABLE' && close === 1013)).toBe(true);
    expect(auth.stats).toMatchObject({ failed: 9, pending: 0 });
    expect(lines.length).toBe(3);
    expect(lines.join('')).not.toContain('"token"');
  });

  it('after a restart a resume token resumes the same identity under a rotated token, never another identity', async () => {
    store = await openStore({ dataDir: tempDataDir('wt-auth-resume-').dir });
    const alice = playerIdOfIdentity('alice');
    const before = new DurableSessions(
      store,
      () => 30,
      () => {},
    );
    const first = await before.resolve('w1', 'alice', 'alice-token-v1', null, 1, 2, alice);
    expect(first.playerId).toBe(alice);
    // A new process (another boot): the record was live at shutdown, resumable for the grace.
    const after = new DurableSessions(
      store,
      () => 30,
      () => {},
    );
    const mallory = await after.resolve('w1', 'm', 'mallory-token', first.resumeToken, 5, 5, playerIdOfIdentity('mallory'));
    expect(mallory.resumed).toBe(false);
    expect(mallory.refused).toBe('resume token belongs to another player');
    expect(mallory.playerId).toBe(playerIdOfIdentity('mallory'));
    const back = await after.resolve('w1', 'alice', 'alice-token-v2', first.resumeToken, 5, 5, alice);
    expect(back).toMatchObject({ resumed: true, playerId: alice, resumeToken: first.resumeToken, x: 1, y: 2 });
  });
});
