import { playerRow } from '../../../components/player-table.js';
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { CloseCode } from '../../../src/errors.js';
import { call, sleep, type Started, useRuntime } from './harness.js';

const client = (s: Started): WorldtickClient =>
  new WorldtickClient({ url: `ws://127.0.0.1:${s.runtime.gameServer.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });

const createArena = async (s: Started, npcs: number): Promise<void> => {
  const r = await call(s.base, 'POST', '/api/v1/worlds', { body: { id: 'arena', npcs, capacity: 100 } });
  expect(r.status).toBe(201);
};

describe('deleting a world ends its game sessions', () => {
  const s = useRuntime();

  it('closes live sessions with 4012, forgets parked players, and a recreated world does not resume them', async () => {
    await createArena(s, 0);
    const parkedClient = client(s);
    await parkedClient.connect();
    const w1 = await parkedClient.join('arena', 'parked');
    parkedClient.close();
    await parkedClient.closed();
    const live = client(s);
    await live.connect();
    await live.join('arena', 'live');
    await sleep(100);
    expect(s.runtime.gameServer.stats().worlds.arena).toMatchObject({ sessions: 1, parked: 1 });

    expect((await call(s.base, 'DELETE', '/api/v1/worlds/arena')).status).toBe(200);
    await live.closed();
    expect(live.closeCode).toBe(CloseCode.WORLD_CLOSED);
    // Nothing of the deleted world is retained by the game server.
    expect(s.runtime.gameServer.stats().worlds.arena).toBeUndefined();
    expect(s.runtime.gameServer.stats().sessions).toBe(0);

    // Same id, new world with NPCs in the old player's entity slot: the old token must not resume.
    await createArena(s, 20);
    const again = client(s);
    await again.connect();
    const w2 = await again.join('arena', 'again', '', w1.resumeToken);
    expect(w2.resumed).toBe(false);
    expect(w2.resumeToken).not.toBe(w1.resumeToken);
    const arena = s.runtime.runner.get('arena');
    expect(arena.stores.Player.session[playerRow(arena.stores, w2.playerId)]).toBeGreaterThan(0);
    expect(s.runtime.gameServer.stats().worlds.arena).toMatchObject({ sessions: 1, parked: 0 });
    again.close();
  });
});
