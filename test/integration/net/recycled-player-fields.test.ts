/**
 * Replicated fields never carry one player's values to another (docs/GAME-API.md `defineGame`
 * `replicate`): entity ids are recycled, and a game component's row kept what its last owner left.
 * A player who left is followed by a new player on the same entity id; the game has not given the
 * newcomer the component (it adds it on the first `earn`, as games add components on demand), so the
 * newcomer's `gold` must be the field's default — before, every client saw the previous player's gold.
 * Also a component removed from an entity is sent as its default, not as the value it had.
 * Real GameServer on 127.0.0.1, real clients; the world is stepped by the test.
 */
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { WorldtickClient } from '../../../src/client/index.js';
import {
  addComponent,
  createGameWorld,
  defineComponent,
  defineGame,
  defineMessage,
  hasComponent,
  removeComponent,
  stepWorld,
  Type,
} from '../../../src/index.js';
import { createLogger } from '../../../src/log.js';
import { GameServer } from '../../../src/net/game-server.js';

const Purse = defineComponent('Purse', { gold: 'u32', rank: { type: 'u8', default: 3 } });
const game = defineGame({
  name: 'purses',
  world: { physics: 'off' },
  components: [Purse],
  messages: [
    defineMessage({
      name: 'earn',
      schema: Type.Object({ gold: Type.Integer({ minimum: 0, maximum: 1000 }) }),
      apply: (w, p, { gold }) => {
        if (!hasComponent(w, p, Purse)) addComponent(w, p, Purse, { gold, rank: 9 });
      },
    }),
    defineMessage({ name: 'drop', schema: Type.Object({}), apply: (w, p) => removeComponent(w, p, Purse) }),
  ],
  replicate: { player: { gold: { component: Purse, field: 'gold' }, rank: { component: Purse, field: 'rank' } } },
});

let server: GameServer | null = null;
let ticker: ReturnType<typeof setInterval> | null = null;
afterEach(async () => {
  if (ticker) clearInterval(ticker);
  await server?.stop();
  server = null;
});

const client = async (url: string, name: string): Promise<{ c: WorldtickClient; id: number }> => {
  const c = new WorldtickClient({ url, WebSocket: WebSocket as never });
  await c.connect();
  const w = await c.join('w1', name, `${name}-token`);
  return { c, id: w.playerId };
};

describe('replicated fields of a recycled or stripped entity', () => {
  it('are the defaults, never the last owner’s values', async () => {
    const world = createGameWorld(game, { id: 'w1', capacity: 20, size: 500, config: { simulation: { pauseSimulation: true } } });
    server = new GameServer({
      host: '127.0.0.1',
      port: 0,
      logger: createLogger('silent'),
      resolveWorld: (id) => (id === world.id ? world : undefined),
      net: { resumeGraceSeconds: 0 },
    });
    await server.start();
    ticker = setInterval(() => stepWorld(world, 1), 5);
    const url = `ws://127.0.0.1:${server.port}`;

    const a = await client(url, 'alice');
    a.c.sendMessage('earn', { gold: 77 });
    await a.c.waitFor(() => a.c.view.entities.get(a.id)?.fields?.gold === 77);
    a.c.close();
    await a.c.closed();
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (hasComponent(world, a.id, Purse)) return;
        clearInterval(t);
        resolve();
      }, 5);
    });

    const b = await client(url, 'bob');
    expect(b.id).toBe(a.id); // the recycled id: what the test is about
    await b.c.waitFor(() => b.c.view.entities.get(b.id)?.fields !== undefined);
    const before = b.c.lastSnapshot?.step ?? 0;
    await b.c.waitForStep(before + 3);
    expect(b.c.view.entities.get(b.id)?.fields).toEqual({ gold: 0, rank: 3 });

    // Earn, then drop the component: the fields go back to the defaults.
    b.c.sendMessage('earn', { gold: 5 });
    await b.c.waitFor(() => b.c.view.entities.get(b.id)?.fields?.gold === 5);
    b.c.sendMessage('drop', {});
    await b.c.waitFor(() => b.c.view.entities.get(b.id)?.fields?.gold === 0);
    expect(b.c.view.entities.get(b.id)?.fields).toEqual({ gold: 0, rank: 3 });
    b.c.close();
  }, 30_000);
});
