/**
 * Physics through the runtime and the admin API: the default world runs physics (counters in
 * /stats and /metrics), an admin-created world takes a physics block (with shard workers started
 * as a service and stopped on delete), and a bad block is a 400 listing every problem.
 */
import { describe, expect, it } from 'vitest';
import { call, useRuntime } from './harness.js';

describe('physics in the runtime and the admin API', () => {
  const s = useRuntime(['--npcs', '300']);

  it('the default world has physics: counters in /stats and /metrics', async () => {
    const w = s.runtime.defaultWorld;
    expect(w.pipeline.map((e) => e.name)).toContain('physics');
    await call(s.base, 'POST', '/api/v1/worlds/1/scheduler/pause');
    await call(s.base, 'POST', '/api/v1/worlds/1/scheduler/step', { body: { n: 3 } });
    const st = await call(s.base, 'GET', '/api/v1/worlds/1/stats');
    expect(st.status).toBe(200);
    expect(st.json.physics.physics.steps).toBeGreaterThanOrEqual(3);
    expect(st.json.physics.physics.lastBodies).toBeGreaterThanOrEqual(300);
    expect(st.json.physics.shards).toMatchObject({ configured: 0, pool: null });
    expect(st.json.physics.navigation).toHaveProperty('plans');
    await call(s.base, 'POST', '/api/v1/worlds/1/scheduler/resume');
    const m = await call(s.base, 'GET', '/metrics');
    expect(m.text).toMatch(/^worldtick_physics_steps_total\{world="1"\} \d+/m);
    expect(m.text).toMatch(/^worldtick_physics_bodies\{world="1"\} \d+/m);
    expect(m.text).toMatch(/^worldtick_navigation_plans_total\{world="1"\} \d+/m);
    expect(m.text).toMatch(/^worldtick_shards_configured\{world="1"\} 0/m);
  });

  it('an admin-created world takes a physics block; its shard worker is a service stopped on delete', async () => {
    const created = await call(s.base, 'POST', '/api/v1/worlds', {
      body: {
        id: 'walled',
        npcs: 50,
        size: 300,
        physics: { shards: 1, mode: 'shards', obstacles: [{ minX: 100, minY: 100, maxX: 120, maxY: 200 }] },
      },
    });
    expect(created.status).toBe(201);
    const w = s.runtime.runner.get('walled');
    expect(w.physics?.config.obstacles).toHaveLength(1);
    for (let i = 0; i < 300 && !w.physics?.pool; i++) await new Promise((r) => setTimeout(r, 20));
    expect(w.physics?.pool?.stats().ready).toBe(1);
    const pool = w.physics!.pool!;
    for (let i = 0; i < 300 && pool.stats().dispatched === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(pool.stats().dispatched).toBeGreaterThan(0);
    const st = await call(s.base, 'GET', '/api/v1/worlds/walled/stats');
    expect(st.json.physics.physics.obstacles).toBe(1);
    expect(st.json.physics.shards.pool.shards).toBe(1);
    expect((await call(s.base, 'DELETE', '/api/v1/worlds/walled')).status).toBe(200);
    for (let i = 0; i < 300 && pool.stats().ready > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(pool.stats().ready).toBe(0);
    expect(w.physics?.pool).toBeNull();
  });

  it('a bad physics block is 400 listing every problem; a map file path is refused; grids too large for the world are 400', async () => {
    const r = await call(s.base, 'POST', '/api/v1/worlds', {
      body: { id: 'bad', physics: { shards: 'many', mode: 'warp', map: '/etc/passwd', obstacles: [{ minX: 1 }] } },
    });
    expect(r.status).toBe(400);
    const problems: string[] = r.json.details.problems;
    expect(problems.join('\n')).toMatch(/physics\.shards must be/);
    expect(problems.join('\n')).toMatch(/physics\.mode must be one of/);
    expect(problems.join('\n')).toMatch(/physics\.obstacles\[0\]\.minY must be a finite number/);
    const r2 = await call(s.base, 'POST', '/api/v1/worlds', { body: { id: 'bad2', physics: { map: '/etc/passwd' } } });
    expect(r2.status).toBe(400);
    expect(JSON.stringify(r2.json)).toMatch(/physics\.map is not allowed here/);
    // Grids too large for the world's size: a coded 400 (was a 500: a RangeError from the allocation).
    for (const body of [
      { id: 'huge', size: 100_000, physics: {} },
      { id: 'fine-nav', physics: { tuning: { navCellSize: 0.01 } } },
    ]) {
      const r3 = await call(s.base, 'POST', '/api/v1/worlds', { body });
      expect([r3.status, r3.json.code], JSON.stringify(r3.json)).toEqual([400, 'WT_ERR_CONFIG_INVALID']);
      expect(r3.json.message).toMatch(/physics\.tuning\.(cellSize|navCellSize) [\d.]+ gives \d+×\d+ .* cells for a world of size/);
    }
    for (const id of ['bad', 'bad2', 'huge', 'fine-nav']) expect(s.runtime.runner.has(id), id).toBe(false);
  });
});
