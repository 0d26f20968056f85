import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startRuntime, type Started } from './harness.js';

/** Tier zones and pins through the admin API of a running server (docs/ADMIN.md). */
let s: Started;
let dir: string;
const W = '/api/v1/worlds/1';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wt-tiers-'));
  const cfg = join(dir, 'config.json');
  // Zones are loaded with the world from the config file.
  writeFileSync(cfg, JSON.stringify({ tierZones: [{ id: 'square', minX: 0, minY: 0, maxX: 400, maxY: 400, tier: 'ambient' }] }));
  s = await startRuntime(['--config', cfg, '--npcs', '400']);
  const p = await call(s.base, 'POST', `${W}/scheduler/pause`);
  expect(p.status).toBe(200);
});
afterAll(async () => {
  await s?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const step = async (n = 1) => {
  const r = await call(s.base, 'POST', `${W}/scheduler/step`, { body: { n } });
  expect(r.status).toBe(200);
};
const stats = async () => (await call(s.base, 'GET', `${W}/stats`)).json;

describe('admin API: tier zones', () => {
  it('lists the zones loaded from the config file, with the NPCs inside at the last pass', async () => {
    await step();
    const r = await call(s.base, 'GET', `${W}/tiers/zones`);
    expect(r.status).toBe(200);
    expect(r.json.zones).toHaveLength(1);
    expect(r.json.zones[0]).toMatchObject({ id: 'square', minX: 0, minY: 0, maxX: 400, maxY: 400, tier: 'ambient' });
    expect(r.json.zones[0].npcs).toBeGreaterThan(0);
    // No player is connected: only the zone's NPCs are above dormant.
    const st = await stats();
    expect(st.tiers.npcsPerTier.ambient).toBe(r.json.zones[0].npcs);
    expect(st.tiers.npcsPerTier.active).toBe(0);
  });

  it('an NPC inside a zone gets the zone’s tier: PUT one zone, step, read it back; DELETE undoes it', async () => {
    const put = await call(s.base, 'PUT', `${W}/tiers/zones/everywhere`, {
      body: { minX: -10, minY: -10, maxX: 5000, maxY: 5000, tier: 'active' },
    });
    expect(put.status).toBe(201);
    expect(put.json).toMatchObject({ id: 'everywhere', tier: 'active' });
    await step();
    const z = await call(s.base, 'GET', `${W}/tiers/zones/everywhere`);
    expect(z.status).toBe(200);
    expect(z.json.npcs).toBe(400);
    const st = await stats();
    expect(st.tiers.npcsPerTier).toMatchObject({ detailed: 0, active: 400, ambient: 0, dormant: 0 });
    const at = await call(s.base, 'GET', `${W}/tiers/zones?x=100&y=100`);
    expect(at.json.zones.map((x: { id: string }) => x.id)).toEqual(['everywhere', 'square']);
    const replaced = await call(s.base, 'PUT', `${W}/tiers/zones/everywhere`, {
      body: { minX: 0, minY: 0, maxX: 10, maxY: 10, tier: 'detailed' },
    });
    expect(replaced.status).toBe(200);
    const del = await call(s.base, 'DELETE', `${W}/tiers/zones/everywhere`);
    expect(del.status).toBe(200);
    await step();
    expect((await stats()).tiers.npcsPerTier.active).toBe(0);
    expect((await call(s.base, 'GET', `${W}/tiers/zones/everywhere`)).json.code).toBe('WT_ERR_TIER_ZONE_NOT_FOUND');
  });

  it('refuses bad zones with coded errors listing every problem, and changes nothing', async () => {
    const before = (await call(s.base, 'GET', `${W}/tiers/zones`)).json;
    const bad = await call(s.base, 'PUT', `${W}/tiers/zones`, {
      body: { zones: [{ id: 'a', minX: 5, minY: 0, maxX: 1, maxY: 1, tier: 'dormant' }, { id: 'a b' }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.code).toBe('WT_ERR_TIER_ZONE_INVALID');
    expect(bad.json.details.problems).toContain('zones[0].minX must be < maxX');
    expect(bad.json.details.problems).toContain('zones[0].tier must be one of detailed, active, ambient');
    expect(bad.json.details.problems).toContain('zones[1].id must be 1-64 characters of A-Z a-z 0-9 _ . -');
    const one = await call(s.base, 'PUT', `${W}/tiers/zones/x`, { body: { id: 'y', minX: 0, minY: 0, maxX: 1, maxY: 1, tier: 'active' } });
    expect(one.status).toBe(400);
    expect(one.json.details.problems).toEqual(["zone.id must match the path's zone id"]);
    expect((await call(s.base, 'PUT', `${W}/tiers/zones`, { body: [] })).status).toBe(400);
    expect((await call(s.base, 'DELETE', `${W}/tiers/zones/nope`)).status).toBe(404);
    expect((await call(s.base, 'GET', `/api/v1/worlds/nope/tiers/zones`)).json.code).toBe('WT_ERR_WORLD_NOT_FOUND');
    expect((await call(s.base, 'GET', `${W}/tiers/zones?x=1`)).status).toBe(400);
    // The point query: a repeated x, an unknown parameter (a typo), every problem in one 400, never all zones.
    const twice = await call(s.base, 'GET', `${W}/tiers/zones?x=1&x=2&y=1&zone=a`);
    expect(twice.status).toBe(400);
    expect(twice.json.code).toBe('WT_ERR_ADMIN_BAD_REQUEST');
    expect(twice.json.details.problems).toEqual([
      'x must be a finite number, given once (got "1,2")',
      'query parameter zone is not taken (x, y)',
    ]);
    const typo = await call(s.base, 'GET', `${W}/tiers/zones?X=1&y=1`);
    expect(typo.json.details.problems).toEqual(['x must be a finite number, given once', 'query parameter X is not taken (x, y)']);
    expect((await call(s.base, 'GET', `${W}/tiers/zones?limit=5`)).status).toBe(400);
    expect((await call(s.base, 'GET', `${W}/tiers/zones`)).json).toEqual(before);
  });

  it('PUT replaces every zone; DELETE removes them all', async () => {
    const r = await call(s.base, 'PUT', `${W}/tiers/zones`, {
      body: {
        zones: [
          { id: 'b', minX: 0, minY: 0, maxX: 1, maxY: 1, tier: 'active' },
          { id: 'a', minX: 0, minY: 0, maxX: 1, maxY: 1, tier: 'detailed' },
        ],
      },
    });
    expect(r.status).toBe(200);
    expect(r.json.zones.map((z: { id: string }) => z.id)).toEqual(['a', 'b']);
    const d = await call(s.base, 'DELETE', `${W}/tiers/zones`);
    expect(d.json).toEqual({ removed: 2, zones: [] });
  });
});

describe('admin API: pins', () => {
  it('a pinned NPC far from every player is held at its tier and ticked at that tier’s rate; unpin releases it', async () => {
    const eid = 7; // populated NPCs are entities 1..400; no player is connected
    await step();
    expect((await call(s.base, 'GET', `${W}/npcs/${eid}/pin`)).json).toEqual({ eid, pin: null });
    const p = await call(s.base, 'POST', `${W}/npcs/${eid}/pin`, { body: { tier: 'detailed' } });
    expect(p.status).toBe(200);
    expect(p.json).toMatchObject({ eid, tier: 'detailed', until: null });
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      await step();
      const g = await call(s.base, 'GET', `${W}/npcs/${eid}/pin`);
      expect(g.json.pin.currentTier).toBe('detailed');
      seen.push(g.json.pin.lastTickedAt);
    }
    // Detailed ticks every step: each step's tick is one step of world time later (20 Hz × timeScale 60 = 3 s).
    for (let i = 1; i < seen.length; i++) expect(seen[i] - seen[i - 1]).toBeCloseTo(3, 6);
    const list = await call(s.base, 'GET', `${W}/tiers/pins`);
    expect(list.json.pins.map((x: { eid: number }) => x.eid)).toEqual([eid]);
    expect((await stats()).tiers.npcsPerTier.detailed).toBe(1);
    const un = await call(s.base, 'DELETE', `${W}/npcs/${eid}/pin`);
    expect(un.json).toEqual({ eid, unpinned: true });
    await step();
    expect((await stats()).tiers.npcsPerTier.detailed).toBe(0);
  });

  it('a pin for a duration expires in world seconds', async () => {
    const p = await call(s.base, 'POST', `${W}/npcs/9/pin`, { body: { tier: 'active', seconds: 6 } });
    expect(p.status).toBe(200);
    await step(1);
    expect((await call(s.base, 'GET', `${W}/npcs/9/pin`)).json.pin.currentTier).toBe('active');
    await step(3);
    expect((await call(s.base, 'GET', `${W}/npcs/9/pin`)).json.pin).toBeNull();
  });

  it('refuses bad pins with coded errors', async () => {
    const bad = await call(s.base, 'POST', `${W}/npcs/7/pin`, { body: { tier: 'dormant', seconds: -5 } });
    expect(bad.status).toBe(400);
    expect(bad.json.code).toBe('WT_ERR_TIER_PIN_INVALID');
    expect(bad.json.details.problems).toHaveLength(2);
    expect((await call(s.base, 'POST', `${W}/npcs/7/pin`, { body: { tier: 'active', colour: 1 } })).json.code).toBe(
      'WT_ERR_ADMIN_BAD_REQUEST',
    );
    expect((await call(s.base, 'POST', `${W}/npcs/999999/pin`, { body: { tier: 'active' } })).status).toBe(404);
    expect((await call(s.base, 'POST', `${W}/npcs/abc/pin`, { body: { tier: 'active' } })).status).toBe(400);
    expect((await call(s.base, 'DELETE', `${W}/npcs/999999/pin`)).json.code).toBe('WT_ERR_NPC_NOT_FOUND');
    expect((await call(s.base, 'GET', `${W}/tiers/pins`)).json.pins).toEqual([]);
  });

  it('the controller status shows the auto-budget; its keys and the job caps are in the scheduler config', async () => {
    const r = await call(s.base, 'GET', `${W}/stats`);
    expect(r.status).toBe(200);
    expect(r.json.controller.status.autoBudget).toMatchObject({ enabled: true, configuredNpcTicks: 2000, hardCap: 8000 });
    expect(typeof r.json.controller.status.autoBudget.extraTicks).toBe('number');
    const cfg = await call(s.base, 'GET', `${W}/scheduler/config`);
    expect(cfg.json.controller?.autoBudget ?? cfg.json.config?.controller?.autoBudget).toMatchObject({ enabled: true, maxFactor: 4 });
    expect(cfg.json.jobs ?? cfg.json.config?.jobs).toEqual({ perWorldConcurrency: 8, perUserConcurrency: 2 });
    const put = await call(s.base, 'PUT', `${W}/scheduler/config`, { body: { jobs: { perUserConcurrency: 3 } } });
    expect(put.status).toBe(200);
    const after = await call(s.base, 'GET', `${W}/scheduler/config`);
    expect(after.json.jobs ?? after.json.config?.jobs).toEqual({ perWorldConcurrency: 8, perUserConcurrency: 3 });
    const bad = await call(s.base, 'PUT', `${W}/scheduler/config`, { body: { jobs: { perWorldConcurrency: 0 } } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json)).toMatch(/jobs\.perWorldConcurrency/);
  });
});
