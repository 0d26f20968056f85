/**
 * `net.trustedProxies` over real sockets: a real uWS server on 127.0.0.1 port 0 and real WebSocket
 * clients sending `X-Forwarded-For` on the upgrade. With 127.0.0.1 trusted, each forwarded address
 * is limited on its own (per-address sockets, new players) and is what `authenticate` sees; from a
 * peer that is not trusted the header is ignored; a header naming only trusted proxies, or garbage,
 * falls back to the peer. Loopback exemption is off so that 127.0.0.1 itself is counted.
 */
import type WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { GameServer } from '../../../src/net/game-server.js';
import type { AuthRequest } from '../../../src/net/hello-auth.js';
import type { NetConfig } from '../../../src/net/net-config.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { openRaw, type RawWs } from '../../fuzz-helpers/raw-ws.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { connectOrRefused } from '../../helpers/ws-upgrade.js';
import { jsonLogSink } from '../../helpers/log-lines.js';
import { startTestServer } from './harness.js';

const cleanup: Array<() => Promise<void> | void> = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  for (const c of cleanup.splice(0).reverse()) await c();
});

const WELCOME = 16;
const REFUSED = { open: false, status: 429, body: 'too many connections from this address', retryAfter: '5' };
const NO_LOOPBACK_EXEMPTION = { perAddressExemptLoopback: false, newPlayersExemptLoopback: false };

const start = async (net: Partial<NetConfig>) => {
  const { lines, logger } = jsonLogSink();
  const s = new GameServer({
    host: '127.0.0.1',
    port: 0,
    logger,
    resolveWorld: () => undefined,
    net: { ...NO_LOOPBACK_EXEMPTION, ...net },
    openFileLimit: null,
  });
  await s.start();
  cleanup.push(() => s.stop());
  return { s, url: `ws://127.0.0.1:${s.port}`, lines };
};

/** Open (true) or refused 429 (the outcome), with `xff` as the upgrade's X-Forwarded-For (none when undefined). */
const open = async (url: string, xff?: string | string[]) => {
  const r = await connectOrRefused(url, sockets, xff === undefined ? undefined : { 'X-Forwarded-For': xff });
  return r.open ? true : r;
};

describe('trusted proxies: per-address connection limit', () => {
  it('127.0.0.1 trusted: each forwarded address is counted on its own; no header counts under the proxy', async () => {
    const { s, url, lines } = await start({ maxConnectionsPerAddress: 2, trustedProxies: ['127.0.0.1'] });
    expect(await open(url, '203.0.113.1')).toBe(true);
    expect(await open(url, '198.51.100.200, 203.0.113.1')).toBe(true); // the client's own claim on the left is not believed
    expect(await open(url, '203.0.113.1')).toEqual(REFUSED);
    // Another forwarded address still gets in, IPv6 counted by its /64.
    expect(await open(url, '203.0.113.2')).toBe(true);
    expect(await open(url, '2001:db8:1:2::5')).toBe(true);
    expect(await open(url, '[2001:db8:1:2::6]:4711')).toBe(true);
    expect(await open(url, '2001:db8:1:2:ffff::7')).toEqual(REFUSED);
    // No header, an empty one: the proxy's own address (127.0.0.1).
    expect(await open(url)).toBe(true);
    expect(await open(url, '')).toBe(true);
    expect(await open(url)).toEqual(REFUSED);
    expect(s.stats()).toMatchObject({ connections: 7, rejectedPerAddress: 3, limitedAddresses: 4 });
    const logged = lines.find((l) => l.msg === 'too many connections from one address: upgrade refused with 429');
    expect(logged).toMatchObject({ rejectedPerAddress: 1, address: '203.0.113.1', proxy: '127.0.0.1' });
    expect(logged?.hint).toBeUndefined();
  });

  it('the peer is not a trusted proxy: its X-Forwarded-For is ignored (every socket counts under 127.0.0.1)', async () => {
    const { s, url, lines } = await start({ maxConnectionsPerAddress: 2, trustedProxies: ['10.0.0.0/8', '::ffff:192.0.2.0/120'] });
    expect(await open(url, '203.0.113.1')).toBe(true);
    expect(await open(url, '203.0.113.2')).toBe(true);
    expect(await open(url, '203.0.113.3')).toEqual(REFUSED);
    expect(s.stats()).toMatchObject({ connections: 2, rejectedPerAddress: 1, limitedAddresses: 1 });
    const logged = lines.find((l) => l.msg === 'too many connections from one address: upgrade refused with 429');
    expect(logged).toMatchObject({ address: '127.0.0.1' });
    expect(String(logged?.hint)).toMatch(/net\.trustedProxies/);
  });

  it('spoofing: a header naming only trusted proxies, or garbage, falls back to the peer; a second header line is read too', async () => {
    const { s, url } = await start({ maxConnectionsPerAddress: 1, trustedProxies: ['127.0.0.0/8', '::1'] });
    expect(await open(url, 'not-an-address')).toBe(true); // counted under 127.0.0.1
    expect(await open(url, '127.0.0.1')).toEqual(REFUSED); // a trusted proxy's address: skipped, then the peer
    expect(await open(url, '127.0.0.9, ::1')).toEqual(REFUSED);
    expect(await open(url, '203.0.113.9, garbage')).toEqual(REFUSED); // the entry reached is no address
    expect(await open(url, `${'x'.repeat(3000)}`)).toEqual(REFUSED);
    expect(await open(url, '203.0.113.9, 127.0.0.5')).toBe(true); // the client behind a chain of trusted proxies
    // A proxy that adds its own header line after the client's: the rightmost line decides.
    expect(await open(url, ['203.0.113.9', '203.0.113.10'])).toBe(true);
    expect(await open(url, ['203.0.113.10', '203.0.113.9'])).toEqual(REFUSED);
    expect(s.stats()).toMatchObject({ connections: 3, rejectedPerAddress: 5, limitedAddresses: 3 });
  });
});

