/**
 * Kicks against a paused world stepped by the test (src/net/session-kick.ts): the admin's kick
 * closes the socket at once (4020) and the player stays until the world's next step, which removes
 * it (`onPlayerLeft` kicked) — it is never parked, so its resume token is refused even within the
 * grace period; a player whose socket closed (parked) cannot be kicked, by the admin (not connected)
 * or by game code (`WT_ERR_PLAYER_LEAVING`); game code's kick closes the socket at the end of its step.
 * Real GameServer on 127.0.0.1, raw sockets.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { defineGame, defineMessage, isWorldtickError, kickPlayer, Type } from '../../../src/index.js';
import { entityExists } from 'bitecs';
import type { GameServer } from '../../../src/net/game-server.js';
import { gameFrame } from '../../../src/net/protocol.js';
import { stepWorld } from '../../../src/world/step.js';
import { openRaw } from '../../fuzz-helpers/raw-ws.js';
import { startPausedGameServer } from '../../helpers/paused-game-server.js';

let server: GameServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

const WELCOME = 16;

describe('kicked sessions', () => {
  it('admin kick: closed at once, removed by the next step, never parked; a parked player is not kicked', async () => {
    const log: string[] = [];
    const game = defineGame({
      name: 'kick-net',
      messages: [
        // Game code kicks the sender, then its input of the same step must not move it.
        defineMessage({ name: 'quit', schema: Type.Null(), apply: (w, p) => kickPlayer(w, p, { reason: 'bye' }) }),
      ],
      hooks: {
        onPlayerLeft: (_w, p, { parked, kicked }) => log.push(`left ${p} parked=${parked} kicked=${kicked}`),
      },
    });
    const paused = await startPausedGameServer(game);
    server = paused.server;
    const { world, url, stepWhen } = paused;
    const join = async (token: string, resume = '') => {
      const ws = await openRaw(url);
      ws.send([1, 1, 'w1', token, token, resume || null]);
      await stepWhen(1);
      const welcome = await ws.waitFor(WELCOME);
      return { ws, player: welcome[2] as number, token: welcome[6] as string, resumed: welcome[9] as boolean };
    };

    // The admin's kick of a connected player: 4020 now, the entity until the next step.
    const a = await join('ann');
    expect(server.kickPlayer('w1', 't:nobody', 'x')).toBe(-1);
    expect(server.kickPlayer('nope', 't:nobody', 'x')).toBe(-1);
    // The durable player id of its session (the hello token's, without a store).
    const pid = world.net?.sessions[0]?.ledgerId ?? '';
    expect(pid).toMatch(/^t:/);
    expect(server.kickPlayer('w1', pid, 'spam')).toBe(a.player);
    expect(await a.ws.closed).toBe(4020);
    expect(entityExists(world, a.player)).toBe(true);
    expect(log).toEqual([]);
    await stepWhen(1); // its kick fact
    expect(log).toEqual([`left ${a.player} parked=false kicked=true`]);
    expect(entityExists(world, a.player)).toBe(false);
    expect(server.stats().parked).toBe(0);
    expect(server.stats().worlds.w1?.kicks).toEqual({ game: 0, admin: 1 });
    expect(server.kickPlayer('w1', pid, 'again')).toBe(-1);

    // Its resume token, within the grace period: refused, a fresh player.
    const a2 = await join('ann', a.token);
    expect(a2.resumed).toBe(false);
    expect(a2.token).not.toBe(a.token);
    expect(a2.ws.errors()).toContain('RESUME_REFUSED');

    // A parked player (its socket closed) is not kicked: not connected for the admin, leaving for the game.
    a2.ws.ws.close();
    await a2.ws.closed;
    await stepWhen(1); // its park fact
    expect(server.stats().parked).toBe(1);
    expect(server.kickPlayer('w1', pid, 'x')).toBe(-1);
    let code = '';
    try {
      kickPlayer(world, a2.player);
    } catch (err) {
      code = isWorldtickError(err) ? err.code : 'uncoded';
    }
    expect(code).toBe('WT_ERR_PLAYER_LEAVING');
    expect(server.stats().parked).toBe(1);

    // Game code kicks the sender: its socket closed at the end of that step, the entity removed by the next.
    const b = await join('bob');
    b.ws.send(gameFrame('quit', null));
    for (let i = 0; i < 500 && (world.ingest.stats().find((t) => t.type === 'msg:quit')?.pending ?? 0) < 1; i++)
      await new Promise((r) => setTimeout(r, 5));
    stepWorld(world, 1);
    expect(await b.ws.closed).toBe(4020);
    expect(entityExists(world, b.player)).toBe(true);
    stepWorld(world, 1); // its kick fact
    expect(entityExists(world, b.player)).toBe(false);
    expect(log.at(-1)).toBe(`left ${b.player} parked=false kicked=true`);
    expect(server.stats().worlds.w1?.kicks).toEqual({ game: 1, admin: 1 });
  });
});
