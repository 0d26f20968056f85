/**
 * Per-address connection limit (`net.maxConnectionsPerAddress`): real uWS server on 127.0.0.1,
 * real WebSocket clients. Over the limit an upgrade is refused with HTTP 429, counted and logged;
 * a closed socket frees its slot (whatever closed it, also a client that drops the TCP connection
 * right after its upgrade request); the per-address map empties when every socket has closed.
 */
import { connect as tcpConnect } from 'node:net';
import type WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { GameServer } from '../../../src/net/game-server.js';
import { connectOrRefused, type UpgradeOutcome } from '../../helpers/ws-upgrade.js';
import { jsonLogSink } from '../../helpers/log-lines.js';
import type { NetConfig } from '../../../src/net/net-config.js';

let server: GameServer | null = null;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await server?.stop();
  server = null;
});

const connect = (url: string): Promise<UpgradeOutcome> => connectOrRefused(url, sockets);
const logSink = jsonLogSink;

const start = async (net: Partial<NetConfig>) => {
  const { lines, logger } = logSink();
  server = new GameServer({ host: '127.0.0.1', port: 0, logger, resolveWorld: () => undefined, net, openFileLimit: null });
  await server.start();
  return { s: server, url: `ws://127.0.0.1:${server.port}`, lines };
};

/** Wait (bounded) until `pred` holds. */
const until = async (pred: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 500; i++) {
    if (pred()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
};

const REFUSED = { open: false, status: 429, body: 'too many connections from this address', retryAfter: '5' };

describe('per-address connection limit', () => {
  it('a 4th socket from 127.0.0.1 over a limit of 3 is refused 429, counted, logged; a closed socket frees its slot', async () => {
    const { s, url, lines } = await start({ maxConnectionsPerAddress: 3, perAddressExemptLoopback: false });
    const open: WebSocket[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await connect(url);
      expect(r.open).toBe(true);
      if (r.open) open.push(r.ws);
    }
    expect(await connect(url)).toEqual(REFUSED);
    expect(s.stats()).toMatchObject({ connections: 3, rejectedPerAddress: 1, rejectedConnections: 0, limitedAddresses: 1 });
    expect(
      lines.some(
        (l) =>
          l.msg === 'too many connections from one address: upgrade refused with 429' &&
          l.rejectedPerAddress === 1 &&
          /maxConnectionsPerAddress to 0/.test(String(l.hint)),
      ),
    ).toBe(true);
    // A client-side close frees one slot: the next socket opens, the one after is refused again.
    open.shift()?.close();
    await until(() => s.stats().connections === 2, 'the close');
    const again = await connect(url);
    expect(again.open).toBe(true);
    if (again.open) open.push(again.ws);
    expect(await connect(url)).toEqual(REFUSED);
    expect(s.stats()).toMatchObject({ connections: 3, rejectedPerAddress: 2 });
    // Every socket closed (one by the client dropping TCP): the map is empty.
    open.shift()?.terminate();
    for (const ws of open) ws.close();
    await until(() => s.stats().connections === 0, 'all closes');
    expect(s.stats().limitedAddresses).toBe(0);
  });

  it('sockets dropped right after the upgrade request and sockets the server closes leave the count exact', async () => {
    const { s, url } = await start({ maxConnectionsPerAddress: 3, perAddressExemptLoopback: false });
    const request = (): string =>
      `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    // Half drop the TCP connection as soon as the 101 arrives (no close frame), half half-close it
    // right after the request (the server may see the FIN before or after it opens the socket).
    await Promise.all(
      Array.from(
        { length: 20 },
        (_, i) =>
          new Promise<void>((resolve) => {
            const c = tcpConnect(s.port, '127.0.0.1', () => {
              c.write(request());
              if (i % 2 === 1) c.end();
            });
            c.on('data', () => c.destroy());
            c.on('close', () => resolve());
            c.on('error', () => resolve());
          }),
      ),
    );
    await until(() => s.stats().connections === 0, 'the dropped sockets to close');
    // The dropped sockets filled the limit (the rest were refused 429) and all closed again.
    expect(s.stats().connectionsTotal).toBeGreaterThanOrEqual(3);
    expect(s.stats().connectionsTotal + s.stats().rejectedPerAddress).toBeGreaterThanOrEqual(10);
    expect(s.stats().limitedAddresses).toBe(0);
    for (let i = 0; i < 3; i++) expect((await connect(url)).open).toBe(true);
    expect(await connect(url)).toEqual(REFUSED);
    // The server stopping closes them all: the map empties.
    await s.stop();
    await until(() => s.stats().connections === 0, 'the server closes');
    expect(s.stats().limitedAddresses).toBe(0);
  });

  it('0 = no limit: nothing is counted or refused', async () => {
    const { s, url } = await start({ maxConnectionsPerAddress: 0, perAddressExemptLoopback: false });
    for (let i = 0; i < 8; i++) expect((await connect(url)).open).toBe(true);
    expect(s.stats()).toMatchObject({ connections: 8, rejectedPerAddress: 0, limitedAddresses: 0 });
  });

  it('loopback peers are exempt by default', async () => {
    const { s, url } = await start({ maxConnectionsPerAddress: 2 });
    expect(s.config.perAddressExemptLoopback).toBe(true);
    for (let i = 0; i < 5; i++) expect((await connect(url)).open).toBe(true);
    expect(s.stats()).toMatchObject({ connections: 5, rejectedPerAddress: 0, limitedAddresses: 0 });
  });
});
