/**
 * The process-wide bound on join work (src/net/join-rate.ts, src/net/join-admission.ts,
 * docs/PROTOCOL.md "Join admission"): at most `net.maxJoinsPerSecond` joins start per wall second
 * in all the worlds of one game server together (a bucket of a tenth of a second's worth), on top
 * of each world's `net.maxJoinsPerStep`; hellos over it wait in their world's join queue, and the
 * worlds with hellos waiting are served in turn, so a storm on one world does not starve another.
 * Real uWS server without a store, several paused worlds stepped by the test, raw `ws` clients.
 * The figures are counts: the only wall-time figure is an upper bound (joins started ≤ burst +
 * rate × elapsed), which a slow machine only loosens.
 */
import { describe, expect, it } from 'vitest';
import { defineGame, pauseWorld, startServer } from '../../../src/index.js';
import { createLogger } from '../../../src/log.js';
import { GameServer } from '../../../src/net/game-server.js';
import { resolveNetConfig } from '../../../src/net/net-config.js';
import { stepWorld } from '../../../src/world/step.js';
import type { SimWorld } from '../../../src/world/sim-world.js';
import { openRaw, type RawWs } from '../../fuzz-helpers/raw-ws.js';
import { testServerOptions } from '../../helpers/game-server-options.js';
import { optionProblems } from '../../helpers/option-problems.js';
import { sessionWorld } from '../../helpers/session-world.js';
import { closedAfterEach, macrotask, untilTurns, WELCOME } from '../../helpers/join-kit.js';

let server: GameServer | null = null;
const live = closedAfterEach();

/** Paused worlds `ids` served without a store by one game server with `net`. */
const start = async (ids: string[], net: Record<string, number>): Promise<{ worlds: SimWorld[]; url: string }> => {
  const worlds = ids.map((id) => sessionWorld(200, id));
  server = new GameServer({
    host: '127.0.0.1',
    port: 0,
    logger: createLogger('silent'),
    resolveWorld: (id) => worlds.find((w) => w.id === id),
    openFileLimit: null,
    net,
  });
  live.servers.push(server);
  await server.start();
  return { worlds, url: `ws://127.0.0.1:${server.port}` };
};

const stats = () => {
  if (!server) throw new Error('no server');
  return server.stats();
};
/** Joins started: welcomed sessions and joins waiting for their step. */
const started = (): number => stats().sessions + stats().joining;
/** Hellos the server has seen (started or waiting in a join queue). */
const seen = (): number => started() + stats().joinsWaiting;

/** Open one socket per world id in `to` and send each its hello at once (no waiting in between). */
const flood = async (url: string, to: string[], tag: string): Promise<RawWs[]> => {
  const socks = await Promise.all(to.map(() => openRaw(url)));
  live.sockets.push(...socks);
  for (const [i, id] of to.entries()) socks[i]?.send([1, 1, id, `${tag}${i}`, `tok-${tag}${i}`, null]);
  return socks;
};

const welcomed = (c: RawWs): boolean => c.msgs.some((m) => m[0] === WELCOME);

