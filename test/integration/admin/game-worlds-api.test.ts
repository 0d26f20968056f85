/**
 * The in-process worlds API (docs/GAME-API.md "Creating and ending worlds"), end to end: a real
 * server, real WebSocket clients. A lobby world queues players; when two queued, its message
 * handler (inside a step) creates a match world with `serverWorlds(world).create`, tells both
 * players its id with a server message; they join it with the same token; the match's `round-end`
 * timer (inside a step) deletes it with `serverWorlds(world).delete`; the clients are closed 4012
 * and join the lobby again. Then the errors: each is the admin route's own (same code, same
 * details), and a call with no running server behind it is refused.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { CloseCode, type WorldtickError } from '../../../src/errors.js';
import {
  createGameWorld,
  defineGame,
  defineMessage,
  defineServerMessage,
  query,
  sendToPlayer,
  serverWorlds,
  setWorldTimer,
  startServer,
  Type,
  type RunningServer,
} from '../../../src/index.js';
import { tempDataDir } from '../../helpers/data-dir.js';

const Ws = WebSocket as unknown as WebSocketCtor;

/** What the game saw, for the assertions (a test's game may keep it outside the world). */
const seen = {
  /** For each match world built, whether it was built inside the lobby's message handler (deferred: false). */
  builtInHandler: [] as boolean[],
  created: [] as string[],
  deleted: [] as Array<{ deleted: string; durable: boolean }>,
  failures: [] as unknown[],
};

const matchStart = defineServerMessage({ name: 'match', schema: Type.Object({ id: Type.String() }), maxBytes: 128 });

/** Players waiting in the lobby (per lobby world). */
const queues = new Map<string, number[]>();
let matches = 0;
let inHandler = false;

const queue = defineMessage({
  name: 'queue',
  schema: Type.Object({}),
  apply: (lobby, player) => {
    const q = queues.get(lobby.id) ?? [];
    queues.set(lobby.id, q);
    if (!q.includes(player)) q.push(player);
    if (q.length < 2) return;
    const players = q.splice(0, 2);
    const id = `m-${++matches}`;
    // Inside the step (a message handler): the create runs after it.
    inHandler = true;
    const created = serverWorlds(lobby).create({ id, capacity: 100 });
    inHandler = false;
    created.then(
      (w) => {
        seen.created.push(w.id);
        for (const p of players) sendToPlayer(lobby, p, matchStart, { id: w.id });
      },
      (err: unknown) => seen.failures.push(err),
    );
  },
});

const game = defineGame({
  name: 'lobby-and-matches',
  // timeScale 60 (a game's default is 1): the match's 30 world seconds last about half a wall second.
  world: { size: 100, config: { simulation: { timeScale: 60 } } },
  messages: [queue],
  serverMessages: [matchStart],
  // The match ends on world time (30 world seconds at timeScale 60: about half a wall second).
  timers: [
    {
      name: 'round-end',
      run: (w) => {
        serverWorlds(w)
          .delete(w.id)
          .then(
            (r) => seen.deleted.push(r),
            (err: unknown) => seen.failures.push(err),
          );
      },
    },
  ],
  hooks: {
    onWorldCreated: (w) => {
      if (w.id === 'boom') throw new Error('the game refused this world');
      if (w.id.startsWith('m-')) seen.builtInHandler.push(inHandler);
    },
    onPlayerJoined: (w, _p, { resumed }) => {
      if (resumed || !w.id.startsWith('m-')) return;
      if (query(w, [w.stores.Player]).length === 2) setWorldTimer(w, 30, 'round-end', null);
    },
  },
});

/** Wait for a client's next `match` message. */
const nextMatch = (c: WorldtickClient): Promise<string> =>
  new Promise((resolve) => {
    const off = c.onMessage<{ id: string }>('match', (p) => {
      off();
      resolve(p.id);
    });
  });