describe('trusted proxies: authenticate and new players', () => {
  const startWithStore = async (net: Partial<NetConfig>, seen: AuthRequest[]) => {
    const dir = tempDataDir('wt-proxy-');
    cleanup.push(() => dir.remove());
    const store = new SqliteStore({ dataDir: dir.dir });
    cleanup.push(() => store.close());
    const ts = await startTestServer({
      store,
      net: { ...NO_LOOPBACK_EXEMPTION, ...net },
      hooks: {
        authenticate: (req) => {
          seen.push(req);
          return { ok: true, identity: req.token };
        },
      },
    });
    cleanup.push(() => ts.stop());
    return ts;
  };

  const hello = async (url: string, token: string, xff: string): Promise<{ c: RawWs; welcome: unknown[] | null }> => {
    const c = await openRaw(url, { 'X-Forwarded-For': xff });
    cleanup.push(() => c.ws.terminate());
    c.send([1, 1, 'w1', 'p', token, null]);
    const welcome = await Promise.race([c.waitFor(WELCOME, undefined, 5000), c.closed.then(() => null)]);
    return { c, welcome };
  };

  it('authenticate sees the forwarded address; new players are limited per forwarded address', async () => {
    const seen: AuthRequest[] = [];
    const ts = await startWithStore({ trustedProxies: ['127.0.0.1'], maxNewPlayersPerAddressPerMinute: 1 }, seen);
    expect((await hello(ts.url, 'a1', '203.0.113.1')).welcome).not.toBeNull();
    const second = await hello(ts.url, 'a2', '203.0.113.1');
    expect(await second.c.closed).toBe(4018); // that address's one new player this minute is used
    expect((await hello(ts.url, 'b1', '2001:DB8:0:0:0:0:0:42')).welcome).not.toBeNull(); // another address still gets one
    expect(seen.map((r) => [r.token, r.remoteAddress])).toEqual([
      ['a1', '203.0.113.1'],
      ['a2', '203.0.113.1'],
      ['b1', '2001:db8::42'],
    ]);
    expect(ts.server.stats()).toMatchObject({ newPlayersRefused: 1, newPlayerAddresses: 2 });
  });

  it('without trusted proxies authenticate sees the peer and every new player counts under it', async () => {
    const seen: AuthRequest[] = [];
    const ts = await startWithStore({ maxNewPlayersPerAddressPerMinute: 1 }, seen);
    expect((await hello(ts.url, 'a1', '203.0.113.1')).welcome).not.toBeNull();
    const second = await hello(ts.url, 'b1', '203.0.113.2');
    expect(await second.c.closed).toBe(4018);
    expect(seen.map((r) => r.remoteAddress)).toEqual(['127.0.0.1', '127.0.0.1']);
    expect(ts.server.stats()).toMatchObject({ newPlayersRefused: 1, newPlayerAddresses: 1 });
  });
});

describe('trusted proxies: configuration', () => {
  it('a bad entry refuses the server with WT_ERR_OPTION_INVALID naming each problem', async () => {
    await expect(start({ trustedProxies: ['10.0.0.0/8', 'proxy.internal', '10.0.0.0/40'] })).rejects.toMatchObject({
      code: 'WT_ERR_OPTION_INVALID',
      details: {
        problems: [
          'net.trustedProxies[1] must be an IPv4/IPv6 address or CIDR prefix such as 10.0.0.0/8 (got "proxy.internal")',
          'net.trustedProxies[2] must be an IPv4/IPv6 address or CIDR prefix such as 10.0.0.0/8 (got "10.0.0.0/40")',
        ],
      },
    });
  });
});
