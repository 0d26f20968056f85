/**
 * A real GameServer on 127.0.0.1 serving one paused game world `w1` that the test steps itself
 * (resume grace and hello timeout 60 s): `waitPending(n)` waits until n session facts are queued,
 * `stepWhen(n)` then steps once — so a test applies joins, parks and kicks at the step it chooses.
 * Options: a durable `store` (the server's sessions and players; the caller closes it) and the world's
 * `size` (world units; default 1000).
 */
import { expect } from 'vitest';
import type { GameDefinition } from '../../src/game/definition.js';
import { createGameWorld } from '../../src/index.js';
import { createLogger } from '../../src/log.js';
import { GameServer } from '../../src/net/game-server.js';
import type { Store } from '../../src/store/types.js';
import { SESSION_INGEST_TYPE } from '../../src/net/player-facts.js';
import { stepWorld } from '../../src/world/step.js';

export interface PausedGameServer {
  world: ReturnType<typeof createGameWorld>;
  server: GameServer;
  url: string;
  waitPending(n: number): Promise<void>;
  stepWhen(n: number): Promise<void>;
}

export const startPausedGameServer = async (game: GameDefinition, o: { store?: Store; size?: number } = {}): Promise<PausedGameServer> => {
  const world = createGameWorld(game, { id: 'w1', capacity: 50, size: o.size ?? 1000, config: { simulation: { pauseSimulation: true } } });
  const server = new GameServer({
    host: '127.0.0.1',
    port: 0,
    logger: createLogger('silent'),
    resolveWorld: (id) => (id === world.id ? world : undefined),
    net: { helloTimeoutMs: 60_000, resumeGraceSeconds: 60 },
    ...(o.store ? { store: () => o.store ?? null } : {}),
  });
  await server.start();
  const pending = (): number => world.ingest.stats().find((t) => t.type === SESSION_INGEST_TYPE)?.pending ?? 0;
  const waitPending = async (n: number): Promise<void> => {
    for (let i = 0; i < 500 && pending() < n; i++) await new Promise((r) => setTimeout(r, 5));
    expect(pending()).toBe(n);
  };
  return {
    world,
    server,
    url: `ws://127.0.0.1:${server.port}`,
    waitPending,
    stepWhen: async (n) => {
      await waitPending(n);
      stepWorld(world, 1);
    },
  };
};
