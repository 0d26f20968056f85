/**
 * The time scale of a game's worlds: a `defineGame` game runs world seconds = wall seconds by
 * default (timeScale 1) — its default world, a world created through the admin API and one created
 * with `server.worlds.create` alike; the game's own `world.config.simulation.timeScale` sets it;
 * `--time-scale` (flag, env, config file) still beats both for the default world. `npm start`'s
 * life-sim game (examples/life-sim, which sets 60) and a runtime without a game keep 60. A restored world keeps its saved config.
 * Before, a game's worlds ran at the life simulation's 60× unless the game set timeScale 1: a
 * 90 s round lasted 1.5 s. Worlds are paused and stepped: exact step arithmetic, no wall clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { defineGame, pauseWorld, type RunningServer, startServer } from '../../../src/index.js';
import { lifeSimGame } from '../../../examples/life-sim/game.js';
import { testServerOptions } from '../../helpers/game-server-options.js';
import { call, type Started, startRuntime, TOKEN } from '../admin/harness.js';

const plain = defineGame({ name: 'plain-clock', world: { size: 100, npcs: 0, physics: 'off' } });
const own = defineGame({ name: 'own-clock', world: { size: 100, npcs: 0, physics: 'off', config: { simulation: { timeScale: 5 } } } });

const N = 20;
const TICK = 0.05;

/** Pause world `id` (admin API), step it N times: the world seconds the N steps advanced, and its timeScale. */
const advance = async (base: string, id: string, token: string): Promise<{ dt: number; timeScale: number }> => {
  const api = (method: string, path: string, body?: unknown) => call(base, method, `/api/v1/worlds/${id}${path}`, { body, token });
  const p = await api('POST', '/scheduler/pause');
  expect(p.status).toBe(200);
  const a = (await api('GET', '')).json;
  const st = await api('POST', '/scheduler/step', { n: N });
  expect(st.json.stepsRun).toBe(N);
  const b = (await api('GET', '')).json;
  expect(b.step).toBe(a.step + N);
  expect(b.tickIntervalSeconds).toBe(TICK);
  return { dt: b.worldTime - a.worldTime, timeScale: b.timeScale };
};

describe('a game world runs world seconds = wall seconds by default', () => {
  let server: RunningServer | undefined;
  let runtime: Started | undefined;
  afterEach(async () => {
    await server?.stop();
    await runtime?.stop();
    server = undefined;
    runtime = undefined;
  });
  const start = async (game: typeof plain, argv: string[] = []): Promise<string> => {
    server = await startServer(game, { argv, options: testServerOptions('wt-tscale-') });
    return `http://127.0.0.1:${server.adminPort}`;
  };

  it('a game without timeScale: default world, admin-created and worlds.create worlds advance N × step × 1', async () => {
    const base = await start(plain);
    expect(await advance(base, '1', 'tok')).toEqual({ dt: expect.closeTo(N * TICK * 1, 9), timeScale: 1 });
    const created = await call(base, 'POST', '/api/v1/worlds', { body: { id: 'match-a' }, token: 'tok' });
    expect(created.status).toBe(201);
    expect(await advance(base, 'match-a', 'tok')).toEqual({ dt: expect.closeTo(N * TICK, 9), timeScale: 1 });
    const w = await server?.worlds.create({ id: 'match-b' });
    expect(w?.id).toBe('match-b');
    expect(await advance(base, 'match-b', 'tok')).toEqual({ dt: expect.closeTo(N * TICK, 9), timeScale: 1 });
    // A create's own config still sets it.
    const fast = await call(base, 'POST', '/api/v1/worlds', {
      body: { id: 'fast', config: { simulation: { timeScale: 60 } } },
      token: 'tok',
    });
    expect(fast.status).toBe(201);
    expect(await advance(base, 'fast', 'tok')).toEqual({ dt: expect.closeTo(N * TICK * 60, 9), timeScale: 60 });
  });

  it('--time-scale 60 (and WORLDTICK_TIME_SCALE) still sets the default world of a game', async () => {
    const base = await start(plain, ['--time-scale', '60']);
    expect(await advance(base, '1', 'tok')).toEqual({ dt: expect.closeTo(N * TICK * 60, 9), timeScale: 60 });
    await server?.stop();
    server = await startServer(plain, { env: { WORLDTICK_TIME_SCALE: '30' }, options: testServerOptions('wt-tscale-') });
    expect(await advance(`http://127.0.0.1:${server.adminPort}`, '1', 'tok')).toMatchObject({ timeScale: 30 });
  });

  it("a game's own timeScale sets its worlds", async () => {
    const base = await start(own);
    expect(await advance(base, '1', 'tok')).toEqual({ dt: expect.closeTo(N * TICK * 5, 9), timeScale: 5 });
    expect((await call(base, 'POST', '/api/v1/worlds', { body: { id: 'm' }, token: 'tok' })).status).toBe(201);
    expect(await advance(base, 'm', 'tok')).toEqual({ dt: expect.closeTo(N * TICK * 5, 9), timeScale: 5 });
  });

  it('a restored game world keeps its saved time scale (persisted state wins over the default and the flag)', async () => {
    const options = testServerOptions('wt-tscale-restore-');
    server = await startServer(plain, { options });
    const base = `http://127.0.0.1:${server.adminPort}`;
    expect((await call(base, 'POST', '/api/v1/worlds', { body: { id: 'kept' }, token: 'tok' })).status).toBe(201);
    const put = await call(base, 'PUT', '/api/v1/worlds/1/scheduler/config', { body: { simulation: { timeScale: 60 } }, token: 'tok' });
    expect(put.status).toBe(200);
    pauseWorld(server.world);
    await server.stop();
    // --time-scale at the restart does not change a restored world either (it sets a new default world).
    server = await startServer(plain, { argv: ['--time-scale', '5'], options });
    const again = `http://127.0.0.1:${server.adminPort}`;
    expect(await advance(again, 'kept', 'tok')).toEqual({ dt: expect.closeTo(N * TICK, 9), timeScale: 1 });
    expect(await advance(again, '1', 'tok')).toEqual({ dt: expect.closeTo(N * TICK * 60, 9), timeScale: 60 });
  });

  it("npm start's life-sim game and the runtime without a game (the life simulation) keep 60", async () => {
    const base = await start(lifeSimGame, ['--npcs', '0']);
    expect(await advance(base, '1', 'tok')).toEqual({ dt: expect.closeTo(N * TICK * 60, 9), timeScale: 60 });
    expect((await call(base, 'POST', '/api/v1/worlds', { body: { id: 'life' }, token: 'tok' })).status).toBe(201);
    expect(await advance(base, 'life', 'tok')).toEqual({ dt: expect.closeTo(N * TICK * 60, 9), timeScale: 60 });
    runtime = await startRuntime(['--npcs', '0']);
    expect(await advance(runtime.base, '1', TOKEN)).toEqual({ dt: expect.closeTo(N * TICK * 60, 9), timeScale: 60 });
  });
});
