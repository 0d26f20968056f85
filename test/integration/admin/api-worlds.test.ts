import { describe, expect, it } from 'vitest';
import { decodeWorldMap } from '../../../src/admin/map.js';
import { call, expectRefused, sleep, useRuntime } from './harness.js';

// The original design's scheduler block, verbatim.
const ORIGINAL = {
  simulation: {
    timeScale: 60,
    maxNpcTicksPerStep: 50,
    maxJobOpsPerStep: 10,
    tickIntervalSeconds: 1.0,
    pauseSimulation: false,
    tiers: { detailed: { maxNpcs: 20 }, active: { maxNpcs: 100 }, ambient: { maxNpcs: 500 }, dormant: { maxNpcs: 5000 } },
  },
};

const s = useRuntime();

describe('admin API: worlds', () => {
  it('lists the embedded default world "1" with a summary', async () => {
    const r = await call(s.base, 'GET', '/api/v1/worlds');
    expect(r.status).toBe(200);
    const w = r.json.worlds.find((x: any) => x.id === '1');
    expect(w).toMatchObject({ id: '1', entities: 800, timeScale: 60, paused: false });
    expect(typeof w.worldTime).toBe('number');
  });

  it('creates a world from a config, refuses a duplicate (409), deletes it, then 404', async () => {
    const created = await call(s.base, 'POST', '/api/v1/worlds', {
      body: {
        id: 'arena',
        capacity: 2000,
        seed: 7,
        size: 500,
        npcs: 300,
        config: { simulation: { timeScale: 10 }, controller: { frameBudgetMs: 20 } },
      },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ id: 'arena', entities: 300, timeScale: 10, capacity: 2000, frameBudgetMs: 20 });
    const list = await call(s.base, 'GET', '/api/v1/worlds');
    expect(list.json.worlds.map((w: any) => w.id)).toEqual(['1', 'arena']);
    const dup = await call(s.base, 'POST', '/api/v1/worlds', { body: { id: 'arena' } });
    expect(dup.status).toBe(409);
    expect(dup.json.code).toBe('WT_ERR_WORLD_EXISTS');
    const del = await call(s.base, 'DELETE', '/api/v1/worlds/arena');
    expect(del.status).toBe(200);
    expect(del.json).toEqual({ deleted: 'arena', durable: true });
    expect((await call(s.base, 'GET', '/api/v1/worlds/arena/stats')).status).toBe(404);
    const again = await call(s.base, 'DELETE', '/api/v1/worlds/arena');
    expect(again.status).toBe(404);
    expect(again.json.code).toBe('WT_ERR_WORLD_NOT_FOUND');
  });

  it('an invalid create lists every problem (400) and creates nothing', async () => {
    const r = await call(s.base, 'POST', '/api/v1/worlds', {
      body: { id: 'bad id!', npcs: -1, colour: 'red', config: { simulation: { timeScale: -5, tiers: { active: { maxNpcs: 1.5 } } } } },
    });
    expect(r.status).toBe(400);
    const problems: string[] = r.json.details.problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        'colour is not a known field',
        'id must be 1-64 characters of A-Z a-z 0-9 _ -',
        expect.stringContaining('npcs must be an integer'),
        expect.stringContaining('config: simulation.timeScale must be a number > 0'),
        expect.stringContaining('config: simulation.tiers.active.maxNpcs must be an integer'),
      ]),
    );
    expect((await call(s.base, 'GET', '/api/v1/worlds')).json.worlds).toHaveLength(1);
  });

  it('a create with a query parameter other than placement=local|least-loaded is 400 and creates nothing', async () => {
    const body = { id: 'placed', npcs: 0, capacity: 50 };
    await expectRefused(
      s.base,
      'POST',
      '/api/v1/worlds?placment=local',
      'invalid create request: query parameter placment is not taken (placement)',
      {
        body,
      },
    );
    const bad = await call(s.base, 'POST', '/api/v1/worlds?placement=lcoal', { body });
    expect(bad.json.details.problems).toEqual(['placement must be local or least-loaded, given once (got "lcoal")']);
    expect((await call(s.base, 'GET', '/api/v1/worlds')).json.worlds).toHaveLength(1);
    expect((await call(s.base, 'POST', '/api/v1/worlds?placement=local', { body })).status).toBe(201);
    expect((await call(s.base, 'DELETE', '/api/v1/worlds/placed')).status).toBe(200);
  });

  it('the embedded default world cannot be deleted (409)', async () => {
    const r = await call(s.base, 'DELETE', '/api/v1/worlds/1');
    expect(r.status).toBe(409);
    expect(r.json.code).toBe('WT_ERR_ADMIN_CONFLICT');
  });
});

