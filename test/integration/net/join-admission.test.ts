/**
 * Join admission (src/net/join-admission.ts, docs/PROTOCOL.md "Connection limits"): at most
 * `net.maxJoinsPerStep` hellos of a world start their join per step; more wait in the world's join
 * queue and are served in arrival order at the end of later steps (steps run back to back in one
 * turn, a catch-up, with the slots of each, at most 4 steps' worth); past `net.maxJoinQueue` a hello
 * is refused WORLD_FULL (4009); a queued socket that closes leaves nothing behind; players already
 * in keep their snapshot every step while the queue drains. Real uWS server without a store (a
 * hello's join is pushed at once, so a join admitted after step k is welcomed by step k + 1), raw
 * `ws` clients; the world is paused and stepped by the test, and the figures are step numbers and
 * counters, never wall time.
 */
import { describe, expect, it } from 'vitest';
import { defineGame, pauseWorld, startServer } from '../../../src/index.js';
import { createLogger } from '../../../src/log.js';
import { GameServer } from '../../../src/net/game-server.js';
import { stepWorld } from '../../../src/world/step.js';
import type { SimWorld } from '../../../src/world/sim-world.js';
import { openRaw, type RawWs } from '../../fuzz-helpers/raw-ws.js';
import { testServerOptions } from '../../helpers/game-server-options.js';
import { sessionWorld } from '../../helpers/session-world.js';
import { closedAfterEach, macrotask, untilTurns, WELCOME } from '../../helpers/join-kit.js';

const SNAPSHOT = 17;

let server: GameServer | null = null;
const live = closedAfterEach();

/** A paused world (ingest, time, replicate only) served without a store, with join admission `maxJoinsPerStep` / `maxJoinQueue`. */
const start = async (maxJoinsPerStep: number, maxJoinQueue: number, helloTimeoutMs = 5000): Promise<{ world: SimWorld; url: string }> => {
  const world = sessionWorld(200);
  server = new GameServer({
    host: '127.0.0.1',
    port: 0,
    logger: createLogger('silent'),
    resolveWorld: (id) => (id === world.id ? world : undefined),
    openFileLimit: null,
    net: { maxJoinsPerStep, maxJoinQueue, helloTimeoutMs },
  });
  live.servers.push(server);
  await server.start();
  return { world, url: `ws://127.0.0.1:${server.port}` };
};

const stats = () => {
  if (!server) throw new Error('no server');
  return server.stats();
};

/** Open `n` sockets, then send their hellos one by one (arrival order = index), each seen by the server before the next. */
const hellos = async (url: string, n: number, seen: () => number, tag = 'p'): Promise<RawWs[]> => {
  const socks = await Promise.all(Array.from({ length: n }, () => openRaw(url)));
  live.sockets.push(...socks);
  for (let i = 0; i < n; i++) {
    const before = seen();
    socks[i]?.send([1, 1, 'w1', `${tag}${i}`, `tok-${tag}${i}`, null]);
    await untilTurns(() => seen() > before, `hello ${i} reached the server`);
  }
  return socks;
};

/** Step once and let the end-of-step turn (the queue's slots) run. */
const step = async (world: SimWorld): Promise<void> => {
  stepWorld(world, 1);
  await macrotask();
  await macrotask();
};

const welcomeStep = (c: RawWs): number | null => {
  const w = c.msgs.find((m) => m[0] === WELCOME);
  return w ? Number(w[5]) : null;
};

