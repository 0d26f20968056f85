/**
 * Hostile probe: a private server message (`sendToPlayer`) waiting past the per-step delivery
 * budget (`net.maxGameMessageDeliveriesPerStep`) while its player leaves and a new player takes
 * the recycled entity id (bitecs 0.4 recycles ids at once). The waiting messages were addressed to
 * the entity id only, so they went to the newcomer's session: another session's data. Asserted:
 * the newcomer (same entity id) gets none of them; they are counted `undelivered`. Real server
 * from `startServer`, real sockets; the world is paused and stepped by the test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  defineGame,
  defineServerMessage,
  pauseWorld,
  type RunningServer,
  sendToPlayer,
  startServer,
  stepWorld,
  Type,
} from '../../../src/index.js';
import { openRaw, type RawWs } from '../../fuzz-helpers/raw-ws.js';
import { testServerOptions } from '../../helpers/game-server-options.js';
import { planSystem } from '../../helpers/plan-system.js';

const secret = defineServerMessage({ name: 'secret', schema: Type.Object({ n: Type.Integer() }), maxBytes: 64 });
const plan = planSystem();

const game = defineGame({
  name: 'hostile-recycled-player',
  world: { size: 1000, npcs: 0, physics: 'off' },
  net: { maxGameMessageDeliveriesPerStep: 1, resumeGraceSeconds: 0 },
  serverMessages: [secret],
  systems: [plan.system],
});

const macrotask = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

describe('hostile: a waiting private message and a recycled player id', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(game, { options: testServerOptions('wt-recycled-') });
    pauseWorld(server.world);
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** Join as `name`, stepping the paused world until the welcome arrives. */
  const join = async (name: string): Promise<{ c: RawWs; player: number }> => {
    const c = await openRaw(`ws://127.0.0.1:${server.port}`);
    c.send([1, 1, '1', name, '', null]);
    for (let i = 0; i < 2000 && !c.msgs.some((m) => m[0] === 16); i++) {
      stepWorld(server.world, 1);
      await macrotask();
    }
    return { c, player: (await c.waitFor(16))[2] as number };
  };

  it('messages queued for a player that left never reach the newcomer holding its entity id', async () => {
    const a = await join('victim');
    plan.next((w) => {
      for (let n = 0; n < 200; n++) sendToPlayer(w, a.player, secret, { n });
    });
    stepWorld(server.world, 1);
    await a.c.waitFor(25);
    const stats = server.world.game!.outbox.stats;
    expect(server.world.game!.outbox.items.length).toBeGreaterThan(100); // waiting for later steps
    a.c.ws.close();
    await a.c.closed;
    const b = await join('newcomer');
    expect(b.player).toBe(a.player); // the id was recycled: the case probed
    const undelivered = stats.undelivered;
    for (let i = 0; i < 5; i++) stepWorld(server.world, 1);
    b.c.send([3, 77]);
    for (let i = 0; i < 200 && !b.c.msgs.some((m) => m[0] === 19); i++) {
      stepWorld(server.world, 1);
      await macrotask();
    }
    await b.c.waitFor(19);
    expect(b.c.msgs.filter((m) => m[0] === 25)).toEqual([]);
    expect(stats.undelivered).toBeGreaterThan(undelivered);
    b.c.ws.close();
  });
});
