/**
 * A game's message handler that throws is discarded and counted (docs/GAME-API.md `defineMessage`) —
 * and said in the log: a warn line naming the ingest type (`msg:<name>`) and the error with its
 * stack, at most one per world per 10 s with the count in between. Before, the throw was only a
 * counter (`applyErrors` in the admin stats): a studio whose handler had a bug saw its message do
 * nothing, with no line to say why. A throwing `onPlayerJoined` is named (`WT_ERR_GAME_HOOK_FAILED`)
 * and its player still joins. Real server (startServer), real client.
 */
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { WorldtickClient } from '../../../src/client/index.js';
import { defineGame, defineMessage, type RunningServer, startServer, Type } from '../../../src/index.js';
import { testServerOptions } from '../../helpers/game-server-options.js';
import { jsonLogSink } from '../../helpers/log-lines.js';

let server: RunningServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

describe('a throwing message handler', () => {
  it('is logged once per interval with the ingest type and the error', async () => {
    const { lines, logger } = jsonLogSink();
    let applied = 0;
    const game = defineGame({
      name: 'buggy',
      world: { npcs: 0, physics: 'off' },
      messages: [
        defineMessage({
          name: 'boom',
          schema: Type.Object({}),
          apply: () => {
            throw new Error('handler bug 42');
          },
        }),
        defineMessage({ name: 'fine', schema: Type.Object({}), apply: () => void applied++ }),
      ],
    });
    server = await startServer(game, {
      options: { ...testServerOptions('wt-handler-log-'), logLevel: 'warn' },
      logger,
    });
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket });
    await c.connect();
    await c.join('1', 'bug', 'bug-token');
    c.sendMessage('boom', {});
    c.sendMessage('boom', {});
    c.sendMessage('fine', {});
    await c.waitFor(() => lines.some((l) => l.msg?.startsWith('game code threw')) && applied === 1, 10_000);
    const warned = lines.filter((l) => l.msg?.startsWith('game code threw'));
    expect(warned).toHaveLength(1); // two throws, one line (rate-limited)
    expect(warned[0]).toMatchObject({ level: 40, world: '1', type: 'msg:boom', err: { message: 'handler bug 42' } });
    expect(warned[0].err.stack).toContain('handler bug 42');
    c.close();
  }, 20_000);

  it('a throwing onPlayerJoined is named in the line, and the join applies all the same', async () => {
    const { lines, logger } = jsonLogSink();
    const game = defineGame({
      name: 'hooky',
      world: { npcs: 0, physics: 'off' },
      hooks: {
        onPlayerJoined: () => {
          throw new Error('join hook bug');
        },
      },
    });
    server = await startServer(game, { options: { ...testServerOptions('wt-hook-log-'), logLevel: 'warn' }, logger });
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket });
    await c.connect();
    const w = await c.join('1', 'hook', 'hook-token');
    await c.waitFor(() => c.view.entities.has(w.playerId), 10_000); // joined: its own snapshots hold it
    await c.waitFor(() => lines.some((l) => l.msg?.startsWith('game code threw')), 10_000);
    const warned = lines.find((l) => l.msg?.startsWith('game code threw'));
    // It used to say only `type: session` and the bare error, and that "the fact was discarded".
    expect(warned).toMatchObject({
      level: 40,
      type: 'session',
      err: {
        code: 'WT_ERR_GAME_HOOK_FAILED',
        message: "game hooky's onPlayerJoined hook threw for world 1: join hook bug",
        details: { game: 'hooky', hook: 'onPlayerJoined', worldId: '1' },
      },
    });
    expect(warned?.msg).toContain('a join or leave applies all the same');
    c.close();
  }, 20_000);
});
