/**
 * The session benchmarks' and tests' world and server (bench/churn.ts, bench/join-flood.ts, net/join-admission.test.ts): a paused world
 * that runs only ingest, time and replicate (joins, leaves, catch-ups; no movement), served by a
 * GameServer on 127.0.0.1 with the given store and net settings.
 */
import { createLogger } from '../../src/log.js';
import { GameServer, type GameServerOptions } from '../../src/net/game-server.js';
import type { Store } from '../../src/store/types.js';
import { createSimWorld, type SimWorld } from '../../src/world/sim-world.js';
import { ingestSystem } from '../../systems/ingest-system.js';
import { replicateSystem } from '../../systems/replicate-system.js';
import { timeSystem } from '../../systems/time-system.js';

/** A paused 1000×1000 world `id` (default `w1`) of `capacity` entities with the session systems only. */
export const sessionWorld = (capacity: number, id = 'w1'): SimWorld =>
  createSimWorld({
    id,
    capacity,
    size: 1000,
    systems: [
      { name: 'ingest', phase: 'ingest', run: ingestSystem },
      { name: 'time', phase: 'time', run: timeSystem },
      { name: 'replicate', phase: 'replicate', run: replicateSystem },
    ] as never,
    config: { simulation: { pauseSimulation: true, tickIntervalSeconds: 0.05, timeScale: 1 } },
  });

/** A silent GameServer (not started) for `world` on an ephemeral port of 127.0.0.1, with `store`. */
export const sessionServer = (world: SimWorld, store: Store, net?: GameServerOptions['net']): GameServer =>
  new GameServer({
    host: '127.0.0.1',
    port: 0,
    logger: createLogger('silent'),
    resolveWorld: (id) => (id === world.id ? world : undefined),
    store: () => store,
    openFileLimit: null,
    ...(net === undefined ? {} : { net }),
  });
