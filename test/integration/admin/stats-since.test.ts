/**
 * `GET /api/v1/worlds/{id}/stats?since=<step>` (docs/ADMIN.md "Stats"): `history` brings only the
 * cost samples after that step (the dashboard's polls), the whole history when the world's newest
 * sample is older than it (its steps went back); without `since` the answer is as before; a bad
 * `since` is a 400 with the admin error shape, counted, and changes nothing. A real runtime; the
 * world is paused and stepped through the API, so its steps are known.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { call, count400, expectRefused, useRuntime } from './harness.js';

const PAUSED = { id: 'h', npcs: 3, capacity: 50, config: { simulation: { pauseSimulation: true } } };
const step = async (n: number) => expect((await call(s.base, 'POST', '/api/v1/worlds/h/scheduler/step', { body: { n } })).status).toBe(200);
const history = async (query = ''): Promise<{ steps: number[]; totalMs: number[] }> => {
  const r = await call(s.base, 'GET', `/api/v1/worlds/h/stats${query}`);
  expect(r.status).toBe(200);
  return r.json.history;
};
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const s = useRuntime(['--npcs', '0']);
beforeAll(async () => {
  expect((await call(s.base, 'POST', '/api/v1/worlds', { body: PAUSED })).status).toBe(201);
});

describe('stats ?since=', () => {
  it('brings only the samples after the step given; none when up to date; without since, all of them', async () => {
    expect(await history('?since=0')).toEqual({ steps: [], totalMs: [] }); // no step yet
    await step(10);
    const all = await history();
    expect(all.steps).toEqual(range(0, 9));
    const after6 = await history('?since=6');
    expect(after6.steps).toEqual([7, 8, 9]);
    expect(after6.totalMs).toEqual(all.totalMs.slice(7));
    expect(await history('?since=9')).toEqual({ steps: [], totalMs: [] });
    // Other fields are as without since.
    const full = (await call(s.base, 'GET', '/api/v1/worlds/h/stats?since=9')).json;
    expect(full).toMatchObject({ id: 'h', step: 10, paused: true, cost: expect.any(Object), tiers: expect.any(Object) });
  });

  it('past the 240 samples kept: since before the oldest brings the 240; the whole history is the last 240', async () => {
    await step(290); // steps 0 … 299
    expect((await history()).steps).toEqual(range(60, 299));
    expect((await history('?since=10')).steps).toEqual(range(60, 299));
    expect((await history('?since=290')).steps).toEqual(range(291, 299));
  });

  it('a world whose steps went back (deleted, created again) answers its whole history to a since beyond it', async () => {
    expect((await call(s.base, 'DELETE', '/api/v1/worlds/h')).status).toBe(200);
    expect((await call(s.base, 'POST', '/api/v1/worlds', { body: PAUSED })).status).toBe(201);
    await step(3);
    expect((await history('?since=299')).steps).toEqual([0, 1, 2]);
    expect((await history('?since=1')).steps).toEqual([2]);
  });

  it('a bad since: 400 WT_ERR_ADMIN_BAD_REQUEST naming it, counted like any bad request', async () => {
    const before = await count400(s.base);
    const bad = ['', '-1', 'abc', '1.5', '1e3', '+3', '0x10', '9007199254740992', '12345678901234567', '1&since=2'];
    for (const q of bad) {
      const r = await call(s.base, 'GET', `/api/v1/worlds/h/stats?since=${q}`);
      expect(r.status, q).toBe(400);
      expect(r.json.code).toBe('WT_ERR_ADMIN_BAD_REQUEST');
      expect(r.json.message).toMatch(
        /^invalid stats request: since must be a step number \(an integer from 0 to 9007199254740991\), given once/,
      );
      expect(r.json.details.problems).toHaveLength(1);
    }
    expect(await count400(s.base)).toBe(before + bad.length);
    // The largest safe step is taken; an unknown world is still a 404.
    expect((await history('?since=9007199254740991')).steps).toEqual([0, 1, 2]);
    expect((await call(s.base, 'GET', '/api/v1/worlds/nope/stats?since=1')).status).toBe(404);
  });

  it('another parameter (a typo of since) is refused, counted, not answered with the whole history', async () => {
    const r = await expectRefused(
      s.base,
      'GET',
      '/api/v1/worlds/h/stats?snice=1',
      'invalid stats request: query parameter snice is not taken (since)',
    );
    expect(r.json.details.problems).toEqual(['query parameter snice is not taken (since)']);
    const before = await count400(s.base);
    const both = await call(s.base, 'GET', '/api/v1/worlds/h/stats?since=1&since=1&x=2');
    expect(both.json.details.problems).toEqual([
      'since must be a step number (an integer from 0 to 9007199254740991), given once (got "1,1")',
      'query parameter x is not taken (since)',
    ]);
    expect(await count400(s.base)).toBe(before + 1);
  });
});
