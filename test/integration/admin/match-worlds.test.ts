/**
 * The match pattern (docs/ADMIN.md "Short-lived worlds"): a world per match, created, played and
 * deleted, many times in one process. What a deleted world leaves behind, read from outside: the
 * store (its record and checkpoints), `/api/v1/cluster/load`, `/metrics`, the lists.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { CloseCode, type WorldtickError } from '../../../src/errors.js';
import { defineGame, grantPlayerReward, playerIdOf, query, setWorldTimer, startServer, type RunningServer } from '../../../src/index.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { call, sleep, type Started, useRuntime } from './harness.js';

/**
 * Wait until `f` is true (a bounded poll, not a timing assertion: it ends when `f` holds). 20 s: the 4 s this had was a
 * timing threshold a stress run crossed (the created world's first checkpoint not read back within it).
 */
const until = async (f: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> => {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(25)) if (await f()) return;
  throw new Error('condition not reached');
};

const load = async (s: Started, id: string): Promise<number | undefined> =>
  ((await call(s.base, 'GET', '/api/v1/cluster/load')).json.worlds as Array<{ worldId: string; load: number }>).find(
    (w) => w.worldId === id,
  )?.load;

describe('short-lived worlds: create, play, delete, again', () => {
  // Control ticks every 0.5 s: the load meter samples often enough to see a world's load.
  const s = useRuntime(['--npcs', '0', '--lease-ttl', '1.5']);

  it('deletes the world record and its checkpoints from the store', async () => {
    expect((await call(s.base, 'POST', '/api/v1/worlds', { body: { id: 'match-a', npcs: 10, capacity: 100 } })).status).toBe(201);
    await until(async () => (await s.runtime.store.loadCheckpoint('match-a')) !== undefined);
    expect((await call(s.base, 'DELETE', '/api/v1/worlds/match-a')).status).toBe(200);
    await until(async () => (await s.runtime.store.getWorldConfig('match-a')) === undefined);
    expect(await s.runtime.store.loadCheckpoint('match-a')).toBeUndefined();
  });

  it('measures a world created again under a deleted id afresh (no load of the deleted one)', async () => {
    expect((await call(s.base, 'POST', '/api/v1/worlds', { body: { id: 'match-b', npcs: 300, capacity: 400 } })).status).toBe(201);
    await until(async () => ((await load(s, 'match-b')) ?? 0) > 0);
    expect((await call(s.base, 'DELETE', '/api/v1/worlds/match-b')).status).toBe(200);
    // Paused: the new world never steps, so nothing of its own is ever measured.
    const body = { id: 'match-b', npcs: 0, capacity: 100, config: { simulation: { pauseSimulation: true } } };
    expect((await call(s.base, 'POST', '/api/v1/worlds', { body })).status).toBe(201);
    expect(await load(s, 'match-b')).toBe(0);
    expect((await call(s.base, 'DELETE', '/api/v1/worlds/match-b')).status).toBe(200);
  });
});

