/**
 * Issue 14 items 1 and 7: the original design's requests, verbatim, against world `1` of a
 * running server — flat bodies, the full block with tier descriptions, the request without a
 * content type (curl -d) — each effect checked on `/stats`; GET → PUT round trip; conflicts;
 * and the hostile-client edge cases (creation-time keys, bodies on pause/resume).
 */
import { describe, expect, it } from 'vitest';
import { call, rawRequest, TOKEN, useRuntime } from './harness.js';

// The original design's block, verbatim (descriptions included).
const ORIGINAL_FULL = `{ "simulation": { "timeScale": 60, "maxNpcTicksPerStep": 50, "maxJobOpsPerStep": 10, "tickIntervalSeconds": 1.0, "pauseSimulation": false, "tiers": { "detailed": {"maxNpcs": 20, "description": "critical to the current scene"}, "active": {"maxNpcs": 100, "description": "relevant to the current session or story arcs"}, "ambient": {"maxNpcs": 500, "description": "..."}, "dormant": {"maxNpcs": 5000, "description": "..."} } } }`;

const s = useRuntime();

const stats = async () => (await call(s.base, 'GET', '/api/v1/worlds/1/stats')).json;
const CONFIG = '/api/v1/worlds/1/scheduler/config';

/** What one forced step advances world time by, read from /stats around a pause + step. */
const worldSecondsPerStep = async (): Promise<number> => {
  expect((await call(s.base, 'POST', '/api/v1/worlds/1/scheduler/pause')).status).toBe(200);
  const a = await stats();
  const st = await call(s.base, 'POST', '/api/v1/worlds/1/scheduler/step', { body: { n: 2 } });
  expect(st.status).toBe(200);
  const b = await stats();
  expect((await call(s.base, 'POST', '/api/v1/worlds/1/scheduler/resume')).status).toBe(200);
  return (b.worldTime - a.worldTime) / 2;
};

/** The exact bytes curl sends for `curl -X PUT URL -H "Authorization: Bearer $T" -d 'BODY'`. */
const curlD = (body: string): string[] => [
  `PUT ${CONFIG} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\nAuthorization: Bearer ${TOKEN}\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n\r\n${body}`,
];

