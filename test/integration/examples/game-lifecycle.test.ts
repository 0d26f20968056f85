/**
 * A game's lifecycle hooks through a real server: the default world and a world created by the
 * admin API are worlds of the game (populate + onWorldCreated); a client joining and leaving
 * fires onPlayerJoined / onPlayerLeft (parked) in the step; deleting the world fires
 * onWorldDeleted once; stopping the server fires it for the remaining worlds.
 */
import { testServerOptions } from '../../helpers/game-server-options.js';
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/index.js';
import { defineGame, defineMessage, query, spawn, startServer, Type } from '../../../src/index.js';

/** Poll `pred` every 20 ms for at most 5 s (steps run on the server's loop, on wall time). */
const eventually = async (pred: () => boolean): Promise<void> => {
  const deadline = Date.now() + 5000;
  while (!pred() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
};

describe('game lifecycle hooks over a real server', () => {
  it('populate, created, joined, left, deleted', async () => {
    const log: string[] = [];
    const game = defineGame({
      name: 'hooks',
      world: { npcs: 2 },
      // A binary payload is applied a step later: it must be a copy, not a view of the socket's buffer.
      messages: [
        defineMessage({
          name: 'blob',
          schema: Type.Uint8Array({ maxByteLength: 64 }),
          apply: (_w, _p, bytes) => {
            log.push(`blob ${[...bytes].join(',')}`);
          },
        }),
      ],
      hooks: {
        populate: (w, { npcs }) => {
          for (let i = 0; i < npcs; i++) spawn(w, { kind: 9, x: 5, y: 5 });
          log.push(`populate ${w.id} ${npcs}`);
        },
        onWorldCreated: (w) => log.push(`created ${w.id}`),
        onWorldDeleted: (w) => log.push(`deleted ${w.id}`),
        onPlayerJoined: (w, p, { resumed }) => log.push(`joined ${w.id} ${p} ${resumed}`),
        onPlayerLeft: (w, p, { parked }) => log.push(`left ${w.id} ${p} ${parked}`),
      },
    });
    const server = await startServer(game, {
      options: testServerOptions(),
    });
    expect(log).toEqual(['populate 1 2', 'created 1']);
    const admin = `http://127.0.0.1:${server.adminPort}/api/v1/worlds`;
    const headers = { authorization: 'Bearer tok', 'content-type': 'application/json' };
    const res = await fetch(admin, { method: 'POST', headers, body: JSON.stringify({ id: 'w2', capacity: 100, npcs: 3 }) });
    expect(res.status).toBe(201);
    const w2 = server.runtime.runner.get('w2');
    expect(w2.game?.name).toBe('hooks');
    expect(query(w2, [w2.stores.Npc]).length).toBe(3);
    expect(log.slice(2)).toEqual(['populate w2 3', 'created w2']);

    const c = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
    await c.connect();
    const welcome = await c.join('w2', 'alice');
    expect(log).toContain(`joined w2 ${welcome.playerId} false`);
    c.sendMessage('blob', new Uint8Array([7, 8, 9]));
    await eventually(() => log.includes('blob 7,8,9'));
    expect(c.errors).toEqual([]);
    expect(log).toContain('blob 7,8,9');
    c.close();
    await c.closed();
    await eventually(() => log.includes(`left w2 ${welcome.playerId} true`));
    expect(log).toContain(`left w2 ${welcome.playerId} true`);

    expect((await fetch(`${admin}/w2`, { method: 'DELETE', headers })).status).toBeLessThan(300);
    expect(log.filter((l) => l.startsWith('deleted'))).toEqual(['deleted w2']);
    await server.stop();
    expect(log.filter((l) => l.startsWith('deleted'))).toEqual(['deleted w2', 'deleted 1']);
  });
});
