/**
 * `hasComponent` takes the built-in stores as `query` does: `hasComponent(world, target,
 * world.stores.Player)` answers whether a client-sent id is a player (a hit message goes to the
 * player it hit, not to an NPC). Before, a built-in store was answered false for every entity.
 * Real server (startServer), real clients over WebSocket.
 */
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/index.js';
import {
  defineGame,
  defineMessage,
  defineServerMessage,
  hasComponent,
  sendToPlayer,
  spawn,
  startServer,
  Type,
  type RunningServer,
} from '../../../src/index.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const hit = defineServerMessage({ name: 'hit', schema: Type.Object({ by: Type.Integer() }), maxBytes: 64 });
const result = defineServerMessage({
  name: 'result',
  schema: Type.Object({ target: Type.Integer(), player: Type.Boolean() }),
  maxBytes: 64,
});
const shoot = defineMessage({
  name: 'shoot',
  schema: Type.Object({ target: Type.Integer({ minimum: 1 }) }),
  apply: (world, shooter, { target }) => {
    const isPlayer = hasComponent(world, target, world.stores.Player);
    if (isPlayer) sendToPlayer(world, target, hit, { by: shooter });
    sendToPlayer(world, shooter, result, { target, player: isPlayer });
  },
});
let npc = 0;
const game = defineGame({
  name: 'hits',
  world: { size: 100, npcs: 0, physics: 'off' },
  messages: [shoot],
  serverMessages: [hit, result],
  hooks: {
    populate: (world) => {
      npc = spawn(world, { kind: 1, x: 50, y: 50 });
    },
  },
});

describe('hasComponent with a built-in store', () => {
  let server: RunningServer | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it('tells a player from an NPC and from a dead id', async () => {
    server = await startServer(game, {
      options: { dataDir: tempDataDir().dir, host: '127.0.0.1', port: 0, adminPort: 0, logLevel: 'silent', statsIntervalSeconds: 0 },
    });
    const client = async (name: string): Promise<{ c: WorldtickClient; id: number }> => {
      const c = new WorldtickClient({ url: `ws://127.0.0.1:${server?.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
      await c.connect();
      return { c, id: (await c.join('1', name, name)).playerId };
    };
    const a = await client('a');
    const b = await client('b');
    const results: Array<{ target: number; player: boolean }> = [];
    const hits: Array<{ by: number }> = [];
    a.c.onMessage<{ target: number; player: boolean }>('result', (m) => results.push(m));
    b.c.onMessage<{ by: number }>('hit', (m) => hits.push(m));
    a.c.sendMessage('shoot', { target: b.id });
    a.c.sendMessage('shoot', { target: npc });
    a.c.sendMessage('shoot', { target: 60_000 });
    await a.c.waitFor(() => results.length >= 3, 5000);
    expect(results).toEqual([
      { target: b.id, player: true },
      { target: npc, player: false },
      { target: 60_000, player: false },
    ]);
    await b.c.waitFor(() => hits.length >= 1, 5000);
    expect(hits).toEqual([{ by: a.id }]);
    a.c.close();
    b.c.close();
  });
});