describe("the original design's requests against world 1", () => {
  it('curl -d with flat keys (form content type): 200, the effect shows on /stats', async () => {
    const out = await rawRequest(s.port, curlD('{"maxNpcTicksPerStep": 25, "tickIntervalSeconds": 2.0}'));
    expect(out).toMatch(/^HTTP\/1\.1 200/);
    const st = await stats();
    expect(st.scheduler).toMatchObject({ maxNpcTicksPerStep: 25, tickIntervalSeconds: 2 });
    expect(st.tickIntervalSeconds).toBe(2);
    expect(st.budgets.npcTicks).toBeLessThanOrEqual(25);
    expect(await worldSecondsPerStep()).toBeCloseTo(2 * st.timeScale, 6);
  });

  it('a flat body without any content type header, and {"timeScale": 120}', async () => {
    const body = '{"timeScale": 120, "tickIntervalSeconds": 0.05}';
    const out = await rawRequest(s.port, [
      `PUT ${CONFIG} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    ]);
    expect(out).toMatch(/^HTTP\/1\.1 200/);
    const st = await stats();
    expect(st.timeScale).toBe(120);
    expect(st.scheduler.timeScale).toBe(120);
    expect(await worldSecondsPerStep()).toBeCloseTo(0.05 * 120, 6);
  });

  it('the full block with tier descriptions: kept, returned by GET and /stats, every value in force', async () => {
    const r = await call(s.base, 'PUT', CONFIG, { raw: ORIGINAL_FULL, headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(200);
    expect(r.json.config.simulation.tiers.detailed).toMatchObject({ maxNpcs: 20, description: 'critical to the current scene' });
    const g = await call(s.base, 'GET', CONFIG);
    expect(g.json.config.simulation.tiers.active.description).toBe('relevant to the current session or story arcs');
    const st = await stats();
    expect(st.scheduler).toEqual({
      timeScale: 60,
      tickIntervalSeconds: 1,
      maxNpcTicksPerStep: 50,
      maxJobOpsPerStep: 10,
      pauseSimulation: false,
      tiers: {
        detailed: { maxNpcs: 20, description: 'critical to the current scene' },
        active: { maxNpcs: 100, description: 'relevant to the current session or story arcs' },
        ambient: { maxNpcs: 500, description: '...' },
        dormant: { maxNpcs: 5000, description: '...' },
      },
    });
    expect(st.paused).toBe(false);
    expect(st.budgets.jobOps).toBeLessThanOrEqual(10);
    expect(await worldSecondsPerStep()).toBeCloseTo(60, 6);
  });

  it('GET returns a shape that PUT takes back unchanged; a stale configVersion is 409', async () => {
    const g = await call(s.base, 'GET', CONFIG);
    const put = await call(s.base, 'PUT', CONFIG, { body: g.json });
    expect(put.status).toBe(200);
    expect(put.json.config).toEqual(g.json.config);
    expect(put.json.configVersion).toBe(g.json.configVersion + 1);
    const stale = await call(s.base, 'PUT', CONFIG, { body: g.json });
    expect(stale.status).toBe(409);
    expect(stale.json.code).toBe('WT_ERR_CONFIG_VERSION_STALE');
    const other = await call(s.base, 'PUT', CONFIG, { body: { ...put.json, worldId: 'arena' } });
    expect(other.status).toBe(400);
  });

  it('the same setting flat and nested is a coded conflict listing the keys; nothing changes', async () => {
    const before = (await call(s.base, 'GET', CONFIG)).json;
    const r = await call(s.base, 'PUT', CONFIG, {
      body: { timeScale: 5, maxJobOpsPerStep: 3, simulation: { timeScale: 7, maxJobOpsPerStep: 3 } },
    });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('WT_ERR_CONFIG_KEY_CONFLICT');
    expect(r.json.details.keys).toEqual(['timeScale', 'simulation.timeScale', 'maxJobOpsPerStep', 'simulation.maxJobOpsPerStep']);
    const after = (await call(s.base, 'GET', CONFIG)).json;
    expect(after).toEqual(before);
    // Flat and nested for different settings merge.
    const ok = await call(s.base, 'PUT', CONFIG, { body: { timeScale: 30, simulation: { maxJobOpsPerStep: 4 } } });
    expect(ok.status).toBe(200);
    expect((await stats()).scheduler).toMatchObject({ timeScale: 30, maxJobOpsPerStep: 4 });
  });

  it('a non-JSON body without a JSON type is 415; a bad description is 400 naming it', async () => {
    const t = await call(s.base, 'PUT', CONFIG, { raw: 'timeScale=5', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(t.status).toBe(415);
    const d = await call(s.base, 'PUT', CONFIG, { body: { tiers: { active: { description: 'x'.repeat(201) } } } });
    expect(d.status).toBe(400);
    expect(d.json.details.problems).toEqual(['simulation.tiers.active.description must be a string of at most 200 characters']);
  });
});

describe('hostile-client edge cases', () => {
  it('a creation-time key on a running world is refused (400) and nothing is stored', async () => {
    const before = (await call(s.base, 'GET', CONFIG)).json;
    for (const body of [
      { simulation: { spatialCellSize: 0.0001 } },
      { spatialCellSize: 128 },
      { simulation: { intentQueueCapacity: 8 } },
    ]) {
      const r = await call(s.base, 'PUT', CONFIG, { body });
      expect(r.status).toBe(400);
      expect(r.json.code).toBe('WT_ERR_CONFIG_INVALID');
      expect(r.json.details.problems[0]).toMatch(/is read when the world is created and cannot change on a running world/);
    }
    expect((await call(s.base, 'GET', CONFIG)).json).toEqual(before);
    // The same value (a GET put back) is not a change.
    expect((await call(s.base, 'PUT', CONFIG, { body: { spatialCellSize: before.config.simulation.spatialCellSize } })).status).toBe(200);
  });

  it('pause and resume refuse a body with fields (400) and change nothing; none or {} is fine', async () => {
    for (const verb of ['pause', 'resume']) {
      const r = await call(s.base, 'POST', `/api/v1/worlds/1/scheduler/${verb}`, { body: { x: 1 } });
      expect(r.status).toBe(400);
      expect(r.json.details.problems).toEqual(['x is not a known field']);
      expect((await stats()).paused).toBe(false);
    }
    expect((await call(s.base, 'POST', '/api/v1/worlds/1/scheduler/pause', { body: {} })).json.paused).toBe(true);
    expect((await call(s.base, 'POST', '/api/v1/worlds/1/scheduler/resume')).json.paused).toBe(false);
  });
});
