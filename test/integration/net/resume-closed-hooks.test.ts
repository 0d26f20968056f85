/**
 * A resume whose socket closes before its join is applied leaves the player parked for its token
 * (session-registry.ts `#joined`), and the game hears nothing new: the player left once, when its
 * first socket closed (`onPlayerLeft(parked: true)`), and has not joined since. Before, the registry
 * parked it again with a fresh `park` fact, and the game's `onPlayerLeft` ran a second time for the
 * same departure. Real GameServer on 127.0.0.1, raw sockets, a game world stepped by the test.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { defineGame } from '../../../src/index.js';
import type { GameServer } from '../../../src/net/game-server.js';
import { stepWorld } from '../../../src/world/step.js';
import { openRaw } from '../../fuzz-helpers/raw-ws.js';
import { startPausedGameServer } from '../../helpers/paused-game-server.js';

let server: GameServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

const WELCOME = 16;

describe('a resume closed before its join applies', () => {
  it('keeps the player parked without a second onPlayerLeft; a later resume still gets it', async () => {
    const log: string[] = [];
    const game = defineGame({
      name: 'hooks',
      hooks: {
        onPlayerJoined: (_w, p, { resumed }) => log.push(`joined ${p} ${resumed}`),
        onPlayerLeft: (_w, p, { parked }) => log.push(`left ${p} ${parked}`),
      },
    });
    const paused = await startPausedGameServer(game);
    server = paused.server;
    const { world, url, waitPending, stepWhen } = paused;

    const a = await openRaw(url);
    a.send([1, 1, 'w1', 'ann', '', null]);
    await stepWhen(1);
    const welcome = await a.waitFor(WELCOME);
    const player = welcome[2] as number;
    const token = welcome[6] as string;
    expect(typeof token).toBe('string');
    a.ws.close();
    await a.closed;
    await stepWhen(1); // its park fact
    expect(log).toEqual([`joined ${player} false`, `left ${player} true`]);
    expect(server.stats().parked).toBe(1);

    // A resume, closed before the step applies it.
    const b = await openRaw(url);
    b.send([1, 1, 'w1', 'ann', '', token]);
    await waitPending(1); // its enter fact, not applied yet
    expect(log).toHaveLength(2);
    b.ws.close();
    await b.closed;
    for (let i = 0; i < 5; i++) stepWorld(world, 1);
    expect(log, 'the game heard nothing new').toEqual([`joined ${player} false`, `left ${player} true`]);
    expect(server.stats().parked).toBe(1);

    // Still resumable with its token.
    const c = await openRaw(url);
    c.send([1, 1, 'w1', 'ann', '', token]);
    await stepWhen(1);
    const back = await c.waitFor(WELCOME);
    expect(back[2]).toBe(player);
    expect(log).toEqual([`joined ${player} false`, `left ${player} true`, `joined ${player} true`]);
    c.ws.close();
  });
});
