/**
 * A spectator resumed after a server restart (its session record in the durable store, the world
 * restored from its checkpoint; docs/PROTOCOL.md "Player identity and restarts") is a spectator
 * again: its class is applied at every join, a resume included. A player next to it never sees
 * it; its own view holds itself and the player. Real servers (startServer twice on one data
 * directory, SQLite), real clients. (The checkpoint's own copy of the tag: test/unit/persist/
 * spectator-checkpoint.test.ts.)
 */
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/index.js';
import type { SnapshotMsg } from '../../../src/net/protocol.js';
import { defineGame, isSpectator, startServer, type RunningServer } from '../../../src/index.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const game = defineGame({
  name: 'restart-watch',
  world: { size: 200, npcs: 0, physics: 'on' },
  hooks: {
    onPlayerJoined: (world, player, { resumed }) => {
      if (resumed) return;
      world.stores.Position.x[player] = 100 + (player % 7);
      world.stores.Position.y[player] = 100;
    },
  },
});

const data = tempDataDir('wt-spect-restart-');
afterAll(() => data.remove());

const start = (): Promise<RunningServer> =>
  startServer(game, { options: { dataDir: data.dir, port: 0, adminPort: 0, logLevel: 'silent', statsIntervalSeconds: 0 } });

const connect = async (server: RunningServer, token: string, resume: string | null = null) => {
  const c = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
  const entered: number[] = [];
  c.on((m) => {
    if (m.type === 17) for (const e of (m as SnapshotMsg).enter) entered.push(e[0]);
  });
  await c.connect();
  const w = await c.join('1', token.slice(0, 8), token, resume);
  return { c, w, entered };
};

describe('a spectator resumed after a restart', () => {
  it('is a camera again: the player next to it never sees it', async () => {
    let server = await start();
    let specId = -1,
      resumeToken = '';
    try {
      const spec = await connect(server, 'spectator:r');
      specId = spec.w.playerId;
      resumeToken = spec.w.resumeToken;
      expect(isSpectator(server.world, specId)).toBe(true);
      await spec.c.waitFor(() => spec.c.view.entities.has(specId));
      spec.c.close();
      await spec.c.closed();
    } finally {
      await server.stop();
    }
    server = await start();
    try {
      const world = server.world;
      const bob = await connect(server, 'bob');
      const bobId = bob.w.playerId;
      const spec = await connect(server, 'spectator:r', resumeToken);
      expect(spec.w.resumed).toBe(true);
      specId = spec.w.playerId; // the entity id may differ after a restart
      await spec.c.waitFor(() => spec.c.view.entities.has(specId) && spec.c.view.entities.has(bobId));
      await bob.c.waitForStep(world.clock.step + 5);
      expect(bob.entered).not.toContain(specId);
      expect(isSpectator(world, specId)).toBe(true);
      bob.c.close();
      spec.c.close();
    } finally {
      await server.stop();
    }
  }, 20_000);
});
