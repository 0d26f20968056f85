/**
 * Fuzz: the game API's functions called on a running server's world (startServer, a real SQLite
 * store, three named players joined over real WebSockets), as test/unit/fuzz/game-api-fuzz.test.ts
 * calls them on a world of its own — but here purchases, rewards and player data reach a real ledger
 * and store, `kickPlayer` closes real sessions, server messages go out on real sockets. Each call
 * returns, or throws or rejects with a `WT_ERR_` code; a refused call and a read leave the world's state
 * hash as it was (the world is paused and stepped by the fuzz); afterwards the server still serves: a
 * player joins and buys, the world is not faulted, and the ledger verifies (every wallet matches it).
 * Also called: the in-process worlds API (`serverWorlds(world).create/delete/list`); it found `create`'s
 * options given as null read as an object (a TypeError), now `WT_ERR_ADMIN_BAD_REQUEST`.
 */
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/index.js';
import { pauseWorld, query, resumeWorld, type RunningServer, serverWorlds, spawn, startServer } from '../../../src/index.js';
import { type Ctx, fuzzCalls, game } from '../../fuzz-helpers/game-api.js';
import { fuzzScale, fuzzSeed, withSeed, fuzzTimeout } from '../../fuzz-helpers/rng.js';
import { testServerOptions } from '../../helpers/game-server-options.js';

const CALLS = Math.round(1500 * fuzzScale());

let server: RunningServer | null = null;
const clients: WorldtickClient[] = [];
afterAll(async () => {
  for (const c of clients) c.close();
  await server?.stop();
});

const join = async (s: RunningServer, name: string): Promise<WorldtickClient> => {
  const c = new WorldtickClient({ url: `ws://127.0.0.1:${s.port}`, WebSocket: WebSocket as unknown as WebSocketCtor });
  clients.push(c);
  await c.connect();
  await c.join('1', name, `${name}-token`);
  return c;
};

const admin = async (s: RunningServer, path: string) => {
  const r = await fetch(`http://127.0.0.1:${s.adminPort}${path}`, { headers: { authorization: `Bearer ${s.adminToken}` } });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
};

describe('fuzz: the game API on a running server', () => {
  it(`${CALLS} calls with a real ledger, store and sessions: coded or accepted, refusals change nothing, the server serves on`, {
    timeout: fuzzTimeout(120_000),
  }, async () => {
    const s = await startServer(game, { options: testServerOptions('wt-api-server-fuzz-') });
    server = s;
    for (const name of ['alice', 'bob', 'carol']) await join(s, name);
    const world = s.world;
    await expect.poll(() => [...query(world, [world.stores.Player])].length, { timeout: 10_000 }).toBe(3);
    pauseWorld(world);
    const c: Ctx = { world, eids: [], players: [...query(world, [world.stores.Player])] };
    for (let i = 0; i < 8; i++) c.eids.push(spawn(world, { kind: i % 3, x: 50 * i, y: 50 }));
    // Found by it (stop 66): options null read `placement` of null, a TypeError; refused with a code now, nothing created.
    await expect(serverWorlds(world).create({ id: 'kb' }, null as never)).rejects.toMatchObject({ code: 'WT_ERR_ADMIN_BAD_REQUEST' });
    expect((await serverWorlds(world).list()).map((w) => w.id)).toEqual(['1']);
    await withSeed('game-api-server', fuzzSeed(2026_12_07), (rng, at) => fuzzCalls(rng, at, c, CALLS, new Set(['kickPlayer'])));
    resumeWorld(world);

    // The server serves on: a new player joins and buys once, the world is not faulted, the ledger verifies.
    const dave = await join(s, 'dave');
    expect(await dave.purchase('after-fuzz', 'sword', 1, 5)).toMatchObject({ status: 'ok' });
    const w = await admin(s, '/api/v1/worlds/1');
    expect(w.status).toBe(200);
    expect(w.json.faulted ?? null).toBeNull();
    await expect
      .poll(async () => (await admin(s, '/api/v1/ledger/verify')).json, { timeout: 10_000 })
      .toMatchObject({
        ok: true,
        mismatches: [],
      });
  });
});
