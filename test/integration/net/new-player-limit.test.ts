/**
 * New players per address (`net.maxNewPlayersPerAddressPerMinute`): real uWS server on 127.0.0.1
 * with a SQLite store, real WebSocket clients. A hello that would create a new player identity
 * past the limit is refused NEW_PLAYER_LIMITED (close 4018, no strike), counted, and writes
 * nothing; returning identities and resumes are not limited; loopback is exempt unless configured.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { playerIdOfToken } from '../../../src/net/durable-sessions.js';
import type { NetConfig } from '../../../src/net/net-config.js';
import { NewPlayerLimiter } from '../../../src/net/new-player-limit.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { openRaw, type RawWs } from '../../fuzz-helpers/raw-ws.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { startTestServer, type TestServer } from './harness.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const WELCOME = 16;

const start = async (net: Partial<NetConfig>): Promise<{ ts: TestServer; store: SqliteStore }> => {
  const dir = tempDataDir('wt-new-players-');
  cleanup.push(() => dir.remove());
  const store = new SqliteStore({ dataDir: dir.dir });
  cleanup.push(() => store.close());
  const ts = await startTestServer({ store, net });
  cleanup.push(() => ts.stop());
  return { ts, store };
};

/** Send a hello; resolves with the socket once it was welcomed or closed. */
const hello = async (url: string, token: string, resume: string | null = null): Promise<{ c: RawWs; welcome: unknown[] | null }> => {
  const c = await openRaw(url);
  c.send([1, 1, 'w1', 'p', token, resume]);
  const welcome = await Promise.race([c.waitFor(WELCOME, undefined, 5000), c.closed.then(() => null)]);
  return { c, welcome };
};

describe('new players per address', () => {
  it('past the limit a new identity is refused NEW_PLAYER_LIMITED (4018), counted, nothing stored; known identities and resumes pass', async () => {
    const { ts, store } = await start({ maxNewPlayersPerAddressPerMinute: 3, newPlayersExemptLoopback: false });
    const welcomed: Array<{ c: RawWs; welcome: unknown[] | null }> = [];
    for (let i = 0; i < 3; i++) welcomed.push(await hello(ts.url, `new-${i}`));
    expect(welcomed.map((w) => w.welcome !== null)).toEqual([true, true, true]);

    const refused = await hello(ts.url, 'new-3');
    expect(refused.welcome).toBeNull();
    expect(await refused.c.closed).toBe(4018);
    expect(refused.c.errors()).toEqual(['NEW_PLAYER_LIMITED']);
    expect(await store.getPlayer(playerIdOfToken('new-3'))).toBeUndefined();
    // No token: a generated identity is new every time, limited as well.
    const anonymous = await hello(ts.url, '');
    expect(await anonymous.c.closed).toBe(4018);
    const st = ts.server.stats();
    expect(st).toMatchObject({ newPlayersRefused: 2, newPlayerAddresses: 1, strikes: 0 });
    expect(st.errorsByCode.NEW_PLAYER_LIMITED).toBe(2);
    expect(st.closesByCode['4018']).toBe(2);

    // A returning identity (a new socket, no resume token) is not new: admitted.
    const back = await hello(ts.url, 'new-1');
    expect(back.welcome).not.toBeNull();
    // A resume of a live session (takeover) is admitted too.
    const first = welcomed[0];
    const rt = String(first?.welcome?.[6]);
    const resumed = await hello(ts.url, 'new-0', rt);
    expect(resumed.welcome?.[9]).toBe(true);
    expect(ts.server.stats().newPlayersRefused).toBe(2);
    for (const w of [...welcomed, back, resumed]) w.c.ws.close();
  });

  it('loopback peers are exempt by default; the limit 0 is off', async () => {
    for (const net of [{ maxNewPlayersPerAddressPerMinute: 2 }, { maxNewPlayersPerAddressPerMinute: 0, newPlayersExemptLoopback: false }]) {
      const { ts } = await start(net);
      const got: Array<{ c: RawWs; welcome: unknown[] | null }> = [];
      for (let i = 0; i < 5; i++) got.push(await hello(ts.url, `x-${i}`));
      expect(got.every((g) => g.welcome !== null)).toBe(true);
      expect(ts.server.stats()).toMatchObject({ newPlayersRefused: 0, newPlayerAddresses: 0 });
      for (const g of got) g.c.ws.close();
    }
  });

  it('the bucket refills over a minute and is dropped once full (wall clock injected)', () => {
    let now = 0;
    const counters = { newPlayersRefused: 0, newPlayerAddresses: 0 };
    const lim = new NewPlayerLimiter(30, true, counters, () => now);
    const key = lim.keyOf('203.0.113.7');
    expect(lim.keyOf('127.0.0.1')).toBe('');
    expect(lim.keyOf('2001:db8:1:2:3:4:5:6')).toBe(lim.keyOf('2001:db8:1:2:ffff::1')); // one /64
    for (let i = 0; i < 30; i++) expect(lim.admit(key)).toBe(true);
    expect(lim.admit(key)).toBe(false);
    now += 2000; // one token per 2 s at 30 per minute
    expect(lim.admit(key)).toBe(true);
    expect(lim.admit(key)).toBe(false);
    expect(counters).toEqual({ newPlayersRefused: 2, newPlayerAddresses: 1 });
    now += 60_000;
    lim.prune();
    expect(lim.addresses).toBe(0);
    expect(counters.newPlayerAddresses).toBe(0);
  });
});
