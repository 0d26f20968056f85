/**
 * `spawn(world, { ..., replicate: false })`: an entity that is world state only (a round's board, a
 * seat) reaches no client — neither in an enter nor in an update frame, whether spawned before the
 * player joined or during play, moving or not — while the replicated entities spawned beside it
 * are seen as before. Before, every spawned entity was replicated (the option was ignored). Real
 * server (startServer), real client.
 */
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { MsgType, WorldtickClient } from '../../../src/client/index.js';
import { defineGame, defineMessage, type RunningServer, spawn, startServer, Type } from '../../../src/index.js';
import { testServerOptions } from '../../helpers/game-server-options.js';

let server: RunningServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

const hidden: number[] = [];
const shown: number[] = [];

const game = defineGame({
  name: 'hidden',
  world: { npcs: 0, physics: 'off', size: 200 },
  hooks: {
    onWorldCreated: (world) => {
      hidden.length = 0;
      shown.length = 0;
      hidden.push(spawn(world, { kind: 3, x: 100, y: 100, replicate: false }));
      hidden.push(spawn(world, { kind: 3, x: 101, y: 100, vx: 1, replicate: false }));
      shown.push(spawn(world, { kind: 4, x: 100, y: 101, vx: 1 }));
    },
    onPlayerJoined: (world, player) => {
      world.stores.Position.x[player] = 100;
      world.stores.Position.y[player] = 100;
    },
  },
  messages: [
    defineMessage({
      name: 'more',
      schema: Type.Object({}),
      apply: (world) => {
        hidden.push(spawn(world, { kind: 5, x: 99, y: 100, vy: 1, replicate: false }));
        shown.push(spawn(world, { kind: 6, x: 99, y: 101, vy: 1, replicate: true }));
      },
    }),
  ],
});

describe('a server-only entity (spawn replicate: false)', () => {
  it('is in no enter or update frame; the entities beside it are replicated as before', async () => {
    server = await startServer(game, { options: testServerOptions('wt-server-only-') });
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket });
    const entered = new Set<number>();
    const updated = new Set<number>();
    c.on((m) => {
      if (m.type !== MsgType.SNAPSHOT) return;
      for (const e of m.enter) entered.add(e[0]);
      for (const u of m.update) updated.add(u[0]);
    });
    await c.connect();
    const { playerId } = await c.join('1', 'p', 'p-token');
    await c.waitFor(() => shown.length === 1 && c.view.entities.has(shown[0] ?? -1), 10_000);
    c.sendMessage('more', {});
    await c.waitFor(() => shown.length === 2 && c.view.entities.has(shown[1] ?? -1), 10_000);
    // Some more frames: the moving entities (hidden ones included) change every step.
    const seen = updated.size;
    await c.waitFor(() => updated.has(shown[1] ?? -1) && updated.size >= seen, 10_000);
    for (let i = 0; i < 5; i++) await c.waitFor((m) => m.type === MsgType.SNAPSHOT, 10_000);
    expect(hidden).toHaveLength(3);
    for (const id of hidden) {
      expect(entered.has(id)).toBe(false);
      expect(updated.has(id)).toBe(false);
    }
    expect([...c.view.entities.keys()].sort((a, b) => a - b)).toEqual([playerId, ...shown].sort((a, b) => a - b));
    expect(c.view.entities.get(shown[0] ?? -1)?.kind).toBe(4);
    expect(c.view.entities.get(shown[1] ?? -1)?.kind).toBe(6);
    expect(updated.has(shown[0] ?? -1)).toBe(true);
    expect(c.view.inconsistencies).toBe(0);
    c.close();
  }, 20_000);
});
