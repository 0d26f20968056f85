/**
 * `GET /api/v1/worlds` takes the game server's session report once per answer, not once per world:
 * the report is built over every world (src/net/game-server-stats.ts), so a summary per world that
 * took its own made the whole list quadratic in the worlds (bench/worlds-list.ts has the figures).
 * Each world's `sessions` is still its own count from that one report.
 */
import { describe, expect, it } from 'vitest';
import { worldRoutes } from '../../../src/admin/routes-worlds.js';
import { createTelemetry } from '../../../src/admin/telemetry.js';
import { createLogger } from '../../../src/log.js';
import { LoopRunner } from '../../../src/loop/loop-runner.js';
import { createSimWorld } from '../../../src/world/sim-world.js';

const WORLDS = 20;

describe('GET /api/v1/worlds: the session report', () => {
  it('is read once for the whole list and once for a page, each world its own count', async () => {
    const runner = new LoopRunner({});
    for (let i = 0; i < WORLDS; i++) runner.add(createSimWorld({ id: `w${String(i).padStart(2, '0')}`, capacity: 16 }));
    let reports = 0;
    const routes = worldRoutes({
      runner,
      telemetry: createTelemetry({}),
      logger: createLogger('silent'),
      sources: {
        sessions: () => {
          reports++;
          return { worlds: Object.fromEntries(runner.worlds().map((w, i) => [w.id, { sessions: i }])) };
        },
      },
    });
    const list = routes.find((r) => r.method === 'GET' && r.pattern === '/api/v1/worlds');
    if (!list) throw new Error('no list route');
    const get = async (query: string) =>
      (await list.handler({ method: 'GET', path: '/api/v1/worlds', query: new URLSearchParams(query), params: {}, body: undefined }))
        .json as { worlds: Array<{ id: string; sessions: number }> };

    const whole = await get('');
    expect(whole.worlds).toHaveLength(WORLDS);
    expect(whole.worlds.map((w) => w.sessions)).toEqual([...Array(WORLDS).keys()]);
    expect(reports).toBe(1);

    const page = await get('limit=5&after=w09');
    expect(page.worlds.map((w) => [w.id, w.sessions])).toEqual([10, 11, 12, 13, 14].map((i) => [`w${i}`, i]));
    expect(reports).toBe(2);
  });
});
