/**
 * Hostile probe: `X-Forwarded-For` on WebSocket upgrades from a trusted proxy (127.0.0.1 trusted),
 * sent as raw bytes over TCP to a real uWS game server — many header lines, a header far over the
 * 1 KiB looked at, bytes that are not UTF-8, IPv6 zone ids, ports out of
 * range, non-ASCII digits. Asserted: every upgrade that reaches the handler opens (no throw out
 * of it), uWS itself drops a request with more header
 * lines than it parses, and the server keeps serving. (A NUL or control byte in a header makes uWS
 * wait for its HTTP timeout before closing: uWS's parser, before any handler of ours.)
 */
import net from 'node:net';
import type WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GameServer } from '../../../src/net/game-server.js';
import { connectOrRefused } from '../../helpers/ws-upgrade.js';
import { jsonLogSink } from '../../helpers/log-lines.js';

/** Send an upgrade with `xff` (raw bytes, one header line each) and resolve the status code of the answer (0: closed without one). */
const rawUpgrade = (port: number, xff: Buffer[]): Promise<number> =>
  new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = '';
    const timer = setTimeout(() => done(-1), 5000);
    const done = (status: number): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(status);
    };
    sock.on('error', () => done(0));
    sock.on('close', () => done(Number(/^HTTP\/1\.1 (\d{3})/.exec(buf)?.[1] ?? 0)));
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(buf);
      if (m && buf.includes('\r\n\r\n')) done(Number(m[1]));
    });
    const head = Buffer.from(
      'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n',
      'latin1',
    );
    const lines = xff.map((v) => Buffer.concat([Buffer.from('X-Forwarded-For: '), v, Buffer.from('\r\n')]));
    sock.write(Buffer.concat([head, ...lines, Buffer.from('\r\n')]));
  });

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('hostile: X-Forwarded-For from a trusted proxy', () => {
  let s: GameServer;
  const sockets: WebSocket[] = [];
  beforeAll(async () => {
    const { logger } = jsonLogSink();
    s = new GameServer({
      host: '127.0.0.1',
      port: 0,
      logger,
      resolveWorld: () => undefined,
      net: { trustedProxies: ['127.0.0.1', '10.0.0.0/8'], perAddressExemptLoopback: false, maxConnectionsPerAddress: 1000 },
      openFileLimit: null,
    });
    await s.start();
  });
  afterAll(async () => {
    for (const ws of sockets) ws.terminate();
    await s?.stop();
  });

  it('odd, giant and non-UTF-8 headers are answered, never crash the upgrade handler', async () => {
    const cases: Array<[string, Buffer[]]> = [
      ['300 header lines', Array.from({ length: 300 }, (_, i) => b(`10.0.${i >> 8}.${i & 255}`))],
      ['3,000 entries in one line', [b(Array.from({ length: 3000 }, () => '10.1.2.3').join(','))]],
      ['one 4 KiB entry', [b('9'.repeat(4096))]],
      ['not UTF-8', [Buffer.from([0xff, 0xfe, 0x31, 0x2e, 0x32, 0xc0, 0x80])]],
      ['zone ids', [b('fe80::1%eth0, [fe80::2%25eth0]:80')]],
      ['ports out of range', [b('1.2.3.4:9999999, [::1]:-1')]],
      ['non-ASCII digits', [b('١٢٧.٠.٠.١, ２０３.０.１１３.１')]],
      ['only commas and spaces', [b(` ${', '.repeat(600)}`)]],
      ['brackets unbalanced', [b('[[[[::1, ]]]]:80, [')]],
      ['mapped and uppercase', [b('::FFFF:203.0.113.9'), b('2001:DB8::1')]],
      ['empty line', [b('')]],
    ];
    const statuses: string[] = [];
    for (const [what, xff] of cases) statuses.push(`${what}: ${await rawUpgrade(s.port, xff)}`);
    // uWS itself closes a request with more header lines than it parses (no answer: 0); the rest reach the handler and open.
    expect(statuses).toEqual(cases.map(([what]) => `${what}: ${what === '300 header lines' ? 0 : 101}`));
    // Still serving: a plain upgrade opens.
    const ok = await connectOrRefused(`ws://127.0.0.1:${s.port}`, sockets, { 'X-Forwarded-For': '203.0.113.50' });
    expect(ok.open).toBe(true);
    expect(s.stats().rejectedPerAddress).toBe(0);
  });
});
