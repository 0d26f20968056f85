/**
 * `gameLog(world)`: game code (a hook, a message handler) logs through the server's logger — JSON
 * lines bound with `{ world, game }` at the server's level — and a handler logging in a tight loop
 * is held to the world's budget: the rest dropped, counted in /metrics, and said in one warn line
 * before the next line written. A level the server does not write counts nowhere. A world no server
 * serves gets a silent logger. A line over GAME_LOG_MAX_LINE_BYTES is written cut with a marker and
 * counted `truncated`. Before, game code had only `console.log` (no export). Real server
 * (startServer), real client.
 */
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { WorldtickClient } from '../../../src/client/index.js';
import {
  createGameWorld,
  defineGame,
  defineMessage,
  GAME_LOG_MAX_LINE_BYTES,
  gameLog,
  type RunningServer,
  startServer,
  Type,
} from '../../../src/index.js';
import { testServerOptions } from '../../helpers/game-server-options.js';
import { jsonLogSink } from '../../helpers/log-lines.js';

let server: RunningServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

const FLOOD = 1000;

const game = defineGame({
  name: 'chatty',
  world: { npcs: 0, physics: 'off' },
  hooks: { onPlayerJoined: (world, player) => gameLog(world).info({ player }, 'chatty: joined') },
  messages: [
    defineMessage({
      name: 'flood',
      schema: Type.Object({}),
      apply: (world) => {
        const log = gameLog(world);
        for (let i = 0; i < FLOOD; i++) {
          log.debug({ i }, 'chatty: debug'); // below the server's level: free
          log.info({ i }, 'chatty: flood');
        }
      },
    }),
    defineMessage({
      name: 'huge',
      schema: Type.Object({}),
      apply: (world, player) => gameLog(world).warn({ player, blob: 'b'.repeat(100_000) }, `chatty: huge ${'m'.repeat(20_000)}`),
    }),
    defineMessage({
      name: 'once',
      schema: Type.Object({}),
      apply: (world) => gameLog(world).warn({ code: 'TX_KEY_CONFLICT' }, 'chatty: once'),
    }),
  ],
});

const metric = async (adminPort: number, outcome: string): Promise<number> => {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`, { headers: { authorization: 'Bearer tok' } })).text();
  const m = new RegExp(`^worldtick_game_log_lines_total\\{world="1",outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : -1;
};

describe('gameLog(world)', () => {
  it('writes bound lines through the server logger, and drops and counts a flood over the budget', async () => {
    const { lines, logger } = jsonLogSink('info');
    server = await startServer(game, { options: { ...testServerOptions('wt-game-log-'), logLevel: 'info' }, logger });
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket });
    await c.connect();
    await c.join('1', 'p', 'p-token');
    await c.waitFor(() => lines.some((l) => l.msg === 'chatty: joined'), 10_000);
    expect(lines.find((l) => l.msg === 'chatty: joined')).toMatchObject({ level: 30, world: '1', game: 'chatty', name: 'worldtick' });

    c.sendMessage('flood', {});
    await c.waitFor(() => lines.some((l) => l.msg === 'chatty: flood'), 10_000);
    const flooded = lines.filter((l) => l.msg === 'chatty: flood');
    expect(flooded.length).toBeGreaterThan(0);
    expect(flooded.length).toBeLessThan(FLOOD); // held to the world's budget, not a line per call
    expect(flooded[0]).toMatchObject({ world: '1', game: 'chatty', i: 0 });
    expect(lines.some((l) => l.msg === 'chatty: debug')).toBe(false);
    const written = await metric(server.adminPort, 'written');
    const dropped = await metric(server.adminPort, 'dropped');
    expect(written).toBe(flooded.length + 1); // + the join line
    expect(written + dropped).toBe(FLOOD + 1); // debug lines count in neither

    // Once the budget refills, the next line is preceded by one line saying how many were dropped.
    const seen = (): boolean => lines.some((l) => l.msg === 'chatty: once');
    while (!seen()) {
      c.sendMessage('once', {});
      await c.waitFor(() => seen(), 200).catch(() => undefined);
    }
    const notice = lines.filter((l) => l.msg === 'game log: lines dropped by the rate limit');
    expect(notice.length).toBeGreaterThanOrEqual(1);
    expect(notice[0]).toMatchObject({ level: 40, world: '1', game: 'chatty' });
    const once = lines.findIndex((l) => l.msg === 'chatty: once');
    expect(lines.indexOf(notice[0] as Record<string, unknown>)).toBeLessThan(once);
    // Every drop is reported before the next line written (the budget may refill mid-flood: several notices).
    const reported = notice.filter((l) => lines.indexOf(l) < once).reduce((n, l) => n + (l.dropped as number), 0);
    expect(reported).toBeGreaterThanOrEqual(dropped); // the flood's, and any 'once' over the budget before it
    expect(lines[once]).toMatchObject({ level: 40, world: '1', game: 'chatty', code: 'TX_KEY_CONFLICT' });
    c.close();
  }, 20_000);

  it('writes a line over GAME_LOG_MAX_LINE_BYTES cut, with its marker, counted truncated', async () => {
    const { lines, logger } = jsonLogSink('info');
    server = await startServer(game, { options: { ...testServerOptions('wt-game-log-'), logLevel: 'info' }, logger });
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket });
    await c.connect();
    await c.join('1', 'p', 'p-token');
    c.sendMessage('huge', {});
    await c.waitFor(() => lines.some((l) => String(l.msg).startsWith('chatty: huge')), 10_000);
    const line = lines.find((l) => String(l.msg).startsWith('chatty: huge')) ?? {};
    expect(line).toMatchObject({ level: 40, world: '1', game: 'chatty', logTruncated: { dropped: 1, fields: ['blob'] } });
    expect(typeof line.player).toBe('number');
    expect(String(line.msg).endsWith('… [truncated]')).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(line))).toBeLessThan(GAME_LOG_MAX_LINE_BYTES + 512);
    expect(await metric(server.adminPort, 'truncated')).toBe(1);
    expect(await metric(server.adminPort, 'written')).toBe(1); // the join line
    c.close();
  }, 20_000);

  it('is silent in a world no server serves', () => {
    const world = createGameWorld(game, { id: 'alone' });
    const log = gameLog(world);
    expect(log.isLevelEnabled('error')).toBe(false);
    expect(() => log.error({ err: new Error('x') }, 'nowhere')).not.toThrow();
  });
});
