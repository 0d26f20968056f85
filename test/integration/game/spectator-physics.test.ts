/**
 * With physics on, a spectator's entity is no body: a player walks straight through the point a
 * spectator watches from — neither is pushed — and the spectator still moves its camera by input.
 * The run is recorded, and the replay (whose join facts carry the session class) reproduces every
 * state hash: a replay that made the spectator a body again would collide and diverge.
 * Real server (startServer, physics on), real WebSocket clients.
 */
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/index.js';
import { defineGame, isSpectator, startServer } from '../../../src/index.js';
import { readLog } from '../../../src/replay/log-format.js';
import { replayLog } from '../../../src/replay/replayer.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const game = defineGame({
  name: 'walk-through',
  world: { size: 200, npcs: 0, physics: 'on', config: { simulation: { timeScale: 1 } } },
  hooks: {
    // The player starts 3 units west of the spectator, on the same line.
    onPlayerJoined: (world, player, { resumed, sessionClass }) => {
      if (resumed) return;
      world.stores.Position.x[player] = sessionClass === 'spectator' ? 103 : 100;
      world.stores.Position.y[player] = 100;
    },
  },
});

const data = tempDataDir('wt-spect-phys-');
afterAll(() => data.remove());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('a spectator is no physics body', () => {
  it('a player walks through the spectator, nobody is pushed; the replay matches', async () => {
    const logPath = join(data.dir, 'walk.wtlog');
    const server = await startServer(game, {
      options: { port: 0, adminPort: 0, logLevel: 'silent', dataDir: join(data.dir, 'data'), record: logPath, recordHashEvery: 2 },
    });
    try {
      const connect = async (token: string) => {
        const c = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
        await c.connect();
        return { c, id: (await c.join('1', token.slice(0, 8), token)).playerId };
      };
      const alice = await connect('alice');
      const spec = await connect('spectator:1');
      const world = server.world;
      const { x: px, y: py } = world.stores.Position;
      expect(isSpectator(world, spec.id)).toBe(true);
      await spec.c.waitFor(() => spec.c.view.entities.has(spec.id));
      alice.c.sendInput(1, 0); // east, through (103, 100)
      let passed = false;
      for (let i = 0; i < 200 && !passed; i++) {
        await sleep(10);
        // Never pushed: the spectator stays where it was put, the player on its line.
        expect([px[spec.id], py[spec.id]]).toEqual([103, 100]);
        expect(py[alice.id]).toBe(100);
        passed = px[alice.id] > 106;
      }
      expect(passed).toBe(true);
      alice.c.sendInput(0, 0);
      // The camera moves by its own input (north), through nothing, still not pushed sideways.
      spec.c.sendInput(0, 1);
      for (let i = 0; i < 200 && !(py[spec.id] > 101); i++) await sleep(10);
      expect(py[spec.id]).toBeGreaterThan(101);
      expect(px[spec.id]).toBe(103);
      spec.c.sendInput(0, 0);
      await spec.c.waitForStep(world.clock.step + 4);
      alice.c.close();
      spec.c.close();
    } finally {
      await server.stop();
    }
    const res = await replayLog(readLog(logPath), undefined, { game });
    expect(res.failure).toBeNull();
    expect(res.checks.length).toBeGreaterThan(4);
    expect(res.checks.every((c) => c.ok)).toBe(true);
  }, 20_000);
});
