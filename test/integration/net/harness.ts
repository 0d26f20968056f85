/**
 * Test harness: a real GameServer on 127.0.0.1 port 0 serving one paused world that the test
 * steps explicitly (deterministic), and clients built on the real client library + `ws`.
 */
import WebSocket from 'ws';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { createLogger } from '../../../src/log.js';
import { GameServer } from '../../../src/net/game-server.js';
import type { NetConfig } from '../../../src/net/net-config.js';
import { createSimWorld, type SimWorld } from '../../../src/world/sim-world.js';
import { stepWorld } from '../../../src/world/step.js';
import { ingestSystem } from '../../../systems/ingest-system.js';
import { movementSystem } from '../../../systems/movement-system.js';
import { replicateSystem } from '../../../systems/replicate-system.js';
import { timeSystem } from '../../../systems/time-system.js';

export const NET_SYSTEMS = [
  { name: 'ingest', phase: 'ingest', run: ingestSystem },
  { name: 'time', phase: 'time', run: timeSystem },
  { name: 'movement', phase: 'physics', run: movementSystem },
  { name: 'replicate', phase: 'replicate', run: replicateSystem },
] as const;

export interface TestServer {
  world: SimWorld;
  server: GameServer;
  url: string;
  step(n?: number): void;
  client(): Promise<WorldtickClient>;
  stop(): Promise<void>;
}

export const startTestServer = async (o: { capacity?: number; size?: number; net?: Partial<NetConfig> } = {}): Promise<TestServer> => {
  const world = createSimWorld({
    id: 'w1',
    capacity: o.capacity ?? 2000,
    size: o.size ?? 1000,
    systems: NET_SYSTEMS as never,
    config: { simulation: { pauseSimulation: true, tickIntervalSeconds: 0.05, timeScale: 1 } },
  });
  const server = new GameServer({
    host: '127.0.0.1',
    port: 0,
    logger: createLogger('silent'),
    resolveWorld: (id) => (id === world.id ? world : undefined),
    net: { helloTimeoutMs: 60_000, ...o.net },
  });
  await server.start();
  const url = `ws://127.0.0.1:${server.port}`;
  const clients: WorldtickClient[] = [];
  return {
    world,
    server,
    url,
    step: (n = 1) => { stepWorld(world, n); },
    async client() {
      const c = new WorldtickClient({ url, WebSocket: WebSocket as unknown as WebSocketCtor });
      await c.connect();
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.close();
      await server.stop();
    },
  };
};

/** Let sockets deliver: a few event-loop turns with a short real wait. */
export const settle = (ms = 20): Promise<void> => new Promise((r) => setTimeout(r, ms));