describe('admin API: scheduler config', () => {
  it('GET returns the config; PUT merges a partial update', async () => {
    const before = await call(s.base, 'GET', '/api/v1/worlds/1/scheduler/config');
    expect(before.status).toBe(200);
    const put = await call(s.base, 'PUT', '/api/v1/worlds/1/scheduler/config', { body: { simulation: { maxJobOpsPerStep: 7 } } });
    expect(put.status).toBe(200);
    expect(put.json.config.simulation.maxJobOpsPerStep).toBe(7);
    expect(put.json.configVersion).toBe(before.json.configVersion + 1);
    // Everything else unchanged.
    const expected = structuredClone(before.json.config);
    expected.simulation.maxJobOpsPerStep = 7;
    expect(put.json.config).toEqual(expected);
  });

  it('an invalid update returns 400 listing every problem and changes nothing', async () => {
    const before = await call(s.base, 'GET', '/api/v1/worlds/1/scheduler/config');
    const r = await call(s.base, 'PUT', '/api/v1/worlds/1/scheduler/config', {
      body: { simulation: { timeScale: 0, maxNpcTicksPerStep: 'many', tiers: { dormant: { maxNpcs: -1 } }, bogus: 1 } },
    });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('WT_ERR_CONFIG_INVALID');
    expect(r.json.details.problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('simulation.timeScale'),
        expect.stringContaining('simulation.maxNpcTicksPerStep'),
        expect.stringContaining('simulation.tiers.dormant.maxNpcs'),
        'simulation.bogus is not a known option',
      ]),
    );
    expect(r.json.details.problems.length).toBeGreaterThanOrEqual(4);
    const after = await call(s.base, 'GET', '/api/v1/worlds/1/scheduler/config');
    expect(after.json).toEqual(before.json);
  });

  it("accepts the original design's simulation JSON as it is", async () => {
    const r = await call(s.base, 'PUT', '/api/v1/worlds/1/scheduler/config', { body: ORIGINAL });
    expect(r.status).toBe(200);
    expect(r.json.config.simulation).toMatchObject({ timeScale: 60, maxNpcTicksPerStep: 50, maxJobOpsPerStep: 10, tickIntervalSeconds: 1 });
    expect(r.json.config.simulation.tiers.ambient.maxNpcs).toBe(500);
    // Back to a fast tick for the rest of the suite.
    const back = await call(s.base, 'PUT', '/api/v1/worlds/1/scheduler/config', { body: { simulation: { tickIntervalSeconds: 0.05 } } });
    expect(back.status).toBe(200);
  });

  it('a PUT without a body is 400; a non-JSON body is 415; broken JSON is 400', async () => {
    expect((await call(s.base, 'PUT', '/api/v1/worlds/1/scheduler/config')).status).toBe(400);
    const t = await call(s.base, 'PUT', '/api/v1/worlds/1/scheduler/config', {
      raw: 'timeScale=5',
      headers: { 'content-type': 'text/plain' },
    });
    expect(t.status).toBe(415);
    expect(t.json.code).toBe('WT_ERR_ADMIN_UNSUPPORTED_MEDIA_TYPE');
    // JSON with a typo, as `curl -d` sends it (form type): the message says the JSON is broken, not only the type.
    const typo = await call(s.base, 'PUT', '/api/v1/worlds/1/scheduler/config', {
      raw: '{simulation: {"timeScale": 5}}',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(typo.status).toBe(415);
    expect(typo.json.message).toMatch(
      /^request body is not valid JSON \(.+\) and was not sent as application\/json \(got "application\/x-www-form-urlencoded"\)/,
    );
    const b = await call(s.base, 'PUT', '/api/v1/worlds/1/scheduler/config', {
      raw: '{"simulation": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(b.status).toBe(400);
    expect(b.json.code).toBe('WT_ERR_ADMIN_BAD_REQUEST');
  });
});

describe('admin API: pause, step, resume', () => {
  const worldTime = async (): Promise<{ t: number; step: number }> => {
    const r = await call(s.base, 'GET', '/api/v1/worlds/1');
    return { t: r.json.worldTime, step: r.json.step };
  };

  it('pause stops world time, step advances exactly n steps, resume continues', async () => {
    const running = await call(s.base, 'POST', '/api/v1/worlds/1/scheduler/step', { body: { n: 2 } });
    expect(running.status).toBe(409);
    expect(running.json.code).toBe('WT_ERR_WORLD_NOT_PAUSED');

    const p = await call(s.base, 'POST', '/api/v1/worlds/1/scheduler/pause');
    expect(p.status).toBe(200);
    expect(p.json.paused).toBe(true);
    const a = await worldTime();
    await sleep(300);
    const b = await worldTime();
    expect(b).toEqual(a);

    const st = await call(s.base, 'POST', '/api/v1/worlds/1/scheduler/step', { body: { n: 5 } });
    expect(st.status).toBe(200);
    expect(st.json.stepsRun).toBe(5);
    expect(st.json.step).toBe(a.step + 5);
    const cfg = (await call(s.base, 'GET', '/api/v1/worlds/1/scheduler/config')).json.config.simulation;
    expect(st.json.worldTime).toBeCloseTo(a.t + 5 * cfg.tickIntervalSeconds * cfg.timeScale, 6);
    const q = await call(s.base, 'POST', '/api/v1/worlds/1/scheduler/step?n=3');
    expect(q.json.step).toBe(a.step + 8);
    await sleep(200);
    expect((await worldTime()).step).toBe(a.step + 8);

    for (const bad of [{ n: 0 }, { n: 1.5 }, { n: 'x' }, { m: 1 }]) {
      const r = await call(s.base, 'POST', '/api/v1/worlds/1/scheduler/step', { body: bad });
      expect(r.status).toBe(400);
    }

    const res = await call(s.base, 'POST', '/api/v1/worlds/1/scheduler/resume');
    expect(res.status).toBe(200);
    expect(res.json.paused).toBe(false);
    const c = await worldTime();
    await sleep(400);
    expect((await worldTime()).t).toBeGreaterThan(c.t);
  });

  it('scheduler routes on an unknown world are 404', async () => {
    for (const path of ['pause', 'resume', 'step']) {
      const r = await call(s.base, 'POST', `/api/v1/worlds/nope/scheduler/${path}`);
      expect(r.status).toBe(404);
      expect(r.json.code).toBe('WT_ERR_WORLD_NOT_FOUND');
    }
    expect((await call(s.base, 'GET', '/api/v1/worlds/nope/scheduler/config')).status).toBe(404);
    expect((await call(s.base, 'PUT', '/api/v1/worlds/nope/scheduler/config', { body: {} })).status).toBe(404);
  });
});

describe('admin API: stats and map', () => {
  it('stats report time, cost per phase against the budget, tiers, controller, sessions', async () => {
    const r = await call(s.base, 'GET', '/api/v1/worlds/1/stats');
    expect(r.status).toBe(200);
    const j = r.json;
    expect(j).toMatchObject({ id: '1', timeScale: expect.any(Number), paused: false });
    expect(j.counters).toMatchObject({
      steps: expect.any(Number),
      droppedSteps: expect.any(Number),
      droppedSeconds: expect.any(Number),
      faults: 0,
    });
    expect(Object.keys(j.cost.phaseMs)).toEqual([
      'ingest',
      'time',
      'tiering',
      'select',
      'behavior',
      'physics',
      'jobs',
      'periodic',
      'replicate',
      'control',
    ]);
    expect(j.cost.frameBudgetMs).toBeGreaterThan(0);
    expect(j.history.steps.length).toBe(j.history.totalMs.length);
    expect(j.history.steps.length).toBeGreaterThan(0);
    expect(j.controller.status.mode).toMatch(/normal|degraded|emergency/);
    expect(j.sessions.inWorld).toBe(0);
    expect(j.budgets.npcTicks).toEqual(expect.any(Number));
    if (j.tiers) {
      const total = Object.values(j.tiers.npcsPerTier as Record<string, number>).reduce((a, b) => a + b, 0);
      expect(total).toBeLessThanOrEqual(800);
    }
  });

  it('the map returns every NPC position (binary and JSON), downsampled on request', async () => {
    const res = await fetch(`${s.base}/api/v1/worlds/1/map`, { headers: { authorization: 'Bearer test-admin-token' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    const m = decodeWorldMap(new Uint8Array(await res.arrayBuffer()));
    expect(m.npcTotal).toBe(800);
    expect(m.npcX.length).toBe(800);
    expect(m.bounds).toEqual({ minX: 0, minY: 0, maxX: 2000, maxY: 2000 });
    const small = await call(s.base, 'GET', '/api/v1/worlds/1/map?format=json&max=100');
    expect(small.json.npcs.x.length).toBe(100);
    expect(small.json.npcTotal).toBe(800);
    expect((await call(s.base, 'GET', '/api/v1/worlds/1/map?max=0')).status).toBe(400);
  });
});
