/**
 * A server frame the client library does not understand — a snapshot whose `enter` is not a list of
 * rows, a region frame holding a null entity, a negative `maxEntities` — is ignored and counted
 * (`stats.ignoredFrames`); the frames after it apply. Before, the view code threw out of the socket's
 * message handler: an uncaught exception, which ends a Node process (a bot run, a game's test harness).
 * The server here is a plain `ws` server sending those frames (worldtick's own never sends them), on
 * 127.0.0.1, to a real client; test/unit/fuzz/client-frames-fuzz.test.ts fuzzes the same path.
 */
import { pack } from 'msgpackr';
import WebSocket, { WebSocketServer } from 'ws';
import { describe, expect, it } from 'vitest';
import { runFleet } from '../../../src/bots/bot-fleet.js';
import { WorldtickClient } from '../../../src/client/index.js';

describe('server frames the client does not understand', () => {
  it('are ignored and counted; the frames after them apply', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    const sent = new Promise<void>((resolve) =>
      wss.on('connection', (s) => {
        s.send(pack([16, 1, 7, 20, 0, 0, 'resume', 16, 100, false, [0, 0, 1000, 1000]]));
        s.send(pack([17, 1, 0, 0, 0, 5, [], []])); // enter: a number
        s.send(pack([17, 1, 0, 0, 0, [[7, 16, 16, 1, 0]], [null], []])); // an update that is no row
        s.send(pack([24, 1, 0, 0, [], 0, 10, 10, [null, [7, 16, 16, 1, 0]]])); // a null entity
        s.send(pack([24, 1, 0, 0, [], 0, 10, -1, [[7, 16, 16, 1, 0]]])); // maxEntities -1
        s.send(pack([17, 2, 0.05, 0, 0, [[7, 160, 320, 1, 0]], [], []]), () => resolve());
      }),
    );
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`, WebSocket: WebSocket as never });
    try {
      await c.connect();
      await sent;
      for (let i = 0; i < 100 && c.stats.messagesIn < 6; i++) await new Promise((r) => setTimeout(r, 10));
      expect(c.stats).toMatchObject({ messagesIn: 6, ignoredFrames: 4 });
      expect(c.view.entities.get(7)).toMatchObject({ x: 10, y: 20 });
      expect(c.view.step).toBe(2);
    } finally {
      c.close();
      await new Promise((r) => wss.close(r));
    }
  });
});

describe('server frames the load-test bots cannot read', () => {
  it('are counted in the fleet report (`ignoredFrames`), full clients and light bots alike', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    const timers: NodeJS.Timeout[] = [];
    wss.on('connection', (s) => {
      s.once('message', () => {
        // The hello: a welcome, a snapshot whose `enter` is a number, a frame that is not msgpack, then good snapshots.
        s.send(pack([16, 1, 7, 20, 0, 0, 'resume', 16, 100, false, [0, 0, 1000, 1000]]));
        s.send(pack([17, 1, 0, 0, 0, 5, [], []]));
        s.send(Buffer.from([0x93, 0x01])); // an array of three, cut after one
        let step = 2;
        timers.push(setInterval(() => s.readyState === WebSocket.OPEN && s.send(pack([17, step++, 0.05, 0, 0, [], [], []])), 20));
      });
    });
    try {
      const url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}`;
      const report = await runFleet({
        url,
        worldId: 'w1',
        clients: 2,
        fullDecodeEvery: 2,
        durationSeconds: 0.3,
        warmupSeconds: 0,
        inputHz: 0,
      });
      expect(report).toMatchObject({ connected: 2, fullDecodeClients: 1, lightClients: 1, inconsistencies: 0 });
      expect(report.snapshots).toBeGreaterThan(0);
      // The full client ignores both frames; the light bot reads only snapshot heads, so it ignores the one that is not msgpack.
      expect(report.ignoredFrames).toBe(3);
    } finally {
      for (const t of timers) clearInterval(t);
      await new Promise((r) => wss.close(r));
    }
  });
});