describe('a game that ends its own match world (docs/ADMIN.md "Short-lived worlds")', () => {
  const paid: Array<Promise<{ status: string; replayed: boolean }>> = [];
  let server: RunningServer;
  let dir: { dir: string; remove(): void };
  const admin = (method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(`http://127.0.0.1:${server.adminPort}/api/v1${path}`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
  const game = defineGame({
    name: 'match',
    // timeScale 60 (a game's default is 1): the 30 world-second round below lasts half a wall second.
    world: { size: 100, config: { simulation: { timeScale: 60 } } },
    // The match ends on world time: the game deletes its world through the admin API (after the step).
    timers: [{ name: 'round-end', run: (w) => void admin('DELETE', `/worlds/${w.id}`) }],
    hooks: {
      onPlayerJoined: (w, _p, { resumed }) => {
        if (!resumed && w.id !== '1') setWorldTimer(w, 30, 'round-end', null);
      },
      onWorldDeleted: (w) => {
        const players = query(w, [w.stores.Player]);
        for (let i = 0; i < players.length; i++) paid.push(grantPlayerReward(w, playerIdOf(w, players[i])!, { key: 'played', coins: 3 }));
      },
    },
  });
  beforeAll(async () => {
    dir = tempDataDir('wt-match-');
    server = await startServer(game, {
      options: { port: 0, adminPort: 0, logLevel: 'silent', dataDir: dir.dir, npcs: 0, statsIntervalSeconds: 0 },
    });
  });
  afterAll(async () => {
    await server?.stop();
    dir?.remove();
  });

  it('closes the players with 4012, pays out in onWorldDeleted, and leaves nothing of the world behind', async () => {
    expect((await admin('POST', '/worlds', { id: 'm-1', capacity: 50 })).status).toBe(201);
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
    await c.connect();
    await c.join('m-1', 'ann', 'ann-token');
    // 30 world seconds at timeScale 60: about half a wall second.
    const err = await c
      .waitFor(() => false, 20_000)
      .then(
        () => null,
        (e: WorldtickError) => e,
      );
    expect(err?.code).toBe('WT_ERR_CLIENT_CLOSED');
    expect(err?.details).toMatchObject({ closeCode: CloseCode.WORLD_CLOSED });
    expect(await Promise.all(paid)).toMatchObject([{ status: 'ok', replayed: false }]);
    // Nothing of m-1 in the lists, the game server's stats or /metrics.
    const worlds = (await (await admin('GET', '/worlds')).json()) as { worlds: Array<{ id: string }> };
    expect(worlds.worlds.map((w) => w.id)).toEqual(['1']);
    expect(server.runtime.gameServer.stats().worlds['m-1']).toBeUndefined();
    expect(
      await (
        await fetch(`http://127.0.0.1:${server.adminPort}/metrics`, { headers: { authorization: `Bearer ${server.adminToken}` } })
      ).text(),
    ).not.toContain('world="m-1"');
    // The player's wallet, in the lobby: the match's payout is there.
    const lobby = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
    await lobby.connect();
    await lobby.join('1', 'ann', 'ann-token');
    const buy = await lobby.purchase('after-match', 'arrow', 1, 1);
    expect(buy).toMatchObject({ status: 'ok', coins: server.runtime.options.startingCoins + 3 - 1 });
    lobby.close();
  });

  it('a purchase sent as its world is deleted is charged once: the same key in the lobby answers it', async () => {
    expect((await admin('POST', '/worlds', { id: 'm-2', capacity: 50 })).status).toBe(201);
    const c = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
    await c.connect();
    await c.join('m-2', 'bob', 'bob-token');
    const first = c.purchase('potion-1', 'potion', 1, 10).catch((e: WorldtickError) => e.code);
    await admin('DELETE', '/worlds/m-2');
    const answer = await first; // committed and answered, or the socket closed (4012) first
    if (typeof answer === 'string') expect(answer).toBe('WT_ERR_CLIENT_CLOSED');
    const lobby = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
    await lobby.connect();
    await lobby.join('1', 'bob', 'bob-token');
    const again = await lobby.purchase('potion-1', 'potion', 1, 10);
    // Charged once (10), and paid once by m-2's onWorldDeleted (3).
    expect(again).toMatchObject({ status: 'ok', coins: server.runtime.options.startingCoins + 3 - 10, items: { potion: 1 } });
    lobby.close();
  });
});

describe('--max-worlds: how many worlds one process runs at once', () => {
  const s = useRuntime(['--npcs', '0', '--max-worlds', '3']);

  it('refuses a create past it with 409 (the default world counts), and a deleted world frees its place', async () => {
    const create = (id: string) => call(s.base, 'POST', '/api/v1/worlds', { body: { id, capacity: 50 } });
    expect((await create('m-1')).status).toBe(201);
    expect((await create('m-2')).status).toBe(201);
    const full = await create('m-3');
    expect(full.status).toBe(409);
    expect(full.json).toMatchObject({ code: 'WT_ERR_ADMIN_CONFLICT', details: { maxWorlds: 3 } });
    expect((await call(s.base, 'DELETE', '/api/v1/worlds/m-1')).status).toBe(200);
    expect((await create('m-3')).status).toBe(201);
  });
});