describe('a lobby creates a match world, the players join it, the game ends it (in process)', () => {
  let server: RunningServer;
  let dir: { dir: string; remove(): void };
  beforeAll(async () => {
    dir = tempDataDir('wt-worlds-api-');
    server = await startServer(game, {
      options: { port: 0, adminPort: 0, logLevel: 'silent', dataDir: dir.dir, npcs: 0, statsIntervalSeconds: 0, maxWorlds: 3 },
    });
  });
  afterAll(async () => {
    await server?.stop();
    dir?.remove();
  });

  it('queue → create → join by id → timer deletes it → closed 4012 → back to the lobby', async () => {
    const url = `ws://127.0.0.1:${server.port}`;
    const ann = new WorldtickClient({ url, WebSocket: Ws });
    const bob = new WorldtickClient({ url, WebSocket: Ws });
    await ann.connect();
    await bob.connect();
    await ann.join('1', 'ann', 'ann-token');
    await bob.join('1', 'bob', 'bob-token');
    const told = [nextMatch(ann), nextMatch(bob)];
    ann.sendMessage('queue', {});
    bob.sendMessage('queue', {});
    const [idA, idB] = await Promise.all(told);
    expect(idA).toBe('m-1');
    expect(idB).toBe('m-1');
    expect(seen.builtInHandler).toEqual([false]); // deferred out of the lobby's step
    expect(seen.created).toEqual(['m-1']);
    // The same world the admin API created: listed over HTTP, its record durable in the store.
    const listed = (await (
      await fetch(`http://127.0.0.1:${server.adminPort}/api/v1/worlds`, { headers: { authorization: `Bearer ${server.adminToken}` } })
    ).json()) as { worlds: Array<{ id: string }> };
    expect(listed.worlds.map((w) => w.id).sort()).toEqual(['1', 'm-1']);
    expect(await server.runtime.store.getWorldConfig('m-1')).toBeDefined();

    // Leave the lobby, join the match with the same token.
    for (const [c, name] of [
      [ann, 'ann'],
      [bob, 'bob'],
    ] as const) {
      c.close();
      await c.closed();
      await c.connect();
      await c.join(idA, name, `${name}-token`);
    }
    // The round-end timer deletes the world: every wait rejects, closed 4012.
    const ends = await Promise.all(
      [ann, bob].map((c) =>
        c
          .waitFor(() => false, 20_000)
          .then(
            () => null,
            (e: WorldtickError) => e,
          ),
      ),
    );
    for (const e of ends) {
      expect(e?.code).toBe('WT_ERR_CLIENT_CLOSED');
      expect(e?.details).toMatchObject({ closeCode: CloseCode.WORLD_CLOSED });
    }
    for (let i = 0; i < 200 && seen.deleted.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(seen.deleted).toEqual([{ deleted: 'm-1', durable: true }]);
    expect(seen.failures).toEqual([]);
    expect(server.runtime.runner.has('m-1')).toBe(false);
    expect(await server.runtime.store.getWorldConfig('m-1')).toBeUndefined();
    // Back to the lobby.
    for (const [c, name] of [
      [ann, 'ann'],
      [bob, 'bob'],
    ] as const) {
      await c.connect();
      expect((await c.join('1', name, `${name}-token`)).playerId).toBeGreaterThanOrEqual(0);
      c.close();
    }
  });

  it('refuses what the admin route refuses, with the same codes', async () => {
    const worlds = server.worlds;
    const code = (p: Promise<unknown>) =>
      p.then(
        () => null,
        (e: WorldtickError) => ({ code: e.code, details: e.details, message: e.message }),
      );
    // Bad body: every problem listed, nothing created.
    const bad = await code(worlds.create({ id: 'bad id!', capacity: 0, config: { simulation: { timeScale: -1 } } }));
    expect(bad?.code).toBe('WT_ERR_ADMIN_BAD_REQUEST');
    expect((bad?.details as { problems?: string[] } | undefined)?.problems?.length ?? 0).toBeGreaterThanOrEqual(3);
    expect((await code(worlds.create({ id: 'x', nope: 1 } as never)))?.code).toBe('WT_ERR_ADMIN_BAD_REQUEST');
    // Not JSON data, an unknown placement: refused before anything runs.
    expect((await code(worlds.create({ id: 'big', capacity: 10n } as never)))?.code).toBe('WT_ERR_ADMIN_BAD_REQUEST');
    expect((await code(worlds.create({ id: 'p', capacity: 10 }, { placement: 'far' as never })))?.code).toBe('WT_ERR_ADMIN_BAD_REQUEST');
    // The game's own hook throws: rejects with its error, nothing kept.
    await expect(worlds.create({ id: 'boom', capacity: 10 })).rejects.toThrow('the game refused this world');
    expect(server.runtime.runner.has('boom')).toBe(false);
    // Duplicate id.
    expect((await worlds.create({ id: 'dup', capacity: 10 })).id).toBe('dup');
    expect((await code(worlds.create({ id: 'dup', capacity: 10 })))?.code).toBe('WT_ERR_WORLD_EXISTS');
    // A world created over HTTP is the same kind of world: its id is taken for the in-process door too.
    const http = await fetch(`http://127.0.0.1:${server.adminPort}/api/v1/worlds`, {
      method: 'POST',
      body: JSON.stringify({ id: 'via-http', capacity: 10 }),
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
    });
    expect(http.status).toBe(201);
    expect((await code(worlds.create({ id: 'via-http', capacity: 10 })))?.code).toBe('WT_ERR_WORLD_EXISTS');
    // --max-worlds (3 here, the default world included).
    const full = await code(worlds.create({ id: 'fourth', capacity: 10 }));
    expect(full).toMatchObject({ code: 'WT_ERR_ADMIN_CONFLICT', details: { maxWorlds: 3 } });
    // The refusal names what to raise: the flag, its environment variable and config key.
    expect(full?.message).toMatch(/at most 3 worlds may run.*--max-worlds.*WORLDTICK_MAX_WORLDS.*maxWorlds/);
    // Delete: unknown id, the default world; then a real one (made over HTTP) frees its place.
    expect((await code(worlds.delete('nope')))?.code).toBe('WT_ERR_WORLD_NOT_FOUND');
    expect((await code(worlds.delete('1')))?.code).toBe('WT_ERR_ADMIN_CONFLICT');
    expect(await worlds.delete('via-http')).toEqual({ deleted: 'via-http', durable: true });
    expect((await worlds.list()).map((w) => w.id).sort()).toEqual(['1', 'dup']);
    expect(await worlds.delete('dup')).toEqual({ deleted: 'dup', durable: true });
    expect(seen.failures).toEqual([]);
  });

  it('a world no server serves, and a stopped server, refuse with WT_ERR_SERVER_NOT_RUNNING', async () => {
    const alone = createGameWorld(game, { id: 'alone' });
    expect(() => serverWorlds(alone)).toThrow(expect.objectContaining({ code: 'WT_ERR_SERVER_NOT_RUNNING' }));
    const lobby = server.world;
    await server.stop();
    // The stopped server's worlds are destroyed: no API behind them any more.
    expect(() => serverWorlds(lobby)).toThrow(expect.objectContaining({ code: 'WT_ERR_SERVER_NOT_RUNNING' }));
    await expect(server.worlds.delete('1')).rejects.toMatchObject({ code: 'WT_ERR_SERVER_NOT_RUNNING' });
  });
});