describe('join admission', () => {
  it('serves N simultaneous hellos over several steps, at most maxJoinsPerStep a step, in arrival order', async () => {
    const { world, url } = await start(2, 100);
    // Hellos reach the server: admitted ones are joining, the rest wait in the queue.
    const seen = (): number => stats().joining + stats().joinsWaiting + stats().sessions;
    const socks = await hellos(url, 7, seen);
    expect(stats()).toMatchObject({ joining: 2, joinsWaiting: 5, joinsQueued: 5, joinQueueFull: 0 });
    for (let i = 0; i < 6 && socks.some((c) => welcomeStep(c) === null); i++) await step(world);
    await untilTurns(() => socks.every((c) => welcomeStep(c) !== null), 'every hello welcomed');
    const steps = socks.map((c) => welcomeStep(c) ?? -1);
    // Arrival order: the welcome steps never go down; at most 2 joins per step.
    for (let i = 1; i < steps.length; i++) expect(steps[i]).toBeGreaterThanOrEqual(steps[i - 1] ?? 0);
    const perStep = new Map<number, number>();
    for (const s of steps) perStep.set(s, (perStep.get(s) ?? 0) + 1);
    expect(Math.max(...perStep.values()), `welcome steps ${steps.join(',')}`).toBe(2);
    expect(perStep.size).toBe(4);
    expect(stats()).toMatchObject({ sessions: 7, joinsWaiting: 0, joinsQueued: 5, joinQueueFull: 0, joinWaitTimeouts: 0 });
  });

  it('steps run back to back (a catch-up) are served by one drain with the slots of each, at most 4', async () => {
    const { world, url } = await start(2, 100);
    const seen = (): number => stats().joining + stats().joinsWaiting + stats().sessions;
    const socks = await hellos(url, 20, seen);
    expect(stats()).toMatchObject({ joining: 2, joinsWaiting: 18 });
    // Six steps in one turn: the drain after them hands out at most 4 steps' worth, 4 × 2 slots.
    stepWorld(world, 6);
    await untilTurns(() => stats().joinsWaiting === 10, 'eight served after six steps in one turn');
    // Three steps in one turn: 3 × 2 slots.
    stepWorld(world, 3);
    await untilTurns(() => stats().joinsWaiting === 4, 'six served after three steps in one turn');
    while (stats().joinsWaiting > 0 || stats().joining > 0) await step(world);
    await untilTurns(() => socks.every((c) => welcomeStep(c) !== null), 'every hello welcomed');
    expect(stats().sessions).toBe(20);
  });

  it('refuses a hello past maxJoinQueue with WORLD_FULL (4009), counted', async () => {
    const { url } = await start(1, 2);
    const seen = (): number => stats().joining + stats().joinsWaiting + stats().joinQueueFull;
    const socks = await hellos(url, 4, seen);
    const last = socks[3];
    if (!last) throw new Error('no socket');
    expect(await last.closed).toBe(4009);
    expect(last.errors()).toEqual(['WORLD_FULL']);
    expect(stats()).toMatchObject({ joining: 1, joinsWaiting: 2, joinsQueued: 2, joinQueueFull: 1 });
    expect(stats().errorsByCode.WORLD_FULL).toBe(1);
    for (const c of socks.slice(0, 3)) expect(c.code()).toBe(0);
  });

  it('a queued socket that closes leaves the queue: nothing kept, the next in line is served', async () => {
    const { world, url } = await start(1, 10);
    const seen = (): number => stats().joining + stats().joinsWaiting;
    const [a, b, c] = await hellos(url, 3, seen);
    if (!a || !b || !c) throw new Error('no socket');
    expect(stats().joinsWaiting).toBe(2);
    b.ws.close();
    await b.closed;
    await untilTurns(() => stats().joinsWaiting === 1, 'the closed socket left the queue');
    c.ws.close();
    await c.closed;
    await untilTurns(() => stats().joinsWaiting === 0, 'gauge back to 0');
    await step(world);
    await step(world);
    expect(welcomeStep(a)).not.toBeNull();
    expect(stats()).toMatchObject({ sessions: 1, joining: 0, joinsWaiting: 0, joinsQueued: 2 });
  });

  it('a hello queued for helloTimeoutMs is answered UNAVAILABLE and closed 1013, counted', async () => {
    // The world is never stepped: the queued hello gets no slot.
    const { url } = await start(1, 10, 150);
    const seen = (): number => stats().joining + stats().joinsWaiting;
    const [, late] = await hellos(url, 2, seen);
    if (!late) throw new Error('no socket');
    expect(await late.closed).toBe(1013);
    expect(late.errors()).toEqual(['UNAVAILABLE']);
    expect(stats()).toMatchObject({ joinsWaiting: 0, joinWaitTimeouts: 1 });
  });

  it('players already in get a snapshot every step while the queue drains', async () => {
    const { world, url } = await start(2, 100);
    const seen = (): number => stats().joining + stats().joinsWaiting + stats().sessions;
    const [first] = await hellos(url, 1, seen);
    if (!first) throw new Error('no socket');
    await step(world);
    await first.waitFor(WELCOME);
    await hellos(url, 10, seen, 'q');
    expect(stats().joinsWaiting).toBe(8);
    const from = world.clock.step;
    while (stats().joinsWaiting > 0 || stats().joining > 0) await step(world);
    await step(world);
    const to = world.clock.step;
    await untilTurns(() => first.msgs.some((m) => m[0] === SNAPSHOT && Number(m[1]) === to - 1), 'the last snapshot arrived');
    const got = new Set(first.msgs.filter((m) => m[0] === SNAPSHOT).map((m) => Number(m[1])));
    for (let s = from; s < to; s++) expect(got.has(s), `snapshot of step ${s}`).toBe(true);
    expect(to - from).toBeGreaterThanOrEqual(5);
    expect(stats().sessions).toBe(11);
  });

  it('counts in /stats and /metrics of a full server (SQLite store, admin API)', async () => {
    const game = defineGame({
      name: 'join-admission',
      world: { size: 1000, npcs: 0, physics: 'off' },
      net: { maxJoinsPerStep: 1, maxJoinQueue: 1 },
    });
    const r = await startServer(game, { options: testServerOptions('wt-join-admission-') });
    live.servers.push(r);
    pauseWorld(r.world);
    const st = () => r.runtime.gameServer.stats();
    const send = async (token: string): Promise<RawWs> => {
      const c = await openRaw(`ws://127.0.0.1:${r.port}`);
      live.sockets.push(c);
      c.send([1, 1, '1', token, token, null]);
      return c;
    };
    await send('first');
    await untilTurns(() => st().joining === 1, 'the first hello took the slot and waits for the step');
    await send('second');
    await untilTurns(() => st().joinsWaiting === 1, 'the second waits for a slot');
    const third = await send('third');
    expect(await third.closed).toBe(4009);
    expect(st()).toMatchObject({ joinsWaiting: 1, joinsQueued: 1, joinQueueFull: 1, joinWaitTimeouts: 0 });
    const metrics = await (await fetch(`http://127.0.0.1:${r.adminPort}/metrics`, { headers: { authorization: 'Bearer tok' } })).text();
    expect(metrics).toContain('worldtick_net_joins_waiting 1');
    expect(metrics).toContain('worldtick_net_joins_queued_total 1');
    expect(metrics).toContain('worldtick_net_join_queue_full_total 1');
    expect(metrics).toContain('worldtick_net_join_wait_timeouts_total 0');
  });
});
