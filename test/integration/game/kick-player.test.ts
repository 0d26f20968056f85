/**
 * Kicking a player (docs/GAME-API.md "Kicking a player", docs/ADMIN.md "Kicking a player"), through
 * a real server, real clients and the input log:
 * - game code (`kickPlayer` in a message handler): the kicked client gets the message sent to it in
 *   that step, then close 4020 with the reason (`kicked`); `onPlayerLeft` hears `{ parked: false,
 *   kicked: true }`; the entity leaves the other client's view; its resume token is refused (a fresh
 *   player); a second kick, a non-player, a dead id and a bad reason are coded errors, nothing changed;
 * - the admin API: bearer token required, 404 for an unknown world or player, 400 for a bad reason,
 *   the player's session closed 4020 with the reason and the player removed;
 * - `worldtick_net_kicks_total{world, by}` counts both; the recorded session replays with every hash equal.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WS from 'ws';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/index.js';
import {
  defineGame,
  defineMessage,
  defineServerMessage,
  isWorldtickError,
  kickPlayer,
  playerIdOf,
  sendToPlayer,
  spawn,
  startServer,
  Type,
} from '../../../src/index.js';
import { readLog } from '../../../src/replay/log-format.js';
import { replayLog } from '../../../src/replay/replayer.js';
import { tempDataDir } from '../../helpers/data-dir.js';
import { testServerOptions } from '../../helpers/game-server-options.js';

const log: string[] = [];
const errors: string[] = [];
const ids = new Map<number, string>();
let crate = -1;
const codeOf = (f: () => void): string => {
  try {
    f();
    return 'ok';
  } catch (err) {
    return isWorldtickError(err) ? err.code : 'uncoded';
  }
};

const Bye = defineServerMessage({ name: 'bye', schema: Type.Object({ why: Type.String() }) });
const game = defineGame({
  name: 'kicker',
  world: { size: 200, npcs: 0, physics: 'off', config: { simulation: { timeScale: 1 } } },
  serverMessages: [Bye],
  messages: [
    defineMessage({
      name: 'kick',
      schema: Type.Object({ target: Type.Integer(), reason: Type.String() }),
      apply: (w, _p, { target, reason }) => {
        sendToPlayer(w, target, Bye, { why: reason });
        kickPlayer(w, target, { reason });
        // Bad calls, made in the same step: each refused with its code, nothing changed.
        errors.push(codeOf(() => kickPlayer(w, target, { reason })));
        errors.push(codeOf(() => kickPlayer(w, crate)));
        errors.push(codeOf(() => kickPlayer(w, 60_000)));
        errors.push(codeOf(() => kickPlayer(w, _p, { reason: 'é'.repeat(62) })));
        errors.push(codeOf(() => kickPlayer(w, _p, { code: 4100 } as never)));
      },
    }),
  ],
  hooks: {
    populate: (w) => {
      crate = spawn(w, { kind: 3, x: 10, y: 10 });
    },
    onPlayerJoined: (w, p, { resumed }) => {
      ids.set(p, playerIdOf(w, p) ?? '');
      log.push(`joined ${ids.get(p)} ${resumed}`);
    },
    onPlayerLeft: (_w, p, { parked, kicked }) => log.push(`left ${ids.get(p)} parked=${parked} kicked=${kicked}`),
  },
});

const dataDir = tempDataDir('wt-kick-');
afterAll(() => dataDir.remove());

/** Poll `pred` every 10 ms for at most 5 s (the server steps on wall time). */
const eventually = async (pred: () => boolean): Promise<void> => {
  const deadline = Date.now() + 5000;
  while (!pred() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  expect(pred()).toBe(true);
};

describe('kicking a player', () => {
  it('from game code and from the admin API: closed 4020 with the reason, removed, not resumable, counted, replayed', async () => {
    const logPath = join(dataDir.dir, 'kick.wtlog');
    const server = await startServer(game, {
      options: { ...testServerOptions('wt-kick-data-'), record: logPath, recordHashEvery: 1 },
    });
    const admin = `http://127.0.0.1:${server.adminPort}`;
    const auth = { authorization: 'Bearer tok', 'content-type': 'application/json' };
    const kick = (world: string, pid: string, body: unknown, headers: Record<string, string> = auth) =>
      fetch(`${admin}/api/v1/worlds/${world}/players/${encodeURIComponent(pid)}/kick`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
      });
    const metric = async (by: string): Promise<number> => {
      const text = await (await fetch(`${admin}/metrics`, { headers: auth })).text();
      const m = new RegExp(`^worldtick_net_kicks_total\\{world="1",by="${by}"\\} (\\d+)$`, 'm').exec(text);
      return m ? Number(m[1]) : -1;
    };
    const client = async (token: string, resumeToken: string | null = null) => {
      const c = new WorldtickClient({ url: `ws://127.0.0.1:${server.port}`, WebSocket: WS as unknown as WebSocketCtor });
      await c.connect();
      return { c, w: await c.join('1', token, token, resumeToken) };
    };
    try {
      const alice = await client('alice');
      const bob = await client('bob');
      const aliceId = ids.get(alice.w.playerId) ?? '';
      const bobId = ids.get(bob.w.playerId) ?? '';
      await bob.c.waitFor(() => bob.c.view.entities.has(alice.w.playerId));

      // Game code kicks alice (bob's message); the bad calls of the same step are coded errors.
      bob.c.sendMessage('kick', { target: alice.w.playerId, reason: 'cheating' });
      await alice.c.closed();
      expect(alice.c.closeCode).toBe(4020);
      expect(alice.c.closeReason).toBe('cheating');
      expect(alice.c.kicked).toBe(true);
      expect(alice.c.messages.map((m) => [m.name, m.payload])).toEqual([['bye', { why: 'cheating' }]]);
      expect(errors).toEqual([
        'WT_ERR_PLAYER_LEAVING',
        'WT_ERR_OPTION_INVALID',
        'WT_ERR_ENTITY_NOT_FOUND',
        'WT_ERR_OPTION_INVALID',
        'WT_ERR_OPTION_INVALID',
      ]);
      await eventually(() => log.includes(`left ${aliceId} parked=false kicked=true`));
      await eventually(() => !bob.c.view.entities.has(alice.w.playerId));
      expect(bob.c.closeCode).toBe(0); // the kicker is untouched
      expect(server.runtime.gameServer.stats().parked).toBe(0);
      expect(await metric('game')).toBe(1);

      // Her resume token is refused: the hello gets a fresh player.
      const back = await client('alice', alice.w.resumeToken);
      expect(back.w.resumed).toBe(false);
      expect(back.w.resumeToken).not.toBe(alice.w.resumeToken);
      expect(back.c.errors.map((e) => e.code)).toContain('RESUME_REFUSED');
      expect(log.at(-1)).toBe(`joined ${aliceId} false`);

      // The admin API: token, unknown world or player, bad body; then bob is kicked.
      expect((await kick('1', bobId, {}, { 'content-type': 'application/json' })).status).toBe(401);
      expect((await kick('nope', bobId, {})).status).toBe(404);
      const unknown = await kick('1', 't:0000', {});
      expect(unknown.status).toBe(404);
      expect(((await unknown.json()) as { code: string }).code).toBe('WT_ERR_PLAYER_NOT_CONNECTED');
      const bad = await kick('1', bobId, { reason: 'x'.repeat(124), extra: 1 });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { details: { problems: string[] } }).details.problems).toEqual([
        'extra is not a known field',
        'reason must be at most 123 UTF-8 bytes (a WebSocket close reason), got 124',
      ]);
      expect(bob.c.closeCode).toBe(0);
      const ok = await kick('1', bobId, { reason: 'server maintenance' });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({
        worldId: '1',
        playerId: bobId,
        player: bob.w.playerId,
        kicked: true,
        reason: 'server maintenance',
      });
      await bob.c.closed();
      expect([bob.c.closeCode, bob.c.closeReason, bob.c.kicked]).toEqual([4020, 'server maintenance', true]);
      await eventually(() => log.includes(`left ${bobId} parked=false kicked=true`));
      await eventually(() => !back.c.view.entities.has(bob.w.playerId));
      expect((await kick('1', bobId, {})).status).toBe(404); // gone: nothing left to kick
      expect(await metric('admin')).toBe(1);
      expect(await metric('game')).toBe(1);
      back.c.close();
      await back.c.closed();
    } finally {
      await server.stop();
    }
    // The recorded session replays: both removals at the steps they happened live.
    const res = await replayLog(readLog(logPath), undefined, { game });
    expect(res.failure).toBeNull();
    expect(res.checks.length).toBeGreaterThan(5);
    expect(res.checks.every((c) => c.ok)).toBe(true);
  }, 30_000);
});
