/**
 * Connection limits: an upgrade over the cap gets a clear HTTP 503 (not a stalled accept), and
 * the cap is lowered at start to fit the process's open-file limit (with a logged warning).
 */
import type WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { connectionCap, parseOpenFileLimit, readOpenFileLimit } from '../../../src/net/fd-limit.js';
import { GameServer } from '../../../src/net/game-server.js';
import { connectOrRefused, type UpgradeOutcome } from '../../helpers/ws-upgrade.js';
import { jsonLogSink } from '../../helpers/log-lines.js';

let server: GameServer | null = null;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await server?.stop();
  server = null;
});

const connect = (url: string): Promise<UpgradeOutcome> => connectOrRefused(url, sockets);
const logSink = jsonLogSink;

describe('connection limits', () => {
  it('an upgrade over maxConnections is refused with HTTP 503 "server full", counted and logged', async () => {
    const { lines, logger } = logSink();
    server = new GameServer({
      host: '127.0.0.1',
      port: 0,
      logger,
      resolveWorld: () => undefined,
      net: { maxConnections: 2 },
      openFileLimit: null,
    });
    await server.start();
    const url = `ws://127.0.0.1:${server.port}`;
    expect(await connect(url)).toMatchObject({ open: true });
    expect(await connect(url)).toMatchObject({ open: true });
    expect(await connect(url)).toEqual({ open: false, status: 503, body: 'server full', retryAfter: '5' });
    expect(server.stats()).toMatchObject({ connections: 2, rejectedConnections: 1, maxConnections: 2 });
    expect(lines.some((l) => l.msg === 'game server full: upgrade refused with 503' && l.rejectedConnections === 1)).toBe(true);
  });

  it('maxConnections is capped below the open-file limit at start, with a warning', async () => {
    const { lines, logger } = logSink();
    server = new GameServer({ host: '127.0.0.1', port: 0, logger, resolveWorld: () => undefined, openFileLimit: { soft: 70, hard: 70 } });
    await server.start();
    // 70 descriptors − a reserve of 64 = 6 sockets; the default 20,000 would stall at accept().
    expect(server.maxConnections).toBe(6);
    const warn = lines.find((l) => String(l.msg).startsWith('net.maxConnections lowered'));
    expect(warn).toMatchObject({ level: 40, maxConnections: 20_000, effective: 6, openFilesSoft: 70, openFilesHard: 70 });
    const url = `ws://127.0.0.1:${server.port}`;
    for (let i = 0; i < 6; i++) expect(await connect(url)).toMatchObject({ open: true });
    expect(await connect(url)).toMatchObject({ open: false, status: 503 });
  });

  it('a cap at most 10 % below the configured maximum (the reserve of a limit equal to it) is logged at info, not warn', async () => {
    const { lines, logger } = logSink('info');
    server = new GameServer({
      host: '127.0.0.1',
      port: 0,
      logger,
      resolveWorld: () => undefined,
      openFileLimit: { soft: 20_000, hard: 20_000 },
    });
    await server.start();
    expect(server.maxConnections).toBe(19_000);
    const line = lines.find((l) => String(l.msg).startsWith('net.maxConnections lowered'));
    expect(line).toMatchObject({ level: 30, maxConnections: 20_000, effective: 19_000 });
  });

  it('reads the limit from /proc/self/limits and computes the cap', () => {
    const text =
      'Limit                     Soft Limit           Hard Limit           Units     \nMax open files            20000                20000                files     \n';
    expect(parseOpenFileLimit(text)).toEqual({ soft: 20000, hard: 20000 });
    expect(parseOpenFileLimit('Max open files            unlimited            unlimited            files')).toEqual({
      soft: Infinity,
      hard: Infinity,
    });
    expect(parseOpenFileLimit('nothing here')).toBeNull();
    expect(connectionCap(20_000, { soft: 20_000, hard: 20_000 })).toEqual({ max: 19_000, capped: true, reserve: 1000 });
    expect(connectionCap(500, { soft: 20_000, hard: 20_000 })).toMatchObject({ max: 500, capped: false });
    expect(connectionCap(500, null)).toMatchObject({ max: 500, capped: false });
    const own = readOpenFileLimit();
    if (own) expect(own.soft).toBeGreaterThan(0); // Linux: the real value of this process
  });
});
