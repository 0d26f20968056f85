/**
 * Test harness: a real GameServer on 127.0.0.1 port 0 serving one paused world that the test
 * steps explicitly (deterministic), and clients built on the real client library + `ws`.
 *
 * Joins and leaves are ingest facts applied by a step (the welcome comes from the step that
 * applies the join), so the harness plays the loop runner for them: while join/leave facts are
 * pending it runs one step (`pump`, every few ms). Tests read step numbers from `welcome.step`.
 */
import WebSocket from 'ws';
import { WorldtickClient, type WebSocketCtor } from '../../../src/client/client.js';
import { createLogger } from '../../../src/log.js';
import { GameServer, type GameServerOptions } from '../../../src/net/game-server.js';
import type { NetConfig } from '../../../src/net/net-config.js';
import { INPUT_INGEST_TYPE } from '../../../src/net/input.js';
import { SESSION_INGEST_TYPE } from '../../../src/net/player-facts.js';
import type { ServerMsg, SnapshotMsg } from '../../../src/net/protocol.js';
import type { Store } from '../../../src/store/types.js';
import { createSimWorld, type SimWorld, spawnNpc } from '../../../src/world/sim-world.js';
import { resumeWorld, stepWorld } from '../../../src/world/step.js';
import { LoopRunner } from '../../../src/loop/loop-runner.js';
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
  /** Steps run by the harness to apply joins and leaves. */
  pumped: number;
  /** While true the harness does not step for joins and leaves (the test steps). */
  hold: boolean;
  /** Resolves once no join/leave fact is pending, no hello waits for a join slot, and sockets have delivered. */
  idle(): Promise<void>;
  /** Resolves once an input waits in the world's ingest for the next step (throws after `timeoutMs`). */
  inputQueued(timeoutMs?: number): Promise<void>;
  /** Resolves once at least `n` join/leave facts wait in the world's ingest for the next step (throws after `timeoutMs`). */
  sessionFactsQueued(n: number, timeoutMs?: number): Promise<void>;
  client(): Promise<WorldtickClient>;
  stop(): Promise<void>;
}

export const startTestServer = async (
  o: {
    capacity?: number;
    size?: number;
    net?: Partial<NetConfig>;
    store?: Store;
    /** Game hooks passed to the server as they are (authenticate, sessionClass, routeHello). */
    hooks?: Pick<GameServerOptions, 'authenticate' | 'sessionClass' | 'routeHello'>;
  } = {},
): Promise<TestServer> => {
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
    ...(o.store ? { store: () => o.store ?? null } : {}),
    ...o.hooks,
  });
  await server.start();
  const pending = (type: string): number => world.ingest.stats().find((t) => t.type === type)?.pending ?? 0;
  const sessionFactsPending = (): number => pending(SESSION_INGEST_TYPE);
  // A paused world is stepped while joins or leaves wait for a step, or hellos for a join slot (join admission).
  const waiting = (): boolean => sessionFactsPending() > 0 || server.stats().joinsWaiting > 0;
  const pump = setInterval(() => {
    if (!ts.hold && world.clock.paused && waiting()) {
      stepWorld(world, 1);
      ts.pumped++;
    }
  }, 3);
  const url = `ws://127.0.0.1:${server.port}`;
  const clients: WorldtickClient[] = [];
  const ts: TestServer = {
    world,
    server,
    url,
    pumped: 0,
    hold: false,
    async idle() {
      while (waiting()) await settle(3);
      await settle(20);
    },
    async inputQueued(timeoutMs = 5_000) {
      // A fixed wait is not enough on a loaded machine: an input the step misses is never acknowledged.
      for (const end = Date.now() + timeoutMs; pending(INPUT_INGEST_TYPE) === 0; await settle(2))
        if (Date.now() > end) throw new Error(`no input reached the ingest within ${timeoutMs} ms`);
    },
    async sessionFactsQueued(n, timeoutMs = 10_000) {
      // A fixed wait is not enough on a loaded machine: a join whose hello the server has not handled yet misses the step.
      for (const end = Date.now() + timeoutMs; sessionFactsPending() < n; await settle(2))
        if (Date.now() > end) throw new Error(`${n} join/leave facts did not reach the ingest within ${timeoutMs} ms`);
    },
    step: (n = 1) => {
      stepWorld(world, n);
    },
    async client() {
      const c = new WorldtickClient({ url, WebSocket: WebSocket as unknown as WebSocketCtor });
      await c.connect();
      clients.push(c);
      return c;
    },
    async stop() {
      clearInterval(pump);
      for (const c of clients) c.close();
      await server.stop();
    },
  };
  return ts;
};

/** Let sockets deliver: a few event-loop turns with a short real wait. */
/**
 * Net options of the injected-overload tests (priority.test.ts, active-spread.test.ts): a replicate
 * budget never spent (out of overload nothing is deferred; under overload the overload budget,
 * default 0, defers below active players from the phase's start), emergency alone counts as
 * overload (`overloadLateFactor` 0: manual steps are never late), quick enter/exit, and a token
 * bucket above the tests' ~200 inputs in a few seconds.
 */
export const OVERLOAD_TEST_NET: Partial<NetConfig> = {
  replicateBudgetMs: 60_000,
  overloadLateFactor: 0,
  overloadEnterSteps: 3,
  overloadExitSteps: 5,
  interestRadius: 120,
  detailedRadius: 40,
  messageRatePerSecond: 10_000,
  messageBurst: 10_000,
};

export const settle = (ms = 20): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resume `world` and step it on its own loop runner (started); the caller stops the runner. */
export const runWorld = (world: SimWorld): LoopRunner => {
  resumeWorld(world);
  const runner = new LoopRunner();
  runner.add(world);
  runner.start();
  return runner;
};

/** `n` moving NPCs around (500, 500), alternately 20 and 90 units out (inside and beyond the detailed radius). */
export const movingRing = (world: TestServer['world'], n: number): number[] => {
  const npcs: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = i % 2 ? 20 : 90;
    const e = spawnNpc(world, 500 + r * Math.cos(i), 500 + r * Math.sin(i), 1);
    world.stores.Velocity.x[e] = 1.5;
    world.stores.Velocity.y[e] = i % 3 ? 0.7 : -0.7;
    npcs.push(e);
  }
  return npcs;
};

/** Whether `m` is a snapshot. */
export const isSnap = (m: ServerMsg): m is SnapshotMsg => m.type === 17;

/** A test server of one test (no resume grace), its world stepped, stopped when that test ends (vitest's `onTestFinished`). */
export const serveStepped = async (onTestFinished: (fn: () => Promise<void>) => void): Promise<TestServer> => {
  const ts = await startTestServer({ net: { resumeGraceSeconds: 0 } });
  const runner = runWorld(ts.world);
  onTestFinished(async () => {
    runner.stop();
    await ts.stop();
  });
  return ts;
};
