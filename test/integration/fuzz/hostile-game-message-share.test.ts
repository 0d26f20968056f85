/**
 * Hostile probe: game messages of many sockets at once against one world's message buffer
 * (docs/GAME-API.md `defineMessage`: a queue of `capacity` per world and name, the oldest dropped
 * when full). Before the fix a burst from a few sockets — each within its own rate limit — filled
 * the shared queue and evicted messages other players had sent earlier in the same step. Now each
 * session may have at most capacity / sessions messages waiting for the next step; past its share,
 * its own message is refused (`RATE_LIMITED`, no strike, counted) and nobody else's is evicted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineGame, defineMessage, startServer, Type, type RunningServer } from '../../../src/index.js';
import { pauseWorld, stepWorld } from '../../../src/world/step.js';
import { joinRaw } from '../../fuzz-helpers/raw-ws.js';
import { testServerOptions } from '../../helpers/game-server-options.js';

const CAPACITY = 64;
const applied: Array<{ player: number; n: number }> = [];
let server: RunningServer;
let url = '';

beforeAll(async () => {
  const game = defineGame({
    name: 'share',
    world: { npcs: 0 },
    messages: [
      defineMessage({
        name: 'act',
        schema: Type.Integer(),
        capacity: CAPACITY,
        apply: (_w, player, n) => void applied.push({ player, n }),
      }),
    ],
  });
  server = await startServer(game, {
    options: testServerOptions(),
  });
  url = `ws://127.0.0.1:${server.port}`;
}, 30_000);

afterAll(async () => {
  await server?.stop();
});

describe('hostile: a burst of game messages from many sockets', () => {
  it('never evicts another player’s message; the senders over their share are refused without a strike', async () => {
    const victim = await joinRaw(url, 'victim');
    const attackers = await Promise.all(Array.from({ length: 8 }, (_, i) => joinRaw(url, `a${i}`)));
    const world = server.world;
    pauseWorld(world); // nothing is applied until the test steps
    const strikes0 = server.runtime.gameServer.stats().strikes;
    victim.c.send([5, 'act', -1]);
    victim.c.send([3, 1]);
    await victim.c.waitFor(19);
    for (const a of attackers) {
      for (let i = 0; i < 40; i++) a.c.send([5, 'act', i]);
      a.c.send([3, 2]);
    }
    await Promise.all(attackers.map((a) => a.c.waitFor(19)));
    stepWorld(world, 1);
    expect(applied.filter((x) => x.player === victim.player).map((x) => x.n)).toEqual([-1]);
    const share = Math.floor(CAPACITY / 9);
    for (const a of attackers) {
      expect(applied.filter((x) => x.player === a.player).length).toBe(share);
      expect(a.c.errors().length).toBe(40 - share);
      expect(new Set(a.c.errors())).toEqual(new Set(['RATE_LIMITED']));
      expect(a.c.code()).toBe(0);
    }
    expect(victim.c.errors()).toEqual([]);
    expect(server.runtime.gameServer.stats().strikes).toBe(strikes0);
    // The next step starts a new share.
    victim.c.send([5, 'act', -2]);
    victim.c.send([3, 3]);
    await victim.c.waitFor(19, (m) => m[1] === 3);
    stepWorld(world, 1);
    expect(applied.filter((x) => x.player === victim.player).map((x) => x.n)).toEqual([-1, -2]);
  });
});