describe('process-wide join bound (net.maxJoinsPerSecond)', () => {
  it('a storm spread over three worlds never starts more joins than the process bound allows, and every hello is served', async () => {
    const rate = 40; // burst: a tenth of a second's worth, 4
    const burst = 4;
    const { worlds, url } = await start(['a', 'b', 'c'], { maxJoinsPerStep: 8, maxJoinQueue: 100, maxJoinsPerSecond: rate });
    const t0 = performance.now();
    const to = Array.from({ length: 48 }, (_, i) => ['a', 'b', 'c'][i % 3] ?? 'a');
    const socks = await flood(url, to, 's');
    await untilTurns(() => seen() === 48, 'every hello reached the server');
    // Per world, 8 a step would let 24 start at once; the process bound lets 4 (its burst) and 40 a second.
    let most = 0;
    for (let i = 0; i < 3000 && !socks.every(welcomed); i++) {
      const n = started();
      const allowed = burst + (rate * (performance.now() - t0)) / 1000;
      expect(n, `joins started ${n} within ${(performance.now() - t0).toFixed(0)} ms`).toBeLessThanOrEqual(allowed);
      most = Math.max(most, n);
      for (const w of worlds) stepWorld(w, 1);
      await macrotask();
    }
    expect(socks.every(welcomed), 'every hello welcomed').toBe(true);
    expect(stats()).toMatchObject({ sessions: 48, joinsWaiting: 0, joinWaitTimeouts: 0, joinQueueFull: 0 });
    // Nearly every hello waited for the process bound with a slot of its world free.
    expect(stats().joinsProcessWaited).toBeGreaterThanOrEqual(48 - 3 * 8);
    for (const w of worlds) expect(stats().worlds[w.id]?.sessions).toBe(16);
  });

  it("one world's storm does not starve a single hello to a quiet world (worlds served in turn)", async () => {
    // One join per 100 ms in the whole process; the storm alone would take 6 s to serve.
    const { worlds, url } = await start(['storm', 'quiet'], {
      maxJoinsPerStep: 16,
      maxJoinQueue: 100,
      maxJoinsPerSecond: 10,
      helloTimeoutMs: 3000,
    });
    const [storm, quiet] = worlds;
    if (!storm || !quiet) throw new Error('no worlds');
    await flood(
      url,
      Array.from({ length: 60 }, () => 'storm'),
      'x',
    );
    await untilTurns(() => seen() === 60, 'the storm reached the server');
    // The storm world steps first in every turn (its queue drains first, were the worlds not taken in turn).
    const both = (): void => {
      stepWorld(storm, 1);
      stepWorld(quiet, 1);
    };
    for (let i = 0; i < 5; i++) {
      both();
      await macrotask();
    }
    const [one] = await flood(url, ['quiet'], 'q');
    if (!one) throw new Error('no socket');
    await untilTurns(() => seen() === 61, 'the quiet hello reached the server');
    const stormBefore = started();
    let stormAfter = -1;
    for (let i = 0; i < 3000 && stormAfter < 0; i++) {
      both();
      if (stats().worlds.quiet?.sessions === 1) stormAfter = started() - 1;
      await macrotask();
    }
    expect(stormAfter, 'the quiet hello was served').toBeGreaterThanOrEqual(0);
    // Served in turn: the storm got at most one join (its turn) before the quiet world's, not its 50-odd waiting hellos.
    expect(stormAfter - stormBefore).toBeLessThanOrEqual(2);
    expect(stats().joinsWaiting).toBeGreaterThan(40);
    await one.waitFor(WELCOME);
    expect(one.code()).toBe(0);
  });

  it('0 turns the process bound off: each world starts its maxJoinsPerStep at once', async () => {
    const { url } = await start(['a', 'b', 'c'], { maxJoinsPerStep: 4, maxJoinQueue: 100, maxJoinsPerSecond: 0 });
    await flood(
      url,
      Array.from({ length: 18 }, (_, i) => ['a', 'b', 'c'][i % 3] ?? 'a'),
      'o',
    );
    await untilTurns(() => seen() === 18, 'every hello reached the server');
    expect(stats()).toMatchObject({ joining: 12, joinsWaiting: 6, joinsProcessWaited: 0 });
  });

  it('the process bound applies with the per-world bound off (maxJoinsPerStep 0): hellos wait in their world queue', async () => {
    const { worlds, url } = await start(['a', 'b'], { maxJoinsPerStep: 0, maxJoinQueue: 100, maxJoinsPerSecond: 20 });
    const t0 = performance.now();
    const socks = await flood(
      url,
      Array.from({ length: 10 }, (_, i) => (i % 2 ? 'a' : 'b')),
      'z',
    );
    await untilTurns(() => seen() === 10, 'every hello reached the server');
    expect(started()).toBeLessThanOrEqual(2 + (20 * (performance.now() - t0)) / 1000);
    expect(stats().joinsWaiting).toBeGreaterThan(0);
    for (let i = 0; i < 3000 && !socks.every(welcomed); i++) {
      for (const w of worlds) stepWorld(w, 1);
      await macrotask();
    }
    expect(stats()).toMatchObject({ sessions: 10, joinsWaiting: 0 });
  });

  it('a bad maxJoinsPerSecond is refused with a message naming it; the default is 320', () => {
    expect(resolveNetConfig().maxJoinsPerSecond).toBe(320);
    for (const bad of [-1, 1.5, 2_000_000, Number.NaN, '320'])
      expect(optionProblems(() => resolveNetConfig({ maxJoinsPerSecond: bad as number }))).toEqual([
        expect.stringMatching(
          /^net\.maxJoinsPerSecond must be an integer between 0 and 1000000 \(got (number -1|number 1\.5|number 2000000|NaN|a string)\)$/,
        ),
      ]);
    expect(
      () =>
        new GameServer({
          host: '127.0.0.1',
          port: 0,
          logger: createLogger('silent'),
          resolveWorld: () => undefined,
          net: { maxJoinsPerSecond: -5 },
        }),
    ).toThrow(/net\.maxJoinsPerSecond must be an integer between 0 and 1000000/);
  });

  it('counts hellos that waited for the process bound in /stats and /metrics of a full server', async () => {
    const game = defineGame({
      name: 'join-rate',
      world: { size: 1000, npcs: 0, physics: 'off' },
      net: { maxJoinsPerStep: 16, maxJoinQueue: 10, maxJoinsPerSecond: 1 },
    });
    const r = await startServer(game, { options: testServerOptions('wt-join-rate-') });
    live.servers.push(r);
    pauseWorld(r.world);
    const st = () => r.runtime.gameServer.stats();
    // The world is paused (never stepped): the first hello takes the bucket's one token, the others
    // wait with slots of their world free (counted, each once).
    for (const token of ['h1', 'h2', 'h3', 'h4']) {
      const c = await openRaw(`ws://127.0.0.1:${r.port}`);
      live.sockets.push(c);
      c.send([1, 1, '1', token, token, null]);
    }
    await untilTurns(() => st().joining + st().joinsWaiting === 4, 'every hello reached the server');
    const waited = st().joinsProcessWaited;
    expect(waited).toBeGreaterThanOrEqual(1);
    expect(st().joinsQueued).toBe(waited);
    const metrics = await (await fetch(`http://127.0.0.1:${r.adminPort}/metrics`, { headers: { authorization: 'Bearer tok' } })).text();
    expect(metrics).toContain(`worldtick_net_joins_process_waited_total ${waited}`);
  });
});
