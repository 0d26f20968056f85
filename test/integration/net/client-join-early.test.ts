/**
 * `WorldtickClient.join` and messages sent before the welcome: a game message sent right after the
 * hello is answered NOT_JOINED (docs/PROTOCOL.md "Game messages": no strike), and the join goes on.
 * Before, join() took that error frame as the hello's refusal and rejected although the server
 * joined the player (found writing examples/ctf's client).
 */
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { WireErrorCode, WorldtickClient, type WebSocketCtor } from '../../../src/client/index.js';
import { defineGame, defineMessage, startServer, Type, type RunningServer } from '../../../src/index.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const ping = defineMessage({ name: 'poke', schema: Type.Object({}), apply: () => {} });

describe('join with a game message sent before the welcome', () => {
  const dir = tempDataDir('wt-join-early-');
  let server: RunningServer | undefined;
  afterAll(async () => {
    await server?.stop();
    dir.remove();
  });

  it('resolves with the welcome; the early message got NOT_JOINED without a strike', async () => {
    server = await startServer(defineGame({ name: 'early', messages: [ping] }), {
      options: {
        dataDir: dir.dir,
        port: 0,
        adminPort: 0,
        adminToken: 'join-early-admin-token',
        logLevel: 'silent',
        statsIntervalSeconds: 0,
      },
    });
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
    await c.connect();
    const joined = c.join('1', 'eve', 'eve');
    c.sendMessage('poke', {}); // before the welcome
    const w = await joined;
    expect(w.playerId).toBeGreaterThan(0);
    expect(c.errors.map((e) => e.code)).toEqual([WireErrorCode.NOT_JOINED]);
    expect(server.runtime.gameServer.stats().strikes).toBe(0);
    c.close();
  });
});
